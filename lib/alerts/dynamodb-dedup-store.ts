import { createHash } from "node:crypto";
import { type DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { awsCallError, callAws } from "../aws/retry.js";
import { runBounded } from "../bounded.js";
import { DetectorError } from "../errors.js";
import type { DedupLimits, DedupOutcome, DedupStore, Sighting } from "./dedup-store.js";

export interface DynamoDbDedupStoreOptions {
  readonly client: DynamoDBClient;
  /** The lineage table: dedup items live beside the process records, under their own key prefix. */
  readonly tableName: string;
  readonly windowSeconds: number;
  /**
   * How long a window's item outlives the window (default one day). A batch redelivered later still finds
   * it, so its opener is not published twice: keep it above the Kinesis mapping's maximum record age.
   */
  readonly retainSeconds?: number;
}

/** DynamoDB allows 2048 bytes of partition key; the dedup key holds a path and a host from telemetry. */
const MAX_KEY_BYTES = 1024;
/** Updates of distinct items in flight at once (the SDK's keep-alive agent holds 50 sockets). */
const MAX_CONCURRENT_UPDATES = 16;
/**
 * Alert dedup in DynamoDB (DESIGN §6): one UpdateItem per window's item per batch, adding the batch's
 * sightings of it (a record with 2,000 hits on one key is one update, not 2,000 on a hot key).
 *
 * Windows are TUMBLING (item `d|${key}|${floor(time / window)}`), not sliding from the first sighting as in
 * the in-memory store: a sliding window needs "if the window expired, reset it, else count", and an update
 * expression has no if/else, so it would cost a conditional update plus a second call on every expiry.
 * With tumbling windows the window's item is simply created by its first sighting, and `if_not_exists` makes
 * that sighting its opener. The consequence: an alert at 10:59 and one at 11:01 (hour windows) fall in two
 * windows and both go out.
 *
 * Redelivery: `first` stays true for the opener, every time it is sighted; the delivery claims
 * (lib/alerts/delivery-claims.ts) decide whether it still has to go out. The count is approximate on
 * redelivery: every redelivered sighting, the opener's included, is counted again (remembering every alert
 * id of a window would make the item grow with the count).
 */
export class DynamoDbDedupStore implements DedupStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #windowMs: number;
  readonly #retainSeconds: number;

  constructor(options: DynamoDbDedupStoreOptions) {
    if (!(options.windowSeconds > 0)) throw new DetectorError("dedup window must be positive");
    this.#client = options.client;
    this.#table = options.tableName;
    this.#windowMs = options.windowSeconds * 1000;
    this.#retainSeconds = options.retainSeconds ?? 86_400;
  }

  async recordAll(sightings: readonly Sighting[], limits?: DedupLimits): Promise<DedupOutcome[]> {
    // Sightings of one item (key and window), in batch order: one update adds them all.
    const groups = new Map<string, { key: string; window: number; members: number[] }>();
    sightings.forEach((s, i) => {
      const window = Math.floor(s.time / this.#windowMs);
      const pk = itemKey(s.key, window);
      const group = groups.get(pk);
      if (group === undefined) groups.set(pk, { key: s.key, window, members: [i] });
      else group.members.push(i);
    });
    const outcomes: DedupOutcome[] = new Array(sightings.length);
    const items = [...groups.entries()];
    const started = await runBounded(
      items,
      MAX_CONCURRENT_UPDATES,
      async ([pk, { key, window, members }]) => {
        const first = sightings[members[0]!]!;
        try {
          const item = await this.#add(pk, key, window, first, members.length);
          // Recorded one by one, the i-th sighting would have seen the count before the batch plus i + 1.
          const before = item.count - members.length;
          members.forEach((m, i) => {
            outcomes[m] = {
              first: item.opener === sightings[m]!.alertId,
              count: before + i + 1,
              firstSeen: item.firstSeen,
            };
          });
        } catch (error) {
          const failure = error instanceof DetectorError ? error : awsCallError("dedup", error, {});
          for (const m of members) outcomes[m] = { error: failure };
        }
      },
      () => limits === undefined || limits.now() <= limits.deadline,
    );
    for (const [, { key, members }] of items.slice(started)) {
      const late = new DetectorError("dedup update not started before the invocation's deadline", {
        retryable: true,
        context: { table: this.#table, dedupKey: key.slice(0, 512) },
      });
      for (const m of members) outcomes[m] = { error: late };
    }
    return outcomes;
  }

  /** One UpdateItem: `n` sightings added to the window's item, `first` its opener if it has none yet. */
  async #add(
    pk: string,
    key: string,
    window: number,
    first: Sighting,
    n: number,
  ): Promise<{ count: number; firstSeen: number; opener: string | undefined }> {
    const expiresAt = Math.ceil(((window + 1) * this.#windowMs) / 1000) + this.#retainSeconds;
    const output = await this.#send("UpdateItem", key, () =>
      this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { pk: { S: pk } },
          UpdateExpression:
            "ADD #count :n SET #firstSeen = if_not_exists(#firstSeen, :t), " +
            "#opener = if_not_exists(#opener, :id), #expiresAt = if_not_exists(#expiresAt, :ttl)",
          ExpressionAttributeNames: {
            "#count": "count",
            "#firstSeen": "firstSeen",
            "#opener": "opener",
            "#expiresAt": "expiresAt",
          },
          ExpressionAttributeValues: {
            ":n": { N: String(n) },
            ":t": { N: String(first.time) },
            ":id": { S: first.alertId },
            ":ttl": { N: String(expiresAt) },
          },
          ReturnValues: "ALL_NEW",
        }),
      ),
    );
    const item = output.Attributes ?? {};
    const count = Number(item["count"]?.N);
    const firstSeen = Number(item["firstSeen"]?.N);
    return {
      count: Number.isFinite(count) ? count : n,
      firstSeen: Number.isFinite(firstSeen) ? firstSeen : first.time,
      opener: item["opener"]?.S,
    };
  }

  #send<T>(operation: string, key: string, call: () => Promise<T>): Promise<T> {
    const context = { table: this.#table, operation, dedupKey: key.slice(0, 512) };
    return callAws(`DynamoDB ${operation} on ${this.#table}`, context, call);
  }
}

function itemKey(key: string, window: number): string {
  const pk = `d|${key}|${window}`;
  return Buffer.byteLength(pk) <= MAX_KEY_BYTES
    ? pk
    : `d|#${createHash("sha256").update(key).digest("base64url")}|${window}`;
}
