import { createHash } from "node:crypto";
import { type DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { callAws } from "../aws/retry.js";
import type { ShardClaims } from "./shard-claims.js";

export interface DynamoDbShardClaimsOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** A claim item outlives its shard by this much (the table's TTL on `expiresAt`). */
  readonly ttlSeconds: number;
  /** This container's id: random per cold start. */
  readonly owner: string;
  readonly now?: () => number;
}

/**
 * Shard claims in the lineage table (lib/lineage/shard-claims.ts): one item per shard, `c|<shard>`, holding
 * the container that took it last and a counter. One UpdateItem before and one after each batch (a write unit
 * each), which return the item as it was: it was this container's, at the count it left, or someone came
 * between.
 */
export class DynamoDbShardClaims implements ShardClaims {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #ttlSeconds: number;
  readonly #owner: string;
  readonly #now: () => number;
  /** The count this container left on each shard it claimed. */
  readonly #left = new Map<string, number>();

  constructor(options: DynamoDbShardClaimsOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#ttlSeconds = options.ttlSeconds;
    this.#owner = options.owner;
    this.#now = options.now ?? Date.now;
  }

  async claim(shard: string): Promise<{ continued: boolean }> {
    return { continued: await this.#take(shard) };
  }

  async release(shard: string): Promise<{ undisturbed: boolean }> {
    return { undisturbed: await this.#take(shard) };
  }

  /** Takes the shard; whether it was this container's, at the count it left, just before. */
  async #take(shard: string): Promise<boolean> {
    const expiresAt = Math.floor(this.#now() / 1000) + this.#ttlSeconds;
    const output = await callAws(
      `DynamoDB UpdateItem on ${this.#table}`,
      { table: this.#table, operation: "UpdateItem", shard },
      () =>
        this.#client.send(
          new UpdateItemCommand({
            TableName: this.#table,
            Key: { pk: { S: claimKey(shard) } },
            UpdateExpression: "SET #o = :me, #ttl = :ttl ADD #n :one",
            ExpressionAttributeNames: { "#o": "owner", "#n": "n", "#ttl": "expiresAt" },
            ExpressionAttributeValues: {
              ":me": { S: this.#owner },
              ":one": { N: "1" },
              ":ttl": { N: String(expiresAt) },
            },
            ReturnValues: "ALL_OLD",
          }),
        ),
    );
    const before = output.Attributes;
    const count = Number(before?.["n"]?.N ?? 0);
    const ours = before?.["owner"]?.S === this.#owner && this.#left.get(shard) === count;
    this.#left.set(shard, count + 1);
    return ours;
  }
}

/** `c|<shard>`; a shard id longer than a key allows is replaced by its SHA-256. */
export function claimKey(shard: string): string {
  const pk = `c|${shard}`;
  return Buffer.byteLength(pk) <= 1024 ? pk : `c|#${createHash("sha256").update(shard).digest("base64url")}`;
}
