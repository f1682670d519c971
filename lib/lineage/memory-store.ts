import type {
  BatchRead,
  LineageStore,
  PendingWrite,
  ProcessExitRef,
  StoredPending,
} from "./lineage-store.js";
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
  /** Pending-event states by host (tests of the triggers on this store; the CLI decodes in one piece). */
  readonly #pending = new Map<string, StoredPending>();

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

  async read(keys: readonly string[], hosts: readonly string[]): Promise<BatchRead> {
    return { records: await this.getMany(keys), pending: await this.readPending(hosts) };
  }

  async readPending(hosts: readonly string[]): Promise<ReadonlyMap<string, StoredPending>> {
    const found = new Map<string, StoredPending>();
    for (const host of hosts) {
      const state = this.#pending.get(host);
      if (state !== undefined) found.set(host, state);
    }
    return found;
  }

  async write(
    records: ReadonlyMap<string, ProcessRecord>,
    pending: readonly PendingWrite[],
    options: { readonly conditional?: boolean } = {},
  ): Promise<{ conflicts: string[] }> {
    await this.putMany(records);
    const conflicts: string[] = [];
    for (const { host, json, version } of pending) {
      const current = this.#pending.get(host);
      if ((options.conditional ?? true) && current?.version !== version) {
        conflicts.push(host);
        continue;
      }
      if (json === undefined) this.#pending.delete(host);
      else this.#pending.set(host, { json, version: (version ?? 0) + 1 });
    }
    return { conflicts };
  }

  #set(key: string, record: ProcessRecord): void {
    this.#young.set(key, record);
    if (this.#young.size >= this.#generation) {
      this.#old = this.#young;
      this.#young = new Map();
    }
  }
}
