import type { LineageStore, ProcessExitRef } from "./lineage-store.js";
import type { ProcessRecord } from "./process-record.js";

/** Enough for the live processes of a busy fleet's replay; a long replay forgets the least recently used. */
export const DEFAULT_MEMORY_CAPACITY = 100_000;

/**
 * The in-memory lineage store (CLI, unit tests), bounded so that replaying a month of logs does not grow
 * without limit. An approximate LRU in two generations: writes and hits go to the young map; when it holds
 * half the capacity it becomes the old one and the previous old one is dropped whole. Every operation is one
 * or two Map lookups, with none of the delete-and-reinsert churn of an exact LRU on the hot path, and at least
 * the capacity/2 most recently used records are always kept.
 */
export class MemoryLineageStore implements LineageStore {
  #young = new Map<string, ProcessRecord>();
  #old = new Map<string, ProcessRecord>();
  readonly #generation: number;

  constructor(capacity = DEFAULT_MEMORY_CAPACITY) {
    this.#generation = Math.max(1, Math.ceil(capacity / 2));
  }

  /** Records held (an upper bound: a record promoted from the old generation counts twice until it ages). */
  get size(): number {
    return this.#young.size + this.#old.size;
  }

  async getMany(keys: readonly string[]): Promise<ReadonlyMap<string, ProcessRecord>> {
    const found = new Map<string, ProcessRecord>();
    const promoted: [string, ProcessRecord][] = [];
    for (const key of keys) {
      let record = this.#young.get(key);
      if (record === undefined) {
        record = this.#old.get(key);
        if (record === undefined) continue;
        promoted.push([key, record]);
      }
      found.set(key, record);
    }
    // Promote after the lookups: a rotation halfway through would drop keys this same call still asks for.
    for (const [key, record] of promoted) this.#set(key, record);
    return found;
  }

  /** Only the exited process's own record goes: not a newer holder of the pid, not another image id. */
  async evict(exits: readonly ProcessExitRef[]): Promise<void> {
    for (const exit of exits) {
      for (const generation of [this.#young, this.#old]) {
        const record = generation.get(exit.key);
        if (record === undefined || record.time > exit.time) continue;
        if (exit.entityId !== undefined && record.entityId !== undefined && exit.entityId !== record.entityId)
          continue;
        generation.delete(exit.key);
      }
    }
  }

  async putMany(records: ReadonlyMap<string, ProcessRecord>): Promise<void> {
    for (const [key, record] of records) this.#set(key, record);
  }

  #set(key: string, record: ProcessRecord): void {
    this.#young.set(key, record);
    if (this.#young.size >= this.#generation) {
      this.#old = this.#young;
      this.#young = new Map();
    }
  }
}
