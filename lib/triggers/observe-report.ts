import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { escapeAndTruncate } from "../alerts/escape.js";
import type { DetectionReport } from "./detect-units.js";

/** Malformed records logged one by one per invocation; all are counted and all are quarantined. */
const LOGGED_MALFORMED = 10;

/** What a trigger needs of a logger: Powertools Logger in Lambda, a quiet one in the demo and tests. */
export interface LogSink {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

/** What a trigger needs of a metrics client: Powertools Metrics (EMF) in Lambda. */
export interface MetricSink {
  addMetric(name: string, unit: typeof MetricUnit.Count, value: number): unknown;
  publishStoredMetrics(): void;
}

export interface Observability {
  readonly logger: LogSink;
  readonly metrics: MetricSink;
  /** DynamoDB calls made so far by this container (an SDK middleware counts them, lib/wiring.ts). */
  readonly storeCalls?: () => number;
  /** Every invocation's report, for callers that add them up (the demo, the benchmark). */
  readonly onReport?: (report: DetectionReport) => void;
}

/**
 * Structured logs and EMF metrics for one invocation. Telemetry text (reasons quote it) is escaped before it
 * reaches a log line: a command line must not forge log entries or drive a terminal.
 */
export function observeReport(report: DetectionReport, obs: Observability, storeCallsBefore: number): void {
  const { logger, metrics } = obs;
  obs.onReport?.(report);
  const c = report.counters;
  const s = c.suppressed;
  for (const q of report.quarantined.slice(0, LOGGED_MALFORMED)) {
    logger.warn("malformed record quarantined", {
      reason: escapeAndTruncate(q.reason, 300),
      record: escapeAndTruncate(q.source.id, 80),
      line: q.source.line,
      origin: escapeAndTruncate(q.source.origin ?? "", 128),
    });
  }
  for (const error of report.errors) {
    logger.error("batch failed from a record; it will be delivered again", {
      error: escapeAndTruncate(error.message, 500),
      retryable: error.retryable,
      context: error.context,
      failedFrom: report.failedFrom,
    });
  }
  for (const { alert, error } of report.unmarked) {
    logger.error(
      "alert published but not marked published; a redelivery on another container may repeat it",
      {
        alertId: alert.id,
        error: escapeAndTruncate(error.message, 500),
      },
    );
  }
  const storeCalls = obs.storeCalls ? obs.storeCalls() - storeCallsBefore : 0;
  logger.info("batch done", {
    records: c.records,
    execEvents: c.execEvents,
    alerts: c.alerts,
    published: report.published.length,
    alreadyDelivered: report.alreadyDelivered,
    suppressed: s,
    skipped: c.skipped,
    malformed: c.malformed,
    storeCalls,
    // auditd events straddling invocations: completed from stored parts, judged after waiting, late parts.
    pending: report.pending,
    failedFrom: report.failedFrom,
  });
  metrics.addMetric("Records", MetricUnit.Count, c.records);
  metrics.addMetric("ExecEvents", MetricUnit.Count, c.execEvents);
  metrics.addMetric("Alerts", MetricUnit.Count, report.published.length);
  metrics.addMetric("AlreadyDelivered", MetricUnit.Count, report.alreadyDelivered);
  metrics.addMetric("UnmarkedAlerts", MetricUnit.Count, report.unmarked.length);
  metrics.addMetric(
    "Suppressed",
    MetricUnit.Count,
    s.loopback + s.allowlist + s["benign-location"] + s.dedup,
  );
  metrics.addMetric("SuppressedByDedup", MetricUnit.Count, s.dedup);
  metrics.addMetric("Quarantined", MetricUnit.Count, report.quarantined.length);
  metrics.addMetric("StoreCalls", MetricUnit.Count, storeCalls);
  metrics.addMetric("EventsCompletedAcross", MetricUnit.Count, report.pending.completedAcross);
  metrics.addMetric("EventsJudgedIncomplete", MetricUnit.Count, report.pending.judged);
  metrics.addMetric("LateEventParts", MetricUnit.Count, report.pending.late);
  metrics.addMetric("FailedBatches", MetricUnit.Count, report.failedFrom === undefined ? 0 : 1);
  metrics.publishStoredMetrics();
}
