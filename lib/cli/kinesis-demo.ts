import { readFileSync } from "node:fs";
import type { KinesisStreamEvent } from "aws-lambda";
import type { Alert } from "../alerts/alert.js";
import { loadConfig } from "../config.js";
import { type Counters, newCounters } from "../pipeline/counters.js";
import type { QuarantinedRecord } from "../quarantine/quarantine-sink.js";
import { makeKinesisHandler } from "../triggers/kinesis-trigger.js";
import { wireFromConfig } from "../wiring.js";
import { startLocalDynamoDb } from "./local-dynamodb.js";

/** Records per Lambda invocation: the event source mapping's default batch size in serverless.yml. */
export const DEMO_BATCH_SIZE = 1000;

export interface DemoPayload {
  readonly data: Buffer;
  readonly partitionKey: string;
}

/** Lambda events as the Kinesis event source mapping builds them, from payloads in put order. */
export function toKinesisEvents(
  payloads: readonly DemoPayload[],
  batchSize = DEMO_BATCH_SIZE,
): KinesisStreamEvent[] {
  const events: KinesisStreamEvent[] = [];
  payloads.forEach((payload, i) => {
    if (i % batchSize === 0) events.push({ Records: [] });
    const sequenceNumber = (49_000_000_000_000_000_000n + BigInt(i)).toString();
    events.at(-1)!.Records.push({
      kinesis: {
        kinesisSchemaVersion: "1.0",
        partitionKey: payload.partitionKey,
        sequenceNumber,
        data: payload.data.toString("base64"),
        approximateArrivalTimestamp: 1_795_822_038 + i / 1000,
      },
      eventSource: "aws:kinesis",
      eventVersion: "1.0",
      eventID: `shardId-000000000000:${sequenceNumber}`,
      eventName: "aws:kinesis:record",
      invokeIdentityArn: "arn:aws:iam::123456789012:role/netutil-detector-demo",
      awsRegion: "us-east-1",
      eventSourceARN: "arn:aws:kinesis:us-east-1:123456789012:stream/netutil-detector-demo",
    });
  });
  return events;
}

/**
 * A telemetry file as a producer would put it on the stream: one record per line, partition key = host
 * (auditd's `node=`, ECS/laurel's host field), so that a host's execs stay in order on one shard.
 */
export function payloadsOfFile(path: string, fallbackHost: string): DemoPayload[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => ({ data: Buffer.from(line), partitionKey: hostOfLine(line) ?? fallbackHost }));
}

function hostOfLine(line: string): string | undefined {
  if (line.startsWith("node=")) return line.slice(5, line.indexOf(" "));
  if (line.startsWith("{")) {
    try {
      const doc = JSON.parse(line) as { host?: { name?: unknown }; NODE?: unknown };
      const host = doc.host?.name ?? doc.NODE;
      return typeof host === "string" ? host : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export interface DemoResult {
  readonly counters: Counters;
  readonly quarantined: number;
  readonly failedBatches: number;
  readonly invocations: number;
  readonly storeCalls: number;
}

/**
 * The demo through the real Kinesis handler: an embedded dynalite as DynamoDB, `onAlert` standing in for
 * SNS. Lineage crosses invocations through the table, as it does in AWS.
 */
export async function runKinesisDemo(
  payloads: readonly DemoPayload[],
  onAlert: (alert: Alert) => void,
): Promise<DemoResult> {
  const local = await startLocalDynamoDb();
  try {
    const config = loadConfig({
      TABLE_NAME: local.tableName,
      TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:netutil-detector-demo",
      QUARANTINE_QUEUE_URL:
        "https://sqs.us-east-1.amazonaws.com/123456789012/netutil-detector-demo-quarantine",
      QUARANTINE_BUCKET: "netutil-detector-demo-quarantine",
    });
    const counters = newCounters();
    const quarantined: QuarantinedRecord[] = [];
    let failedBatches = 0;
    const deps = wireFromConfig(config, {
      dynamodb: local.client,
      publisher: { publish: async (alert) => onAlert(alert) },
      quarantine: { put: async (records) => void quarantined.push(...records) },
      // Quiet: the demo prints alerts and one summary, not the handler's JSON logs and EMF lines.
      logger: { info: () => {}, warn: () => {}, error: () => {} },
      metrics: { addMetric: () => undefined, publishStoredMetrics: () => {} },
      onReport: (report) => addCounters(counters, report.counters),
    });
    const handler = makeKinesisHandler(deps);
    const events = toKinesisEvents(payloads);
    for (const event of events) {
      const { batchItemFailures } = await handler(event);
      if (batchItemFailures.length > 0) failedBatches++;
    }
    return {
      counters,
      quarantined: quarantined.length,
      failedBatches,
      invocations: events.length,
      storeCalls: deps.storeCalls?.() ?? 0,
    };
  } finally {
    await local.close();
  }
}

function addCounters(into: Counters, from: Counters): void {
  into.records += from.records;
  into.execEvents += from.execEvents;
  into.alerts += from.alerts;
  into.skipped += from.skipped;
  into.malformed += from.malformed;
  for (const key of Object.keys(into.suppressed) as (keyof Counters["suppressed"])[]) {
    into.suppressed[key] += from.suppressed[key];
  }
}
