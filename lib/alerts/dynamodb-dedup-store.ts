import { createHash } from "node:crypto";
import { type DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { callAws } from "../aws/retry.js";
import { DetectorError } from "../errors.js";
import type { DedupResult, DedupStore } from "./dedup-store.js";

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
/**
 * Alert dedup in DynamoDB (DESIGN §6): one UpdateItem per sighting.
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

  async record(key: string, alertId: string, time: number): Promise<DedupResult> {
    const window = Math.floor(time / this.#windowMs);
    const pk = itemKey(key, window);
    const expiresAt = Math.ceil(((window + 1) * this.#windowMs) / 1000) + this.#retainSeconds;
    const output = await this.#send("UpdateItem", key, () =>
      this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { pk: { S: pk } },
          UpdateExpression:
            "ADD #count :one SET #firstSeen = if_not_exists(#firstSeen, :t), " +
            "#opener = if_not_exists(#opener, :id), #expiresAt = if_not_exists(#expiresAt, :ttl)",
          ExpressionAttributeNames: {
            "#count": "count",
            "#firstSeen": "firstSeen",
            "#opener": "opener",
            "#expiresAt": "expiresAt",
          },
          ExpressionAttributeValues: {
            ":one": { N: "1" },
            ":t": { N: String(time) },
            ":id": { S: alertId },
            ":ttl": { N: String(expiresAt) },
          },
          ReturnValues: "ALL_NEW",
        }),
      ),
    );
    const item = output.Attributes ?? {};
    const count = Number(item["count"]?.N);
    const firstSeen = Number(item["firstSeen"]?.N);
    const first = item["opener"]?.S === alertId;
    return {
      first,
      count: Number.isFinite(count) ? count : 1,
      firstSeen: Number.isFinite(firstSeen) ? firstSeen : time,
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
