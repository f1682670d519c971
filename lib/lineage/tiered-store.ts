import { DetectorError } from "../errors.js";
import type {
  BatchRead,
  LineageStore,
  PendingWrite,
  ProcessExitRef,
  ReadOptions,
  StoredPending,
} from "./lineage-store.js";
import { MemoryLineageStore } from "./memory-store.js";
import { PidAllocations } from "./pid-allocation.js";
import { asAncestor, type ProcessRecord } from "./process-record.js";
import type { ShardClaims } from "./shard-claims.js";

/** What a container keeps of its shards' hosts by default (the function has 512 MB). */
export const DEFAULT_CACHE_BYTES = 96 * 1024 * 1024;
/**
 * How long a container must have held a shard before a record it has not seen is read eventually
 * consistent: such a record was written before the container took the shard over, and DynamoDB's replicas
 * agree within a second or so.
 */
export const EVENTUAL_AFTER_MS = 10_000;
/** Keys remembered as absent from the durable store; past it that memory starts over. */
const MAX_ABSENT = 200_000;

export interface TieredLineageStoreOptions {
  /** The durable store (DynamoDB): what outlives the container. */
  readonly durable: LineageStore;
  readonly claims: ShardClaims;
  /** Whether a record belongs in the durable store (lib/pipeline/keep-record.ts). */
  readonly keep: (record: ProcessRecord) => boolean;
  readonly cacheBytes?: number;
  readonly now?: () => number;
}

/**
 * The Kinesis function's lineage store (DESIGN §5, lineage v2): the container's memory in front of DynamoDB.
 *
 * A host's records stay on one shard (partition key = host), processed in order one batch at a time; most
 * batches of a shard land on the container that processed the one before. While it holds the shard
 * (ShardClaims, one write per batch), what it remembers is exactly what the table would hold, and more: every
 * record of its hosts, the keys the table does not have, the hosts' pending states, and the hosts' pid
 * allocators (lib/lineage/pid-allocation.ts). Reads go to DynamoDB only for what it has not seen, eventually
 * consistent once it has held the shard a while. Writes go to DynamoDB only for the records a later
 * container can need (`keep`), and for a leaf that turns out to have a child in a later batch (its child's
 * first ancestor, served from memory): with the hosts' states, that is all a container taking over needs.
 *
 * When another container processed the shard in between, or the claim fails, everything remembered is
 * dropped, and the batch reads the table strongly consistent like a cold start; when the claim itself fails,
 * the batch fails and goes again. A trigger that claims no shard (CloudWatch Logs: envelopes processed
 * concurrently) passes straight through to the durable store.
 */
export class TieredLineageStore implements LineageStore {
  readonly #durable: LineageStore;
  readonly #claims: ShardClaims;
  readonly #keep: (record: ProcessRecord) => boolean;
  readonly #cacheBytes: number;
  readonly #now: () => number;
  #cache: MemoryLineageStore;
  readonly #pids = new PidAllocations();
  /** Set by `claim` for the invocation: off (pass through) until a shard is held. */
  #warm = false;
  /** Another container claimed the shard during the last batch, or the release failed: start afresh. */
  #disturbed = false;
  /** When this container took its current shards over. */
  #since = 0;
  /** Records in memory that the durable store also holds (their objects as the memory store keeps them). */
  #inDurable = new WeakSet<object>();
  /**
   * Records served from memory that the durable store does not hold, by the node their children point to
   * (ProcessRecord.node) and by themselves: a child promotes them.
   */
  readonly #soft = new Map<object, { readonly key: string; readonly record: ProcessRecord }>();
  #absent = new Set<string>();
  /** The hosts' pending states as this container wrote or read them (null: none). */
  #pending = new Map<string, StoredPending | null>();

  constructor(options: TieredLineageStoreOptions) {
    this.#durable = options.durable;
    this.#claims = options.claims;
    this.#keep = options.keep;
    this.#cacheBytes = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
    this.#now = options.now ?? Date.now;
    this.#cache = new MemoryLineageStore(this.#cacheBytes);
  }

  /** The hosts' pid allocators, while what this container traced of them holds (BatchDeps.pids). */
  get pids(): PidAllocations | undefined {
    return this.#warm ? this.#pids : undefined;
  }

  /**
   * Before a Kinesis batch: claims `shard`. Continued, memory holds; taken over, memory starts afresh. A claim
   * that fails throws (the batch must go again): a batch written without a claim would leave another
   * container trusting a memory the table no longer matches.
   */
  async claim(shard: string): Promise<void> {
    this.#soft.clear();
    let continued: boolean;
    try {
      ({ continued } = await this.#claims.claim(shard));
    } catch (error) {
      this.#forget();
      this.#warm = false;
      if (error instanceof DetectorError) throw error;
      throw new DetectorError("shard claim failed", { retryable: true, cause: error, context: { shard } });
    }
    if (!continued || this.#disturbed) {
      this.#forget();
      this.#since = this.#now();
    }
    this.#disturbed = false;
    this.#warm = true;
  }

  /**
   * After the Kinesis batch: claims `shard` again. When another container claimed it in between (the same
   * batch delivered to two containers at once), what it wrote may have landed after this one's writes; when
   * the batch failed, it may have traced events whose records it never wrote: either way the next batch
   * starts afresh. Never throws.
   */
  async release(shard: string, outcome: { readonly failed: boolean }): Promise<void> {
    if (!this.#warm) return;
    if (outcome.failed) this.#disturbed = true;
    try {
      const { undisturbed } = await this.#claims.release(shard);
      if (!undisturbed) this.#disturbed = true;
    } catch {
      this.#disturbed = true;
    }
  }

  #forget(): void {
    this.#cache = new MemoryLineageStore(this.#cacheBytes);
    this.#inDurable = new WeakSet();
    this.#absent = new Set();
    this.#pending = new Map();
    this.#pids.clear();
  }

  async getMany(keys: readonly string[]): Promise<ReadonlyMap<string, ProcessRecord>> {
    return (await this.read(keys, [])).records;
  }

  async readPending(hosts: readonly string[]): Promise<ReadonlyMap<string, StoredPending>> {
    return (await this.read([], hosts)).pending;
  }

  async read(keys: readonly string[], hosts: readonly string[], options?: ReadOptions): Promise<BatchRead> {
    if (!this.#warm) return this.#durable.read(keys, hosts, options);
    const records = new Map(await this.#cache.getMany(keys));
    for (const [key, record] of records) {
      if (this.#inDurable.has(record)) continue;
      this.#soft.set(record, { key, record });
      this.#soft.set(asAncestor(record), { key, record });
    }
    const memoryOnly = options?.memoryOnly;
    const unseen = keys.filter(
      (key) => !records.has(key) && !this.#absent.has(key) && memoryOnly?.has(key) !== true,
    );
    const pending = new Map<string, StoredPending>();
    const unknownHosts: string[] = [];
    for (const host of hosts) {
      const state = this.#pending.get(host);
      if (state === undefined) unknownHosts.push(host);
      else if (state !== null) pending.set(host, state);
    }
    if (unseen.length === 0 && unknownHosts.length === 0) return { records, pending };

    const read = await this.#durable.read(unseen, unknownHosts, {
      consistentRead: this.#now() - this.#since < EVENTUAL_AFTER_MS,
    });
    const found = new Map<string, ProcessRecord>();
    if (this.#absent.size + unseen.length > MAX_ABSENT) this.#absent = new Set();
    for (const key of unseen) {
      const record = read.records.get(key);
      if (record === undefined) this.#absent.add(key);
      else found.set(key, record);
    }
    for (const [key, record] of found) records.set(key, record);
    await this.#remember(found, found);
    for (const host of unknownHosts) {
      const state = read.pending.get(host);
      this.#pending.set(host, state ?? null);
      if (state !== undefined) pending.set(host, state);
    }
    return { records, pending };
  }

  async putMany(records: ReadonlyMap<string, ProcessRecord>): Promise<void> {
    await this.write(records, []);
  }

  async write(
    records: ReadonlyMap<string, ProcessRecord>,
    pending: readonly PendingWrite[],
    options?: { readonly conditional?: boolean },
  ): Promise<{ conflicts: string[] }> {
    if (!this.#warm) return this.#durable.write(records, pending, options);
    const durable = new Map<string, ProcessRecord>();
    for (const [key, record] of records) if (this.#keep(record)) durable.set(key, record);
    // A leaf of an earlier batch that has a child now can have more: a container taking over needs it.
    for (const record of records.values()) {
      const parent = record.ancestors[0];
      const soft = parent === undefined ? undefined : this.#soft.get(parent);
      if (soft !== undefined && !records.has(soft.key)) durable.set(soft.key, soft.record);
    }
    let result: { conflicts: string[] };
    try {
      result = await this.#durable.write(durable, pending, options);
    } catch (error) {
      // Part of it may be in the table (records, or some hosts' states): memory no longer says what is.
      this.#disturbed = true;
      throw error;
    }
    await this.#remember(records, durable);
    const conflicts = new Set(result.conflicts);
    for (const { host, json, version } of pending) {
      if (conflicts.has(host)) this.#pending.delete(host);
      else this.#pending.set(host, json === undefined ? null : { json, version: (version ?? 0) + 1 });
    }
    this.#soft.clear();
    return result;
  }

  /** `records` into memory; those of `durable` (a subset, or promoted parents) marked as in the table too. */
  async #remember(
    records: ReadonlyMap<string, ProcessRecord>,
    durable: ReadonlyMap<string, ProcessRecord>,
  ): Promise<void> {
    if (records.size === 0 && durable.size === 0) return;
    const all = new Map(records);
    for (const [key, record] of durable) if (!all.has(key)) all.set(key, record);
    await this.#cache.putMany(all);
    for (const key of all.keys()) this.#absent.delete(key);
    if (durable.size === 0) return;
    for (const held of (await this.#cache.getMany([...durable.keys()])).values()) this.#inDurable.add(held);
  }

  async evict(exits: readonly ProcessExitRef[]): Promise<void> {
    if (this.#warm) await this.#cache.evict(exits);
    else await this.#durable.evict?.(exits);
  }
}
