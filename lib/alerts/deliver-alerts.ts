import { withRetries } from "../aws/retry.js";
import { runBounded } from "../bounded.js";
import { DetectorError } from "../errors.js";
import type { Alert } from "./alert.js";
import type { AlertPublisher } from "./alert-publisher.js";
import type { DeliveryClaims } from "./delivery-claims.js";
import { escapeAndTruncate } from "./escape.js";

/** What an invocation may spend on delivering its alerts (lib/triggers/run-limits.ts). */
export interface DeliveryLimits {
  readonly now: () => number;
  /** Epoch ms after which no new wait starts: the record is failed instead, for a redelivery. */
  readonly deadline: number;
  /** The lease of a claim taken at `at` (epoch ms): past the end of this invocation's use of it. */
  readonly leaseUntil: (at: number) => number;
  /** Injected by tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface DeliveryDeps {
  readonly publisher: AlertPublisher;
  readonly claims: DeliveryClaims;
}

export interface DeliveryReport {
  /** Alerts this invocation published. */
  readonly published: Alert[];
  /** Alerts found already delivered (a redelivered batch, a duplicate invocation). */
  readonly alreadyDelivered: number;
  /** Published, but the mark could not be written: a redelivery on another container may repeat them. */
  readonly unmarked: { readonly alert: Alert; readonly error: DetectorError }[];
  /** Alerts the topic refused for good (not retryable), with their unit: to set their records aside. */
  readonly poisoned: { readonly alert: Alert; readonly unit: number; readonly error: DetectorError }[];
  /** The lowest unit with an alert that could not be delivered yet, and why; later alerts were not started. */
  readonly failed?: { readonly unit: number; readonly error: DetectorError };
}

/** Polling another invocation's claim: first wait, then doubling up to the cap. */
const POLL_FIRST_MS = 100;
const POLL_MAX_MS = 1_000;
/** Attempts to write a mark or a release (the SDK has already retried each): worth a little time. */
const MARK_ATTEMPTS = 4;

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Alerts in flight at once: each is three or four calls (claim, publish, mark) of a few milliseconds. */
export const MAX_CONCURRENT_DELIVERIES = 8;

/**
 * Delivers alerts, each alert id exactly once whatever the redeliveries (DESIGN §6):
 * claim → publish → mark (lib/alerts/delivery-claims.ts). Up to MAX_CONCURRENT_DELIVERIES at a time, started
 * in unit order; `items` must be sorted by unit.
 *
 * - Already posted: skipped; a redelivered batch, or the second of two concurrent invocations.
 * - In flight in another invocation: waited for (it is usually done in milliseconds), then skipped if it
 *   went out or claimed if its lease ran out (the other invocation died). If the wait reaches the
 *   deadline, the alert's unit fails and the redelivery tries again.
 * - Publish failed, retryably: the claim is released for the redelivery, and the alert's unit fails; no
 *   later alert starts (their records are redelivered). Alerts already in flight finish: those of later
 *   units that went out are found posted by the redelivery. The lowest failed unit is reported, so every
 *   unit before it is complete.
 * - Failed for good (not retryable: the topic refuses this message): reported `poisoned`, for its record to
 *   be set aside with the reason; the others go on. Failing the batch would only repeat it until it expires.
 * - Past the deadline: no alert starts; the first not started fails its unit.
 * - Published but the mark failed (after retries): not a failure. Failing would make the redelivery publish
 *   it again once the lease ran out; the container remembers it, and the error is logged by the caller.
 *
 * `stopAt`: a unit already failed by the caller; its alerts and later ones are left to the redelivery.
 */
export async function deliverAlerts(
  items: readonly { readonly alert: Alert; readonly unit: number }[],
  deps: DeliveryDeps,
  limits: DeliveryLimits,
  stopAt?: number,
): Promise<DeliveryReport> {
  const published: Alert[] = [];
  const unmarked: { alert: Alert; error: DetectorError }[] = [];
  const poisoned: { alert: Alert; unit: number; error: DetectorError }[] = [];
  let alreadyDelivered = 0;
  let failed: { unit: number; error: DetectorError } | undefined;
  const sleep = limits.sleep ?? realSleep;
  const eligible = stopAt === undefined ? items : items.filter((item) => item.unit < stopAt);

  const started = await runBounded(
    eligible,
    MAX_CONCURRENT_DELIVERIES,
    async ({ alert, unit }) => {
      try {
        const claim = await claimOrWait(alert.id, deps.claims, limits, sleep);
        if (claim === "posted") {
          alreadyDelivered++;
          return;
        }
        try {
          await deps.publisher.publish(alert);
        } catch (error) {
          // Released, the redelivery claims it at once; not released, it waits for the lease to run out.
          await withRetries(() => deps.claims.release(alert.id, claim), {
            maxAttempts: MARK_ATTEMPTS,
            sleep,
          }).catch(() => {});
          throw error;
        }
        published.push(alert);
        try {
          await withRetries(() => deps.claims.markPosted(alert.id), { maxAttempts: MARK_ATTEMPTS, sleep });
        } catch (error) {
          unmarked.push({ alert, error: asDetectorError(error, `mark alert ${alert.id} published`) });
        }
      } catch (error) {
        const reason = asDetectorError(error, `publish alert ${alert.id}`);
        if (!reason.retryable) poisoned.push({ alert, unit, error: reason });
        else if (failed === undefined || unit < failed.unit) failed = { unit, error: reason };
      }
    },
    () => failed === undefined && limits.now() <= limits.deadline,
  );
  // Sorted by unit: what did not start belongs to units no earlier than any that did.
  const next = eligible[started];
  if (next !== undefined && failed === undefined) {
    failed = {
      unit: next.unit,
      error: new DetectorError("alert delivery not started before the invocation's deadline", {
        retryable: true,
        context: { alertId: next.alert.id, notStarted: eligible.length - started },
      }),
    };
  }
  return { published, alreadyDelivered, unmarked, poisoned, ...(failed && { failed }) };
}

/** The claim's token, or "posted"; waits out another invocation's claim until the deadline. */
async function claimOrWait(
  alertId: string,
  claims: DeliveryClaims,
  limits: DeliveryLimits,
  sleep: (ms: number) => Promise<void>,
): Promise<string | "posted"> {
  let delay = POLL_FIRST_MS;
  for (;;) {
    const claim = await claims.claim(alertId, limits.leaseUntil(limits.now()));
    if (claim.kind === "posted") return "posted";
    if (claim.kind === "claimed") return claim.token;
    const now = limits.now();
    if (now + delay > limits.deadline) {
      throw new DetectorError(`alert ${alertId} is being published by another invocation`, {
        retryable: true,
        context: { alertId, leaseUntil: new Date(claim.leaseUntil).toISOString() },
      });
    }
    await sleep(Math.min(delay, Math.max(1, claim.leaseUntil - now + 1)));
    delay = Math.min(delay * 2, POLL_MAX_MS);
  }
}

export function asDetectorError(error: unknown, what: string): DetectorError {
  if (error instanceof DetectorError) return error;
  return new DetectorError(
    `${what} failed: ${escapeAndTruncate((error as Error)?.message ?? String(error), 300)}`,
    { retryable: true, cause: error },
  );
}
