import { vi } from "vitest";
import { newCounters } from "../../lib/pipeline/counters.js";
import { newPendingCounters } from "../../lib/pipeline/pending-events.js";
import { wireSlackNotifier } from "../../lib/slack-wiring.js";
import type { DetectionReport } from "../../lib/triggers/detect-units.js";
import { type LogSink, observeReport } from "../../lib/triggers/observe-report.js";
import { makeSlackNotifierHandler } from "../../lib/triggers/slack-notifier-trigger.js";
import { wireDetection } from "../../lib/wiring.js";
import { snsEvent, snsRecord } from "./sns-events.js";

/** One metric as CloudWatch files it from an EMF document: a metric matches only under its exact dimensions. */
export interface EmittedMetric {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

const quiet: LogSink = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * The metrics the detection functions publish at the end of every invocation, as the Lambda publishes them:
 * the Metrics client built by lib/wiring.ts from the function's environment, fed an invocation's report
 * (every metric is published each time, zero or not). No AWS client is called.
 */
export async function detectionMetrics(env: Record<string, string>): Promise<EmittedMetric[]> {
  const { metrics } = wireDetection(env);
  const report: DetectionReport = {
    counters: newCounters(),
    failedFrom: undefined,
    errors: [],
    quarantined: [],
    published: [],
    alreadyDelivered: 0,
    unmarked: [],
    pending: {
      ...newPendingCounters(),
      rejudged: 0,
      waitedOut: 0,
      waitingDropped: 0,
      conflicts: 0,
      corruptStates: 0,
    },
  };
  return captureEmf(() => observeReport(report, { logger: quiet, metrics }, 0));
}

/**
 * The metrics the Slack notifier publishes: its handler as lib/slack-wiring.ts builds it, given one SNS
 * message that is not an alert (skipped and counted: neither SSM nor DynamoDB is called).
 */
export async function slackNotifierMetrics(env: Record<string, string>): Promise<EmittedMetric[]> {
  const handler = makeSlackNotifierHandler({ ...wireSlackNotifier(env), logger: quiet });
  return captureEmf(() => handler(snsEvent(snsRecord("not an alert"))));
}

/** The EMF documents printed while `run` runs (Powertools writes them to process.stdout), as metrics. */
async function captureEmf(run: () => unknown): Promise<EmittedMetric[]> {
  const printed: string[] = [];
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    printed.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  });
  try {
    await run();
  } finally {
    write.mockRestore();
  }
  return printed
    .join("")
    .split("\n")
    .filter((line) => line.startsWith("{") && line.includes('"_aws"'))
    .flatMap((line) => metricsOf(JSON.parse(line) as EmfDocument));
}

interface EmfDocument {
  _aws: {
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
  };
  [key: string]: unknown;
}

function metricsOf(doc: EmfDocument): EmittedMetric[] {
  return doc._aws.CloudWatchMetrics.flatMap((directive) =>
    directive.Dimensions.flatMap((set) => {
      const dimensions = Object.fromEntries(set.map((key) => [key, String(doc[key])]));
      return directive.Metrics.map((m) => ({ namespace: directive.Namespace, name: m.Name, dimensions }));
    }),
  );
}
