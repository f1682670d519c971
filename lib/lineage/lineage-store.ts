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
}
