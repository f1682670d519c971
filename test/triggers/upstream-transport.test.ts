import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import type { CloudWatchLogsEvent, KinesisStreamEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCloudWatchLogsHandler } from "../../lib/triggers/cloudwatch-logs-trigger.js";
import { makeKinesisHandler } from "../../lib/triggers/kinesis-trigger.js";
import { detectorHarness } from "../helpers/detector-harness.js";
import { type LocalDynamo, startDynalite } from "../helpers/dynalite.js";
import { readSample } from "../helpers/samples.js";

/**
 * The upstream transport samples (Powertools' captured Lambda events) are envelopes, not exec telemetry: they
 * go through the real handlers exactly as Lambda delivers them. Their payloads (a greeting, Lambda's own
 * START/END lines) are not telemetry, so they are quarantined with a reason, and the batch does not fail.
 */
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});

const quarantinedReasons = (h: ReturnType<typeof detectorHarness>) =>
  h.sqsMock
    .commandCalls(SendMessageBatchCommand)
    .flatMap((c) =>
      c.args[0].input.Entries!.map(
        (e) => JSON.parse(e.MessageBody!) as { reason: string; source: { id: string } },
      ),
    );

describe("upstream transport samples through the handlers", () => {
  it("Kinesis stream event (plain records): opened, not telemetry, quarantined, batch complete", async () => {
    const h = detectorHarness(dynamo.client, dynamo.tableName);
    const event = JSON.parse(readSample("upstream/aws/powertools_kinesis_stream.json")) as KinesisStreamEvent;
    expect(await makeKinesisHandler(h.deps)(event)).toEqual({ batchItemFailures: [] });
    const reasons = quarantinedReasons(h);
    expect(reasons.map((r) => r.source.id)).toEqual(event.Records.map((r) => r.kinesis.sequenceNumber));
    expect(reasons[0]!.reason).toMatch(/unrecognised record/);
  });

  it("Kinesis stream fed by a CloudWatch Logs subscription: gzip envelopes opened, log events framed", async () => {
    const h = detectorHarness(dynamo.client, dynamo.tableName);
    const event = JSON.parse(
      readSample("upstream/aws/powertools_kinesis_stream-cloudwatch-logs.json"),
    ) as KinesisStreamEvent;
    expect(await makeKinesisHandler(h.deps)(event)).toEqual({ batchItemFailures: [] });
    const counters = h.reports[0]!.counters;
    expect(counters.records).toBeGreaterThan(0);
    expect(counters.execEvents).toBe(0);
    // Lambda's START/END/REPORT lines are not exec telemetry: each is set aside with its reason.
    expect(quarantinedReasons(h).length).toBe(counters.malformed);
    expect(h.reports[0]!.errors).toEqual([]);
  });

  it("CloudWatch Logs subscription event (awslogs.data): opened by the CloudWatch Logs handler", async () => {
    const h = detectorHarness(dynamo.client, dynamo.tableName);
    const event = JSON.parse(
      readSample("upstream/aws/powertools_cloudwatch_base.json"),
    ) as CloudWatchLogsEvent;
    await makeCloudWatchLogsHandler(h.deps)(event);
    const counters = h.reports[0]!.counters;
    expect(counters.records).toBeGreaterThan(0);
    expect(quarantinedReasons(h).length).toBe(counters.malformed);
  });
});
