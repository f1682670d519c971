import { type HeldRecord, holdRecord, type NodeView, newAccount } from "./held-record.js";
import type {
  BatchRead,
  LineageStore,
  PendingWrite,
  ProcessExitRef,
  StoredPending,
} from "./lineage-store.js";
import type { ProcessRecord } from "./process-record.js";

/**
 * Bytes of lineage the CLI keeps by default (estimated: lib/lineage/held-record.ts): 47,000 to 94,000
 * processes of the benchmark's fleet (about 1.4 KB each), the live ones of a busy fleet's replay; a long
 * replay forgets the least recently used. Not more: from 160 MiB on, the benchmark's stale record of a reused
 * pid lends a process a wrong ancestor again (README, Performance).
 */
export const DEFAULT_MEMORY_BYTES = 128 * 1024 * 1024;

/** A generation's Map entry (key, value, chain) and its key's string header; the key's characters are added. */
const ENTRY_BYTES = 3 * 8 + 16;

/** A record's entry, without its ancestors' nodes (charged to the generation: HeldRecord.chargeTo). */
const entryBytes = (key: string, record: HeldRecord): number =>
  ENTRY_BYTES + 2 * key.length + record.ownBytes;

/**
 * The in-memory lineage store (CLI, unit tests), bounded by the bytes its records keep alive, so that
 * replaying a month of logs, or records with 16 KB of arguments each, does not grow without limit. An
 * approximate LRU in two generations: writes and hits go to the young map; when it would hold more than half
 * the bound it becomes the old one and the previous old one is dropped whole. Every operation is one or two
 * Map lookups, with none of the delete-and-reinsert churn of an exact LRU on the hot path, the estimate is
 * computed once per record written, and at least the most recently used half of the bound is always kept.
 * A parent's node, shared by its children, is charged once to each generation holding one of them, until that
 * generation is dropped; a record in both generations (promoted by a hit) counts in both: the estimate stays
 * on the high side. An evicted record's own bytes are released at once.
 * A batch holds the records it read and wrote itself (lib/pipeline/process-batch.ts): what is evicted while
 * it runs is only gone for later batches.
 */
export class MemoryLineageStore implements LineageStore {
  #young = new Map<string, HeldRecord>();
  #old = new Map<string, HeldRecord>();
  #youngBytes = 0;
  #oldBytes = 0;
  /** What the young generation's nodes are charged to (HeldRecord.chargeTo). */
  #youngAccount = newAccount();
  /** What one generation may hold, in estimated bytes: half the bound. */
  readonly #generation: number;
  /** Pending-event states by host (tests of the triggers on this store; the CLI decodes in one piece). */
  readonly #pending = new Map<string, StoredPending>();

  constructor(maxBytes = DEFAULT_MEMORY_BYTES) {
    this.#generation = Math.max(1, maxBytes / 2);
  }

  /** Records held (an upper bound: a record promoted from the old generation counts twice until it ages). */
  get size(): number {
    return this.#young.size + this.#old.size;
  }

  /** Estimated bytes the held records keep alive (the bound's measure; an upper bound like `size`). */
  get bytes(): number {
    return this.#youngBytes + this.#oldBytes;
  }

  async getMany(keys: readonly string[]): Promise<ReadonlyMap<string, ProcessRecord>> {
    const found = new Map<string, ProcessRecord>();
    let promoted: string[] | undefined;
    for (const key of keys) {
      let record = this.#young.get(key);
      if (record === undefined) {
        record = this.#old.get(key);
        if (record === undefined) continue;
        promoted ??= [];
        promoted.push(key);
      }
      found.set(key, record);
    }
    // Promote after the lookups: a rotation halfway through would drop keys this same call still asks for.
    if (promoted !== undefined) for (const key of promoted) this.#set(key, found.get(key) as HeldRecord);
    return found;
  }

  /** Only the exited process's own record goes: not a newer holder of the pid, not another image id. */
  async evict(exits: readonly ProcessExitRef[]): Promise<void> {
    for (const exit of exits) {
      this.#youngBytes -= evictFrom(this.#young, exit);
      this.#oldBytes -= evictFrom(this.#old, exit);
    }
  }

  async putMany(records: ReadonlyMap<string, ProcessRecord>): Promise<void> {
    // What each record of this write became: its children in the same write point to it as resolved.
    const written = new Map<object, NodeView | HeldRecord>();
    for (const [key, record] of records) this.#set(key, holdRecord(record, written));
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

  #set(key: string, record: HeldRecord): void {
    const previous = this.#young.get(key);
    const replaced = previous === undefined ? 0 : entryBytes(key, previous);
    const slot = ENTRY_BYTES + 2 * key.length;
    // Charged at once, in one pass over the ancestors: when the young generation rotates below, the nodes are
    // charged again to the new account, and the one they were marked with first is the rotated one, which
    // is never charged again (it becomes the old generation, which only loses records).
    const grown = this.#youngBytes - replaced + slot + record.chargeTo(this.#youngAccount);
    // Rotate before the young generation would pass its half of the bound: the total stays within the bound
    // unless one record alone is larger than half of it (a bound of a few KB; then that record is kept alone).
    if (grown > this.#generation && this.#young.size > (previous === undefined ? 0 : 1)) {
      this.#old = this.#young;
      this.#oldBytes = this.#youngBytes;
      this.#young = new Map();
      this.#youngAccount = newAccount();
      this.#youngBytes = slot + record.chargeTo(this.#youngAccount);
      this.#young.set(key, record);
      return;
    }
    this.#youngBytes = grown;
    this.#young.set(key, record);
  }
}

/** The exited process's record out of one generation: its bytes, or 0 when the key holds another process. */
function evictFrom(generation: Map<string, HeldRecord>, exit: ProcessExitRef): number {
  const record = generation.get(exit.key);
  if (record === undefined || record.time > exit.time) return 0;
  if (exit.entityId !== undefined && record.entityId !== undefined && exit.entityId !== record.entityId)
    return 0;
  generation.delete(exit.key);
  return entryBytes(exit.key, record);
}
