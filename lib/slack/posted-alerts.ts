import { createHash, randomUUID } from "node:crypto";
import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { awsCallError } from "../aws/retry.js";
import { DetectorError } from "../errors.js";

/**
 * Which alerts were posted to Slack, so that each alert id is posted once although SNS → Lambda is
 * at-least-once (SNS may deliver a message twice, even to two concurrent invocations) and Lambda's
 * asynchronous retries re-run a failed invocation.
 *
 * A claim with a lease, not a bare "read, post, then write":
 *
 *   claim   GetItem (consistent) → posted: skip; claimed with a live lease: in flight elsewhere (retry later);
 *           else a conditional PutItem `claimed, owner, leaseUntil` that succeeds only if no item exists or
 *           the existing claim's lease has run out.
 *   post    to Slack.
 *   mark    PutItem `posted` (unconditional: posted is final, whoever wrote it).
 *   release on a failed post, PutItem the claim back with leaseUntil 0 (only if still ours), so that the
 *           retry may claim at once.
 *
 * Against "GetItem, post, PutItem" this closes the concurrent-duplicate window (two deliveries of one message
 * in two invocations both read "absent" and both post: here the second finds the first's claim and fails
 * retryably; its retry a minute later finds `posted`) and loses nothing more: the lease ends when the
 * claiming invocation's time does (its deadline plus a margin for clock skew), and Lambda retries an event
 * only after the failed invocation is over, so a claim left by a crashed or timed-out invocation never
 * blocks the retry. A plain "claim first, never expire" would lose the alert in that case.
 *
 * What remains: a crash (timeout, out of memory) after Slack accepted the post and before the mark. The
 * retry then finds an expired claim and posts again: one duplicate, never a loss. Nothing can close that
 * gap without Slack taking an idempotency key, which incoming webhooks do not.
 *
 * Items live under `slack|<alertId>` in the project's one table and expire (TTL `expiresAt`) after
 * `ttlSeconds`, by default 15 days: longer than the failure queue keeps a message (14 days), so that
 * redriving the queue never posts an alert that did go out.
 */
export type ClaimResult =
  | { readonly kind: "claimed"; readonly token: string }
  | { readonly kind: "posted" }
  | { readonly kind: "in-flight"; readonly leaseUntil: number };

export interface PostedAlerts {
  /** Claims `alertId` until `leaseUntil` (epoch ms) unless it was posted or another claim is live. */
  claim(alertId: string, leaseUntil: number): Promise<ClaimResult>;
  /** After Slack accepted the post. */
  markPosted(alertId: string): Promise<void>;
  /** After a failed post: the claim ends now, if it is still `token`'s. */
  release(alertId: string, token: string): Promise<void>;
}

export interface DynamoDbPostedAlertsOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** How long an item is kept (default 15 days). */
  readonly ttlSeconds?: number;
  /** Injected by tests: epoch ms. */
  readonly now?: () => number;
  /** Injected by tests: the claim's owner token. */
  readonly newToken?: () => string;
}

export const DEFAULT_POSTED_TTL_SECONDS = 15 * 86_400;
/** DynamoDB allows 2048 bytes of partition key; alert ids are 32 hex characters, this is a guard. */
const MAX_KEY_BYTES = 1024;

export class DynamoDbPostedAlerts implements PostedAlerts {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #ttlSeconds: number;
  readonly #now: () => number;
  readonly #newToken: () => string;

  constructor(options: DynamoDbPostedAlertsOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#ttlSeconds = options.ttlSeconds ?? DEFAULT_POSTED_TTL_SECONDS;
    this.#now = options.now ?? Date.now;
    this.#newToken = options.newToken ?? randomUUID;
  }

  async claim(alertId: string, leaseUntil: number): Promise<ClaimResult> {
    const pk = postedKey(alertId);
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
    if (state === "posted") return { kind: "posted" };
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
    await this.#send("PutItem", alertId, () =>
      this.#client.send(
        new PutItemCommand(this.#item(postedKey(alertId), { state: "posted", postedAt: this.#now() })),
      ),
    );
  }

  async release(alertId: string, token: string): Promise<void> {
    try {
      await this.#send("PutItem", alertId, () =>
        this.#client.send(
          new PutItemCommand({
            ...this.#item(postedKey(alertId), { state: "claimed", owner: token, leaseUntil: 0 }),
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

  async #send<T>(operation: string, alertId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw awsCallError(`DynamoDB ${operation} on ${this.#table}`, error, {
        table: this.#table,
        operation,
        alertId: alertId.slice(0, 128),
      });
    }
  }
}

/** The item key of an alert's Slack post. */
export function postedKey(alertId: string): string {
  const pk = `slack|${alertId}`;
  return Buffer.byteLength(pk) <= MAX_KEY_BYTES
    ? pk
    : `slack|#${createHash("sha256").update(alertId).digest("base64url")}`;
}

const isConditionFailure = (error: unknown): boolean =>
  error instanceof Error && error.name === "ConditionalCheckFailedException";
