import type { DeliveryClaims } from "../alerts/delivery-claims.js";
import {
  claimKey,
  DynamoDbDeliveryClaims,
  type DynamoDbDeliveryClaimsOptions,
} from "../alerts/dynamodb-delivery-claims.js";

/**
 * Which alerts were posted to Slack, so that each alert id is posted once although SNS → Lambda is
 * at-least-once (SNS may deliver a message twice, even to two concurrent invocations) and Lambda's
 * asynchronous retries re-run a failed invocation: the delivery claims of lib/alerts/delivery-claims.ts under
 * `slack|<alertId>`.
 *
 * Against "GetItem, post, PutItem" a claim closes the concurrent-duplicate window (two deliveries of one
 * message in two invocations both read "absent" and both post: here the second finds the first's claim and
 * fails retryably; its retry a minute later finds `posted`) and loses nothing more: the lease ends when the
 * claiming invocation's time does (its deadline plus a margin for clock skew), and Lambda retries an event
 * only after the failed invocation is over, so a claim left by a crashed or timed-out invocation never
 * blocks the retry.
 */
export type PostedAlerts = DeliveryClaims;
export type { ClaimResult } from "../alerts/delivery-claims.js";
export { DEFAULT_CLAIM_TTL_SECONDS as DEFAULT_POSTED_TTL_SECONDS } from "../alerts/dynamodb-delivery-claims.js";

export class DynamoDbPostedAlerts extends DynamoDbDeliveryClaims {
  constructor(options: Omit<DynamoDbDeliveryClaimsOptions, "prefix">) {
    super({ ...options, prefix: SLACK_PREFIX });
  }
}

const SLACK_PREFIX = "slack";

/** The item key of an alert's Slack post. */
export const postedKey = (alertId: string): string => claimKey(SLACK_PREFIX, alertId);
