import type { LineageStore, ProcessRef } from "./lineage-store.js";
import { type ProcessRecord, processKey } from "./process-record.js";

/** Enough for the live processes of a busy fleet's replay; a long replay evicts the least recently used. */
export const DEFAULT_MEMORY_CAPACITY = 200_000;

/**
 * The in-memory lineage store (CLI, unit tests): a bounded LRU, so replaying a month of logs does not grow
 * without limit. A Map keeps insertion order; re-inserting on use makes the first key the least recent.
 */
export class MemoryLineageStore implements LineageStore {
  readonly #records = new Map<string, ProcessRecord>();
  readonly #capacity: number;

  constructor(capacity = DEFAULT_MEMORY_CAPACITY) {
    this.#capacity = Math.max(1, capacity);
  }

  get size(): number {
    return this.#records.size;
  }

  async getMany(refs: readonly ProcessRef[]): Promise<ReadonlyMap<string, ProcessRecord>> {
    const found = new Map<string, ProcessRecord>();
    for (const ref of refs) {
      const key = processKey(ref.host, ref.pid);
      const record = this.#records.get(key);
      if (record === undefined) continue;
      this.#records.delete(key);
      this.#records.set(key, record);
      found.set(key, record);
    }
    return found;
  }

  async putMany(records: readonly ProcessRecord[]): Promise<void> {
    for (const record of records) {
      const key = processKey(record.host, record.pid);
      this.#records.delete(key);
      this.#records.set(key, record);
    }
    while (this.#records.size > this.#capacity) {
      const oldest = this.#records.keys().next().value as string;
      this.#records.delete(oldest);
    }
  }
}
