import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import { callAws, type RetryOptions, retryPartial } from "../aws/retry.js";
import { DetectorError } from "../errors.js";
import type { BatchRead, LineageStore, PendingWrite, ReadOptions, StoredPending } from "./lineage-store.js";
import type { ProcessRecord } from "./process-record.js";
import {
  decodePendingItem,
  decodeRecord,
  encodePendingItem,
  encodeRecord,
  isExpired,
  PACKED_ATTRIBUTE,
  PENDING_ATTRIBUTE,
  PK,
  pendingKey,
  pkOfProcessKey,
  RECORD_ATTRIBUTE,
  TTL_ATTRIBUTE,
  VERSION_ATTRIBUTE,
} from "./record-codec.js";

/** DynamoDB's limits per call: 100 keys per BatchGetItem, 25 requests per BatchWriteItem. */
const MAX_GET_KEYS = 100;
const MAX_WRITE_ITEMS = 25;

export interface DynamoDbLineageStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** How long a record lives after its last write (the table's TTL on `expiresAt`). */
  readonly ttlSeconds: number;
  /** Epoch ms; injected by tests. */
  readonly now?: () => number;
  /** Backoff for unprocessed keys and items (lib/aws/retry.ts defaults). */
  readonly retry?: RetryOptions;
  /**
   * Strongly consistent reads (default true): a child often arrives in the batch right after its parent's,
   * a few milliseconds after the parent's record was written, and an eventually consistent read could miss
   * it and with it the alert. It costs one read unit per record (records stay under 4 KB) instead of a half.
   */
  readonly consistentRead?: boolean;
}

/** What the store did since it was built: for metrics and the call-count tests. */
export interface LineageStoreStats {
  /** BatchGetItem and BatchWriteItem calls sent. */
  calls: number;
  /** Rounds re-sending unprocessed keys or items. */
  retries: number;
  /** Items that were found but could not be decoded: the process is treated as unknown. */
  corrupt: number;
  /** Items past their `expiresAt` that DynamoDB's TTL sweep (which can lag by days) had not deleted yet. */
  expired: number;
}

/**
 * The lineage store of the Lambda functions (DESIGN §5): one round of parallel BatchGetItem calls per batch
 * for the keys it could not resolve itself, one round of BatchWriteItem calls for what it learned. DynamoDB
 * may process only part of a batch call (throttling, a 16 MB response): the rest is re-sent with backoff,
 * and if it never goes through the batch fails with a retryable error so that Kinesis redelivers it.
 */
export class DynamoDbLineageStore implements LineageStore {
  readonly stats: LineageStoreStats = { calls: 0, retries: 0, corrupt: 0, expired: 0 };
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #ttlSeconds: number;
  readonly #now: () => number;
  readonly #retry: RetryOptions;
  readonly #consistentRead: boolean;

  constructor(options: DynamoDbLineageStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#ttlSeconds = options.ttlSeconds;
    this.#now = options.now ?? Date.now;
    this.#retry = options.retry ?? {};
    this.#consistentRead = options.consistentRead ?? true;
  }

  async getMany(keys: readonly string[]): Promise<ReadonlyMap<string, ProcessRecord>> {
    return (await this.read(keys, [])).records;
  }

  async readPending(hosts: readonly string[]): Promise<ReadonlyMap<string, StoredPending>> {
    return (await this.read([], hosts)).pending;
  }

  /** One round of parallel BatchGetItem calls for the records and the hosts' pending states together. */
  async read(
    keys: readonly string[],
    hosts: readonly string[],
    options: ReadOptions = {},
  ): Promise<BatchRead> {
    const consistent = options.consistentRead ?? this.#consistentRead;
    const records = new Map<string, ProcessRecord>();
    const pending = new Map<string, StoredPending>();
    // A key twice in one BatchGetItem is a ValidationException for the whole call.
    const wanted = new Map<string, { kind: "record" | "pending"; key: string }>();
    for (const key of keys) wanted.set(pkOfProcessKey(key), { kind: "record", key });
    for (const host of hosts) wanted.set(pendingKey(host), { kind: "pending", key: host });
    if (wanted.size === 0) return { records, pending };

    const nowSeconds = this.#now() / 1000;
    const left = await retryPartial(
      [...wanted.keys()],
      async (pks, attempt) => {
        if (attempt > 1) this.stats.retries++;
        const rounds = await Promise.all(chunk(pks, MAX_GET_KEYS).map((part) => this.#get(part, consistent)));
        const unprocessed: string[] = [];
        for (const { items, unprocessed: rest } of rounds) {
          for (const item of items) {
            const pk = item[PK]?.S;
            const want = pk === undefined ? undefined : wanted.get(pk);
            if (want === undefined) continue;
            // Expired is gone: TTL deletes late, and a week-old record of a pid is another process's.
            if (isExpired(item, nowSeconds)) {
              this.stats.expired++;
              continue;
            }
            if (want.kind === "pending") {
              const state = decodePendingItem(item);
              if (state === undefined) this.stats.corrupt++;
              else pending.set(want.key, state);
              continue;
            }
            const record = decodeRecord(item, want.key);
            if (record === undefined) this.stats.corrupt++;
            else records.set(want.key, record);
          }
          unprocessed.push(...rest);
        }
        return unprocessed.length > 0 ? unprocessed : undefined;
      },
      this.#retry,
    );
    if (left !== undefined) throw this.#exhausted("BatchGetItem", left.length, wanted.size);
    return { records, pending };
  }

  /**
   * One write round: BatchWriteItem calls for the records, then the hosts' states. Records first: a record write
   * that fails leaves the states as the redelivery needs them. With `conditional`, one PutItem (or DeleteItem)
   * per state, applied only over the version read: two invocations racing on a host must not overwrite each
   * other's parts. Without, the states go in BatchWriteItem calls like the records: for a trigger that
   * processes a host's records one batch at a time (a Kinesis shard, partitioned by host), where a state can
   * only be raced by a duplicate of the same batch, which writes the same state.
   */
  async write(
    records: ReadonlyMap<string, ProcessRecord>,
    pending: readonly PendingWrite[],
    options: { readonly conditional?: boolean } = {},
  ): Promise<{ conflicts: string[] }> {
    await this.putMany(records);
    if (pending.length === 0) return { conflicts: [] };
    if (options.conditional ?? true) {
      const outcomes = await Promise.all(pending.map((state) => this.#writePending(state)));
      return { conflicts: outcomes.filter((host): host is string => host !== undefined) };
    }
    const expiresAt = Math.floor(this.#now() / 1000) + this.#ttlSeconds;
    await this.#batchWrite(
      pending.map(({ host, json, version }): WriteRequest => {
        const pk = pendingKey(host);
        return json === undefined
          ? { DeleteRequest: { Key: { [PK]: { S: pk } } } }
          : { PutRequest: { Item: encodePendingItem(pk, json, (version ?? 0) + 1, expiresAt) } };
      }),
    );
    return { conflicts: [] };
  }

  /** The host's state written if still at `version`; the host when another invocation changed it. */
  async #writePending({ host, json, version }: PendingWrite): Promise<string | undefined> {
    const pk = pendingKey(host);
    const condition =
      version === undefined
        ? { ConditionExpression: "attribute_not_exists(#pk)", ExpressionAttributeNames: { "#pk": PK } }
        : {
            ConditionExpression: "#ver = :ver",
            ExpressionAttributeNames: { "#ver": VERSION_ATTRIBUTE },
            ExpressionAttributeValues: { ":ver": { N: String(version) } },
          };
    try {
      if (json === undefined) {
        if (version === undefined) return undefined;
        await this.#send("DeleteItem", 1, () =>
          this.#client.send(
            new DeleteItemCommand({ TableName: this.#table, Key: { [PK]: { S: pk } }, ...condition }),
          ),
        );
      } else {
        const expiresAt = Math.floor(this.#now() / 1000) + this.#ttlSeconds;
        await this.#send("PutItem", 1, () =>
          this.#client.send(
            new PutItemCommand({
              TableName: this.#table,
              Item: encodePendingItem(pk, json, (version ?? 0) + 1, expiresAt),
              ...condition,
            }),
          ),
        );
      }
      return undefined;
    } catch (error) {
      if (
        error instanceof DetectorError &&
        (error.cause as Error | undefined)?.name === "ConditionalCheckFailedException"
      )
        return host;
      throw error;
    }
  }

  async putMany(records: ReadonlyMap<string, ProcessRecord>): Promise<void> {
    if (records.size === 0) return;
    const expiresAt = Math.floor(this.#now() / 1000) + this.#ttlSeconds;
    // Keyed by item key: two requests for one key in a BatchWriteItem are a ValidationException.
    const requests = new Map<string, WriteRequest>();
    for (const record of records.values()) {
      const item = encodeRecord(record, expiresAt);
      requests.set(item[PK]!.S!, { PutRequest: { Item: item } });
    }

    await this.#batchWrite([...requests.values()]);
  }

  /** Parallel BatchWriteItem calls of 25, unprocessed items re-sent with backoff, then a retryable error. */
  async #batchWrite(requests: WriteRequest[]): Promise<void> {
    const left = await retryPartial(
      requests,
      async (pending, attempt) => {
        if (attempt > 1) this.stats.retries++;
        const rounds = await Promise.all(chunk(pending, MAX_WRITE_ITEMS).map((part) => this.#write(part)));
        const unprocessed = rounds.flat();
        return unprocessed.length > 0 ? unprocessed : undefined;
      },
      this.#retry,
    );
    if (left !== undefined) throw this.#exhausted("BatchWriteItem", left.length, requests.length);
  }

  async #get(pks: readonly string[], consistent: boolean) {
    const output = await this.#send("BatchGetItem", pks.length, () =>
      this.#client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [this.#table]: {
              Keys: pks.map((pk) => ({ [PK]: { S: pk } })),
              // The key (to map items back), a record or a pending state, and the expiry.
              ProjectionExpression: "#pk, #r, #z, #s, #ver, #ttl",
              ExpressionAttributeNames: {
                "#pk": PK,
                "#r": RECORD_ATTRIBUTE,
                "#z": PACKED_ATTRIBUTE,
                "#s": PENDING_ATTRIBUTE,
                "#ver": VERSION_ATTRIBUTE,
                "#ttl": TTL_ATTRIBUTE,
              },
              ConsistentRead: consistent,
            },
          },
        }),
      ),
    );
    const unprocessed: string[] = [];
    for (const key of output.UnprocessedKeys?.[this.#table]?.Keys ?? []) {
      const pk = key[PK]?.S;
      if (pk !== undefined) unprocessed.push(pk);
    }
    return { items: output.Responses?.[this.#table] ?? [], unprocessed };
  }

  async #write(requests: WriteRequest[]): Promise<WriteRequest[]> {
    const output = await this.#send("BatchWriteItem", requests.length, () =>
      this.#client.send(new BatchWriteItemCommand({ RequestItems: { [this.#table]: requests } })),
    );
    return output.UnprocessedItems?.[this.#table] ?? [];
  }

  /** One SDK call (the SDK has already retried throttling by then): its failure as a DetectorError. */
  #send<T>(operation: string, size: number, call: () => Promise<T>): Promise<T> {
    this.stats.calls++;
    return callAws(`DynamoDB ${operation} on ${this.#table}`, { table: this.#table, operation, size }, call);
  }

  #exhausted(operation: string, unprocessed: number, total: number): DetectorError {
    return new DetectorError(
      `DynamoDB ${operation} on ${this.#table} left ${unprocessed} of ${total} unprocessed after retries`,
      { retryable: true, context: { table: this.#table, operation, unprocessed, total } },
    );
  }
}

function chunk<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
