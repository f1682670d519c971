import type { PidAllocations } from "./pid-allocation.js";
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
   * A trigger's one read round: records by key and the pending-event states of `hosts`
   * (lib/pipeline/pending-events.ts), together.
   */
  read(keys: readonly string[], hosts: readonly string[], options?: ReadOptions): Promise<BatchRead>;
  /**
   * A trigger's one write round: records, then the hosts' states (`json` undefined deletes one). With
   * `conditional` (the default), a state is written only if its version is still the one read (undefined:
   * none existed); hosts whose state another invocation changed since are returned, not written, and the
   * caller merges again (`readPending`).
   */
  write(
    records: ReadonlyMap<string, ProcessRecord>,
    pending: readonly PendingWrite[],
    options?: { readonly conditional?: boolean },
  ): Promise<{ conflicts: string[] }>;
  /** Pending states alone: after a conflict. */
  readPending(hosts: readonly string[]): Promise<ReadonlyMap<string, StoredPending>>;
  /**
   * Processes that exited: their records can go. Optional: the DynamoDB store lets TTL expire them (a delete
   * per exit would double the write cost); the in-memory store frees the memory and the stale pid.
   */
  evict?(exits: readonly ProcessExitRef[]): Promise<void>;
  /**
   * Before a Kinesis batch: the shard it comes from (lib/lineage/tiered-store.ts). A store that remembers
   * what it processed checks here that no other container processed the shard in between.
   */
  claim?(shard: string): Promise<void>;
  /**
   * After the Kinesis batch: the claim renewed for the next, with whether the batch failed in part
   * (lib/lineage/tiered-store.ts). Never throws.
   */
  release?(shard: string, outcome: { readonly failed: boolean }): Promise<void>;
  /** The hosts' pid allocators as this store's container traced them, while that holds (BatchDeps.pids). */
  readonly pids?: PidAllocations | undefined;
}

export interface ReadOptions {
  /**
   * Strongly consistent (the default of the DynamoDB store): a record written a moment ago by the previous
   * batch must be seen. Eventually consistent costs half, for records known to be older than that.
   */
  readonly consistentRead?: boolean;
  /**
   * Keys a store that keeps records in memory looks up there only: own keys of processes whose pid was
   * handed out since the host has been traced (lib/pipeline/process-batch.ts planBatch). Other stores read
   * them like any key.
   */
  readonly memoryOnly?: ReadonlySet<string>;
}

export interface ProcessExitRef {
  readonly key: string;
  readonly time: number;
  readonly entityId?: string | undefined;
}

/** A host's pending-event state as stored: opaque JSON and the version it was written with. */
export interface StoredPending {
  readonly json: string;
  readonly version: number;
}

export interface BatchRead {
  readonly records: ReadonlyMap<string, ProcessRecord>;
  readonly pending: ReadonlyMap<string, StoredPending>;
}

export interface PendingWrite {
  readonly host: string;
  /** The new state; undefined deletes it. */
  readonly json: string | undefined;
  /** The version read; undefined when none was stored. */
  readonly version: number | undefined;
}
