import { createHash, randomUUID } from "node:crypto";
import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { callAws } from "../aws/retry.js";
import { DetectorError } from "../errors.js";
import { type ClaimResult, type DeliveryClaims, RecentIds } from "./delivery-claims.js";

/**
 * The delivery claims of lib/alerts/delivery-claims.ts in the project's one table, one item per destination
 * and alert id (`${prefix}|${alertId}`):
 *
 *   claim   GetItem (consistent) → posted: skip; claimed with a live lease: in flight; else a conditional
 *           PutItem `claimed, owner, leaseUntil` that succeeds only if no item exists or the existing
 *           claim's lease has run out (another invocation may have claimed or posted since the read).
 *   mark    PutItem `posted` (unconditional: posted is final, whoever wrote it).
 *   release PutItem the claim back with leaseUntil 0, only if it is still ours.
 *
 * Items expire (TTL `expiresAt`) after `ttlSeconds`, by default 15 days: longer than a failure queue keeps a
 * message (14 days), so that redriving it never delivers an alert that did go out.
 */
export interface DynamoDbDeliveryClaimsOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Key prefix naming the destination: `slack`, `sns`… (one claim per alert id and destination). */
  readonly prefix: string;
  /** How long an item is kept (default 15 days). */
  readonly ttlSeconds?: number;
  /** Injected by tests: epoch ms. */
  readonly now?: () => number;
  /** Injected by tests: the claim's owner token. */
  readonly newToken?: () => string;
}

export const DEFAULT_CLAIM_TTL_SECONDS = 15 * 86_400;
/** DynamoDB allows 2048 bytes of partition key; alert ids are 32 hex characters, this is a guard. */
const MAX_KEY_BYTES = 1024;

export class DynamoDbDeliveryClaims implements DeliveryClaims {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #ttlSeconds: number;
  readonly #now: () => number;
  readonly #newToken: () => string;
  readonly #prefix: string;
  /**
   * Ids this container delivered: a redelivery that lands on the same warm container (the usual case for a
   * Kinesis shard) skips them without a call, even when the mark itself could not be written.
   */
  readonly #delivered = new RecentIds();

  constructor(options: DynamoDbDeliveryClaimsOptions) {
    this.#prefix = options.prefix;
    this.#client = options.client;
    this.#table = options.tableName;
    this.#ttlSeconds = options.ttlSeconds ?? DEFAULT_CLAIM_TTL_SECONDS;
    this.#now = options.now ?? Date.now;
    this.#newToken = options.newToken ?? randomUUID;
  }

  async claim(alertId: string, leaseUntil: number): Promise<ClaimResult> {
    if (this.#delivered.has(alertId)) return { kind: "posted" };
    const pk = claimKey(this.#prefix, alertId);
    const now = this.#now();
    const current = await this.#send("GetItem", alertId, () =>
      this.#client.send(
        new GetItemCommand({
          TableName: this.#table,
          Key: { pk: { S: pk } },
          // A claim or mark written a moment ago by another invocation must be seen.
          ConsistentRead: true,
          ProjectionExpression: "#state, #leaseUntil",
          ExpressionAttributeNames: { "#state": "state", "#leaseUntil": "leaseUntil" },
        }),
      ),
    );
    const state = current.Item?.["state"]?.S;
    if (state === "posted") {
      this.#delivered.add(alertId);
      return { kind: "posted" };
    }
    const held = Number(current.Item?.["leaseUntil"]?.N ?? 0);
    if (state === "claimed" && held >= now) return { kind: "in-flight", leaseUntil: held };

    const token = this.#newToken();
    try {
      await this.#send("PutItem", alertId, () =>
        this.#client.send(
          new PutItemCommand({
            ...this.#item(pk, { state: "claimed", owner: token, leaseUntil: leaseUntil }),
            // Between the read and this write another invocation may have claimed or posted.
            ConditionExpression: "attribute_not_exists(pk) OR (#state = :claimed AND #leaseUntil < :now)",
            ExpressionAttributeNames: { "#state": "state", "#leaseUntil": "leaseUntil" },
            ExpressionAttributeValues: { ":claimed": { S: "claimed" }, ":now": { N: String(now) } },
          }),
        ),
      );
    } catch (error) {
      if (error instanceof DetectorError && isConditionFailure(error.cause)) {
        return { kind: "in-flight", leaseUntil };
      }
      throw error;
    }
    return { kind: "claimed", token };
  }

  async markPosted(alertId: string): Promise<void> {
    // Delivered, whether or not the mark below gets through.
    this.#delivered.add(alertId);
    await this.#send("PutItem", alertId, () =>
      this.#client.send(
        new PutItemCommand(
          this.#item(claimKey(this.#prefix, alertId), { state: "posted", postedAt: this.#now() }),
        ),
      ),
    );
  }

  async release(alertId: string, token: string): Promise<void> {
    try {
      await this.#send("PutItem", alertId, () =>
        this.#client.send(
          new PutItemCommand({
            ...this.#item(claimKey(this.#prefix, alertId), { state: "claimed", owner: token, leaseUntil: 0 }),
            // Never undo a mark, nor end a claim taken over by another invocation after ours ran out.
            ConditionExpression: "#state = :claimed AND #owner = :token",
            ExpressionAttributeNames: { "#state": "state", "#owner": "owner" },
            ExpressionAttributeValues: { ":claimed": { S: "claimed" }, ":token": { S: token } },
          }),
        ),
      );
    } catch (error) {
      if (!(error instanceof DetectorError && isConditionFailure(error.cause))) throw error;
    }
  }

  #item(
    pk: string,
    fields: { state: "claimed" | "posted"; owner?: string; leaseUntil?: number; postedAt?: number },
  ): Pick<PutItemCommandInput, "TableName" | "Item"> {
    const expiresAt = Math.ceil(this.#now() / 1000) + this.#ttlSeconds;
    return {
      TableName: this.#table,
      Item: {
        pk: { S: pk },
        state: { S: fields.state },
        ...(fields.owner !== undefined && { owner: { S: fields.owner } }),
        ...(fields.leaseUntil !== undefined && { leaseUntil: { N: String(fields.leaseUntil) } }),
        ...(fields.postedAt !== undefined && { postedAt: { N: String(fields.postedAt) } }),
        expiresAt: { N: String(expiresAt) },
      },
    };
  }

  #send<T>(operation: string, alertId: string, call: () => Promise<T>): Promise<T> {
    const context = { table: this.#table, operation, alertId: alertId.slice(0, 128) };
    return callAws(`DynamoDB ${operation} on ${this.#table}`, context, call);
  }
}

/** The item key of an alert's claim for one destination. */
export function claimKey(prefix: string, alertId: string): string {
  const pk = `${prefix}|${alertId}`;
  return Buffer.byteLength(pk) <= MAX_KEY_BYTES
    ? pk
    : `${prefix}|#${createHash("sha256").update(alertId).digest("base64url")}`;
}

const isConditionFailure = (error: unknown): boolean =>
  error instanceof Error && error.name === "ConditionalCheckFailedException";
