import type { ProcessRecord } from "./process-record.js";

/**
 * Where process records live between batches (DESIGN §5). A batch makes one `getMany` for the parents and
 * earlier images it could not resolve itself, and one `putMany` of what it learned: never one call per event.
 * Records are keyed by `processKey(host, pid)`.
 */
export interface LineageStore {
  /** Records by key; absent keys are simply missing from the map. */
  getMany(keys: readonly string[]): Promise<ReadonlyMap<string, ProcessRecord>>;
  putMany(records: ReadonlyMap<string, ProcessRecord>): Promise<void>;
  /**
   * Processes that exited: their records can go. Optional: the DynamoDB store lets TTL expire them (a delete
   * per exit would double the write cost); the in-memory store frees the memory and the stale pid.
   */
  evict?(exits: readonly ProcessExitRef[]): Promise<void>;
}

export interface ProcessExitRef {
  readonly key: string;
  readonly time: number;
  readonly entityId?: string | undefined;
}
