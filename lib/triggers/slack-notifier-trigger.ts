import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context, SNSEvent } from "aws-lambda";
import type { Alert } from "../alerts/alert.js";
import { escapeAndTruncate } from "../alerts/escape.js";
import { buildSlackMessage } from "../alerts/format-slack.js";
import { DetectorError } from "../errors.js";
import { parseAlertMessage } from "../slack/alert-message.js";
import type { PostedAlerts } from "../slack/posted-alerts.js";
import type { PostOptions } from "../slack/webhook-poster.js";
import type { WebhookUrlSource } from "../slack/webhook-url.js";
import type { LogSink, MetricSink } from "./observe-report.js";

export interface SlackNotifierDeps {
  readonly webhookUrl: WebhookUrlSource;
  readonly poster: { post(url: string, payload: unknown, options?: PostOptions): Promise<void> };
  readonly postedAlerts: PostedAlerts;
  readonly logger: LogSink;
  readonly metrics: MetricSink;
  /** The time budget when called without a Lambda context (tests, local runs); default 25 s. */
  readonly defaultBudgetMs?: number;
  /** Injected by tests: epoch ms. */
  readonly now?: () => number;
}

/** Left after the last post for marking it posted and logging, before Lambda's timeout cuts in. */
const END_MARGIN_MS = 2_000;
/** Added to a claim's lease beyond the invocation's end: clocks of two containers may differ a little. */
const LEASE_SKEW_MS = 5_000;
const DEFAULT_BUDGET_MS = 25_000;
/** Slack's refusals that mean the hook itself is gone: the URL may have been rotated in SSM since. */
const HOOK_GONE = new Set([403, 404, 410]);

type Outcome = "posted" | "already-posted";

/**
 * SNS alert topic → Slack (DESIGN §6). SNS invokes asynchronously and at least once; a failed invocation is
 * retried by Lambda (maximumRetryAttempts in serverless.yml), then the event goes to the on-failure queue.
 *
 * Per record: a message that is not an alert is logged and skipped (no retry can fix it); an alert already
 * posted is skipped; otherwise it is claimed (lib/slack/posted-alerts.ts), formatted, posted, marked. A failed
 * post fails the invocation, after the other records were tried, so that the event is retried and in the
 * end kept by the failure queue; the posted-alert items make the retry post nothing twice. A post Slack
 * refused (revoked hook, bad payload) fails it too although a retry will not help at once: the queue keeps
 * the alert, and its alarm tells the operator, who fixes the hook and redrives.
 */
export function makeSlackNotifierHandler(deps: SlackNotifierDeps) {
  const now = deps.now ?? Date.now;
  return async (event: SNSEvent, context?: Pick<Context, "getRemainingTimeInMillis">): Promise<void> => {
    const started = now();
    const invocationEnd =
      started + (context?.getRemainingTimeInMillis() ?? deps.defaultBudgetMs ?? DEFAULT_BUDGET_MS);
    const run: RunLimits = {
      deadline: invocationEnd - END_MARGIN_MS,
      leaseUntil: invocationEnd + LEASE_SKEW_MS,
    };
    const counts = { posted: 0, alreadyPosted: 0, notAlerts: 0, failed: 0 };
    const failures: DetectorError[] = [];

    for (const record of event.Records) {
      const messageId = escapeAndTruncate(record.Sns.MessageId ?? "", 80);
      const parsed = parseAlertMessage(record.Sns.Message ?? "");
      if (!parsed.ok) {
        counts.notAlerts++;
        deps.logger.warn("SNS message is not an alert; skipped", {
          messageId,
          reason: escapeAndTruncate(parsed.reason, 300),
          subject: escapeAndTruncate(record.Sns.Subject ?? "", 100),
        });
        continue;
      }
      const alert = parsed.alert;
      try {
        const outcome = await notify(alert, deps, run);
        if (outcome === "posted") counts.posted++;
        else counts.alreadyPosted++;
        deps.logger.info(outcome === "posted" ? "alert posted to Slack" : "alert already posted; skipped", {
          messageId,
          alertId: alert.id,
          severity: alert.severity,
          host: escapeAndTruncate(alert.host.name, 128),
        });
      } catch (error) {
        counts.failed++;
        const failure = asDetectorError(error, alert);
        failures.push(failure);
        deps.logger.error("alert not posted to Slack", {
          messageId,
          alertId: alert.id,
          error: escapeAndTruncate(failure.message, 500),
          retryable: failure.retryable,
          context: failure.context,
        });
      }
    }

    deps.logger.info("slack notifier done", { records: event.Records.length, ...counts });
    deps.metrics.addMetric("SlackPosted", MetricUnit.Count, counts.posted);
    deps.metrics.addMetric("SlackAlreadyPosted", MetricUnit.Count, counts.alreadyPosted);
    deps.metrics.addMetric("SlackNotAlerts", MetricUnit.Count, counts.notAlerts);
    deps.metrics.addMetric("SlackFailed", MetricUnit.Count, counts.failed);
    deps.metrics.publishStoredMetrics();

    const [first] = failures;
    if (first === undefined) return;
    if (failures.length === 1) throw first;
    throw new DetectorError(`${failures.length} alerts not posted to Slack; first: ${first.message}`, {
      retryable: failures.some((f) => f.retryable),
      cause: first,
      context: { failed: failures.length, records: event.Records.length },
    });
  };
}

interface RunLimits {
  /** Epoch ms by which a post must be over. */
  readonly deadline: number;
  /** Epoch ms until which a claim holds: past the invocation's end, when a retry can start. */
  readonly leaseUntil: number;
}

async function notify(alert: Alert, deps: SlackNotifierDeps, run: RunLimits): Promise<Outcome> {
  const claim = await deps.postedAlerts.claim(alert.id, run.leaseUntil);
  if (claim.kind === "posted") return "already-posted";
  if (claim.kind === "in-flight") {
    // Another invocation (a duplicate SNS delivery) is posting it right now: fail retryably, and the retry
    // finds it posted, or finds the claim expired if that invocation died.
    throw new DetectorError(`alert ${alert.id} is being posted by another invocation`, {
      retryable: true,
      context: { alertId: alert.id, leaseUntil: new Date(claim.leaseUntil).toISOString() },
    });
  }
  try {
    const message = formatAlert(alert);
    const url = await deps.webhookUrl.get();
    try {
      await deps.poster.post(url, message, { deadline: run.deadline, label: `alert ${alert.id}` });
    } catch (error) {
      if (
        error instanceof DetectorError &&
        !error.retryable &&
        HOOK_GONE.has(Number(error.context["status"]))
      ) {
        deps.webhookUrl.forget();
      }
      throw error;
    }
  } catch (error) {
    await deps.postedAlerts.release(alert.id, claim.token).catch((releaseError: unknown) => {
      // The lease runs out by itself when this invocation ends; a retry then claims again.
      deps.logger.warn("could not release the claim of an alert not posted", {
        alertId: alert.id,
        error: escapeAndTruncate(String((releaseError as Error)?.message ?? releaseError), 300),
      });
    });
    throw error;
  }
  try {
    await deps.postedAlerts.markPosted(alert.id);
  } catch (error) {
    // Slack has it. Failing now would make the retry post it again once the claim expires; not failing
    // leaves only an SNS redelivery, rarer, able to repeat it.
    deps.logger.error("alert posted to Slack but not marked posted; a redelivery would post it again", {
      alertId: alert.id,
      error: escapeAndTruncate(String((error as Error)?.message ?? error), 300),
    });
  }
  return "posted";
}

function formatAlert(alert: Alert): unknown {
  try {
    return buildSlackMessage(alert);
  } catch (error) {
    // The same alert will fail the same way: not retryable, but kept by the failure queue for a fix.
    throw new DetectorError(
      `alert ${alert.id} could not be formatted for Slack: ${escapeAndTruncate(String((error as Error)?.message ?? error), 300)}`,
      { retryable: false, cause: error, context: { alertId: alert.id } },
    );
  }
}

function asDetectorError(error: unknown, alert: Alert): DetectorError {
  if (error instanceof DetectorError) return error;
  // Not from our adapters (they throw DetectorErrors): an unexpected failure, worth a retry.
  return new DetectorError(
    `Slack notification of alert ${alert.id} failed: ${escapeAndTruncate(String((error as Error)?.message ?? error), 300)}`,
    { retryable: true, cause: error, context: { alertId: alert.id } },
  );
}
