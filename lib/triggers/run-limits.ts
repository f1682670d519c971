import type { DeliveryLimits } from "../alerts/deliver-alerts.js";

/** What an invocation may spend, from the Lambda context when there is one. */
export interface RunContext {
  getRemainingTimeInMillis(): number;
}

/** Without a Lambda context (tests, the demo): the functions' timeout (serverless.yml) less a margin. */
export const DEFAULT_BUDGET_MS = 55_000;
/** Left at the end for the write round, the quarantine and the logs before Lambda's timeout cuts in. */
const END_MARGIN_MS = 5_000;
/**
 * A claim outlasts its use by this: a publish takes milliseconds, and 30 s holds the SDK's own retries with
 * their 5 s request timeouts (lib/wiring.ts). Shorter than the function's timeout, so that a claim left by a
 * crashed invocation has run out before its retry starts.
 */
const MAX_LEASE_MS = 30_000;
/** Added to a lease: clocks of two containers may differ a little. */
const LEASE_SKEW_MS = 5_000;

export function runLimits(now: () => number, context?: RunContext): DeliveryLimits {
  const started = now();
  const end = started + (context?.getRemainingTimeInMillis() ?? DEFAULT_BUDGET_MS);
  return {
    now,
    deadline: end - END_MARGIN_MS,
    leaseUntil: (at) => Math.min(at + MAX_LEASE_MS, end) + LEASE_SKEW_MS,
  };
}
