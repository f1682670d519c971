import type { ProcessRecord } from "./process-record.js";

export interface ProcessRef {
  readonly host: string;
  readonly pid: number;
}

/**
 * Where process records live between batches (DESIGN §5). A batch makes one `getMany` for the parents and
 * earlier images it could not resolve itself, and one `putMany` of what it learned: never one call per event.
 */
export interface LineageStore {
  /** Records by `processKey(host, pid)`; absent keys are simply missing from the map. */
  getMany(refs: readonly ProcessRef[]): Promise<ReadonlyMap<string, ProcessRecord>>;
  putMany(records: readonly ProcessRecord[]): Promise<void>;
}
