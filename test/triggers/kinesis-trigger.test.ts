import { PublishCommand } from "@aws-sdk/client-sns";
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import type { KinesisStreamEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCloudWatchLogsHandler } from "../../lib/triggers/cloudwatch-logs-trigger.js";
import { makeKinesisHandler } from "../../lib/triggers/kinesis-trigger.js";
import {
  cloudWatchEnvelope,
  cloudWatchLogsEvent,
  controlMessage,
} from "../helpers/cloudwatch-logs-events.js";
import { detectorHarness, TOPIC_ARN } from "../helpers/detector-harness.js";
import { type LocalDynamo, startDynalite } from "../helpers/dynalite.js";
import { createStream, putPayloads, readAsLambdaEvents, startKinesalite } from "../helpers/kinesalite.js";
import { aggregated } from "../helpers/kpl.js";
import { CAPTURED_ALERTS, CAPTURED_AUDITD, CAPTURED_LAUREL, readSample } from "../helpers/samples.js";

/**
 * The Kinesis and CloudWatch Logs handlers end to end on local stand-ins started here: kinesalite carries the
 * captured telemetry the way a producer puts it (one line per record, partition key = host), dynalite holds
 * lineage and dedup through the real adapters, SNS and SQS are mocked with the exact commands asserted.
 */
let dynamo: LocalDynamo;
let kinesis: Awaited<ReturnType<typeof startKinesalite>>;
let streams = 0;

beforeAll(async () => {
  [dynamo, kinesis] = await Promise.all([startDynalite(), startKinesalite()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), kinesis.close()]);
});

const lines = (sample: string) =>
  readSample(sample)
    .split("\n")
    .filter((l) => l.length > 0);

/** Lines onto a fresh kinesalite stream, read back as the event source mapping delivers them. */
async function throughKinesis(
  payloads: { data: Buffer | string; partitionKey: string }[],
  batchSize = 1000,
): Promise<KinesisStreamEvent[]> {
  const name = `telemetry-${++streams}`;
  const arn = await createStream(kinesis.client, name);
  await putPayloads(kinesis.client, name, payloads);
  return readAsLambdaEvents(kinesis.client, name, arn, batchSize);
}

const summary = (
  alerts: { process: { pid: number }; utility: { name: string }; location: { path: string; kind: string } }[],
) =>
  alerts.map((a) => ({
    pid: a.process.pid,
    utility: a.utility.name,
    path: a.location.path,
    kind: a.location.kind,
  }));

/** A fresh table per test: lineage and dedup of one test must not leak into the next. */
async function freshHarness() {
  const local = await startDynalite();
  const harness = detectorHarness(local.client, local.tableName);
  return { ...harness, local };
}

describe("Kinesis handler on the captured telemetry", () => {
  it.each([
    ["auditd lines", CAPTURED_AUDITD],
    ["laurel lines", CAPTURED_LAUREL],
  ])("%s, one per record: exactly the two captured alerts, full Publish input", async (_name, sample) => {
    const h = await freshHarness();
    try {
      const events = await throughKinesis(lines(sample).map((l) => ({ data: l, partitionKey: "vm" })));
      const handler = makeKinesisHandler(h.deps);
      for (const event of events) expect(await handler(event)).toEqual({ batchItemFailures: [] });
      expect(summary(h.published())).toEqual(CAPTURED_ALERTS);

      const [first] = h.snsMock.commandCalls(PublishCommand);
      const input = first!.args[0].input;
      expect(Object.keys(input).sort()).toEqual([
        "Message",
        "MessageAttributes",
        "MessageStructure",
        "Subject",
        "TopicArn",
      ]);
      expect(input.TopicArn).toBe(TOPIC_ARN);
      expect(input.MessageStructure).toBe("json");
      expect(input.Subject).toBe("[HIGH] nslookup run from /tmp/dropper.sh on vm");
      expect(input.MessageAttributes).toEqual({
        severity: { DataType: "String", StringValue: "high" },
        rule_id: { DataType: "String", StringValue: "netutil-writable-exec" },
        utility: { DataType: "String", StringValue: "nslookup" },
        category: { DataType: "String", StringValue: "dns" },
        host: { DataType: "String", StringValue: "vm" },
      });
      const message = JSON.parse(input.Message!) as Record<string, string>;
      expect(Object.keys(message).sort()).toEqual(["default", "email", "https", "lambda", "sqs"]);
      expect(message["default"]).toBe(message["email"]);
      expect(message["email"]).toContain("└─ [14826] user=root /usr/bin/dash  $ /bin/sh /tmp/dropper[.]sh");
      expect(message["sqs"]).toBe(message["lambda"]);
      expect(message["sqs"]).toBe(message["https"]);
      const alert = JSON.parse(message["sqs"]!);
      expect(alert).toMatchObject({
        rule: { id: "netutil-writable-exec" },
        severity: "high",
        host: { name: "vm" },
        process: {
          pid: 14828,
          ppid: 14826,
          executable: "/usr/bin/nslookup",
          args: ["nslookup", "vm.leak.example", "192.0.2.53"],
        },
        utility: { name: "nslookup", category: "dns" },
        location: { path: "/tmp/dropper.sh", kind: "script", depth: 1, tier: "temp" },
        dedup: { count: 1 },
      });
      expect(alert.ancestors.map((a: { pid: number }) => a.pid).slice(0, 2)).toEqual([14826, 14823]);
      // D4's loopback wget is suppressed, nothing is malformed, nothing quarantined.
      expect(h.reports.reduce((n, r) => n + r.counters.suppressed.loopback, 0)).toBe(1);
      expect(h.sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    } finally {
      await h.local.close();
    }
  });

  it("many lines per record (NDJSON / multi-line payloads) give the same alerts", async () => {
    const h = await freshHarness();
    try {
      const all = lines(CAPTURED_LAUREL);
      const payloads = [];
      for (let i = 0; i < all.length; i += 5)
        payloads.push({ data: `${all.slice(i, i + 5).join("\n")}\n`, partitionKey: "vm" });
      for (const event of await throughKinesis(payloads)) await makeKinesisHandler(h.deps)(event);
      expect(summary(h.published())).toEqual(CAPTURED_ALERTS);
    } finally {
      await h.local.close();
    }
  });

  it("CloudWatch Logs → Kinesis: gzip envelopes inside records, log stream as host; CONTROL_MESSAGE skipped", async () => {
    const h = await freshHarness();
    try {
      const all = lines(CAPTURED_AUDITD);
      const payloads = [{ data: controlMessage(), partitionKey: "cwl" }];
      for (let i = 0; i < all.length; i += 50) {
        payloads.push({
          data: cloudWatchEnvelope(all.slice(i, i + 50), "i-0abc-vm", "/netutil/audit", i),
          partitionKey: "i-0abc-vm",
        });
      }
      for (const event of await throughKinesis(payloads))
        expect(await makeKinesisHandler(h.deps)(event)).toEqual({ batchItemFailures: [] });
      expect(summary(h.published())).toEqual(CAPTURED_ALERTS);
      expect(h.published().map((a) => a.host.name)).toEqual(["i-0abc-vm", "i-0abc-vm"]);
    } finally {
      await h.local.close();
    }
  });

  it("a parent in one batch and its child in the next: lineage comes back from DynamoDB", async () => {
    const h = await freshHarness();
    try {
      const all = lines(CAPTURED_AUDITD);
      // Split right after the dropper's exec (serial 1049) and before its nslookup child (1051).
      const split = all.findIndex((l) => l.includes("msg=audit(1795822038.628:1050)"));
      const events = await throughKinesis(
        all.map((l) => ({ data: l, partitionKey: "vm" })),
        split,
      );
      expect(events.length).toBeGreaterThan(1);
      expect(events[0]!.Records).toHaveLength(split);
      const handler = makeKinesisHandler(h.deps);
      for (const event of events) await handler(event);
      expect(summary(h.published())).toEqual(CAPTURED_ALERTS);
      // The second batch read the dropper's record back from the table.
      expect(h.reports[1]!.counters.execEvents).toBeGreaterThan(0);
    } finally {
      await h.local.close();
    }
  });

  it("the same batch delivered twice publishes each alert once", async () => {
    const h = await freshHarness();
    try {
      const [event] = await throughKinesis(
        lines(CAPTURED_AUDITD).map((l) => ({ data: l, partitionKey: "vm" })),
      );
      const handler = makeKinesisHandler(h.deps);
      await handler(event!);
      await handler(event!);
      expect(h.snsMock.commandCalls(PublishCommand)).toHaveLength(2);
      expect(h.reports[1]!.alreadyDelivered).toBe(2);
    } finally {
      await h.local.close();
    }
  });
});

describe("failures: reported from the right record, nothing lost, published once after the retry", () => {
  /** Redelivers from the reported record on, as Lambda does with ReportBatchItemFailures. */
  async function untilDone(handler: ReturnType<typeof makeKinesisHandler>, event: KinesisStreamEvent) {
    const failures: string[] = [];
    let records = event.Records;
    for (let attempt = 0; attempt < 5 && records.length > 0; attempt++) {
      const { batchItemFailures } = await handler({ Records: records });
      if (batchItemFailures.length === 0) return failures;
      const from = batchItemFailures[0]!.itemIdentifier;
      failures.push(from);
      records = records.slice(records.findIndex((r) => r.kinesis.sequenceNumber === from));
    }
    throw new Error("did not complete");
  }

  it("DynamoDB throttling on the lineage read fails the whole batch from its first record", async () => {
    const h = await freshHarness();
    try {
      let throttles = 1;
      h.local.client.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === "BatchGetItemCommand" && throttles-- > 0) {
            throw Object.assign(new Error("Rate of requests exceeds the allowed throughput"), {
              name: "ProvisionedThroughputExceededException",
              $metadata: { httpStatusCode: 400 },
            });
          }
          return next(args);
        },
        { step: "initialize", name: "injectThrottle" },
      );
      const [event] = await throughKinesis(
        lines(CAPTURED_AUDITD).map((l) => ({ data: l, partitionKey: "vm" })),
      );
      const failures = await untilDone(makeKinesisHandler(h.deps), event!);
      expect(failures).toEqual([event!.Records[0]!.kinesis.sequenceNumber]);
      expect(summary(h.published())).toEqual(CAPTURED_ALERTS);
      expect(h.logs.some((l) => l.level === "error" && l.extra["retryable"] === true)).toBe(true);
    } finally {
      await h.local.close();
    }
  });

  it("SNS throttling fails from the record of the alert that could not be published", async () => {
    const h = await freshHarness();
    try {
      h.snsMock
        .on(PublishCommand)
        .rejectsOnce(
          Object.assign(new Error("Rate exceeded"), {
            name: "ThrottlingException",
            $metadata: { httpStatusCode: 400 },
          }),
        )
        .resolves({ MessageId: "m-2" });
      const all = lines(CAPTURED_AUDITD);
      const [event] = await throughKinesis(all.map((l) => ({ data: l, partitionKey: "vm" })));
      const nslookupRecord = event!.Records.find((r) =>
        Buffer.from(r.kinesis.data, "base64")
          .toString()
          .startsWith("type=SYSCALL msg=audit(1795822038.628:1051)"),
      );
      const failures = await untilDone(makeKinesisHandler(h.deps), event!);
      expect(failures).toEqual([nslookupRecord!.kinesis.sequenceNumber]);
      // One failed attempt, then each alert exactly once: curl went out beside the failed nslookup (alerts
      // are delivered concurrently), and the redelivery found it posted.
      expect(h.snsMock.commandCalls(PublishCommand)).toHaveLength(3);
      const byPid = (a: { pid: number }, b: { pid: number }) => a.pid - b.pid;
      expect(summary(h.published().slice(1)).sort(byPid)).toEqual([...CAPTURED_ALERTS].sort(byPid));
    } finally {
      await h.local.close();
    }
  });

  it("KPL aggregated records: the same two alerts; a record whose checksum fails is set aside whole", async () => {
    const h = await freshHarness();
    try {
      const all = lines(CAPTURED_AUDITD);
      // 40 lines per aggregated record, each line a user record of its own, as a KPL producer packs them.
      const packed: Buffer[] = [];
      for (let i = 0; i < all.length; i += 40)
        packed.push(aggregated(all.slice(i, i + 40).map((l) => ({ partitionKey: "vm", data: l }))));
      const spoiled = Buffer.from(packed[0]!);
      spoiled[spoiled.length - 1]! ^= 1;
      const [event] = await throughKinesis([
        ...packed.map((data) => ({ data, partitionKey: "vm" })),
        { data: spoiled, partitionKey: "vm" },
      ]);
      expect(await makeKinesisHandler(h.deps)(event!)).toEqual({ batchItemFailures: [] });
      expect(summary(h.published())).toEqual(CAPTURED_ALERTS);
      const entries = h.sqsMock
        .commandCalls(SendMessageBatchCommand)
        .flatMap((c) => c.args[0].input.Entries!);
      expect(entries.map((e) => JSON.parse(e.MessageBody!).reason)).toEqual([
        "KPL aggregated record: Invalid record checksum",
      ]);
      expect(Buffer.from(JSON.parse(entries[0]!.MessageBody!).rawBase64, "base64").equals(spoiled)).toBe(
        true,
      );
    } finally {
      await h.local.close();
    }
  });

  it("malformed records are quarantined with their raw bytes and position; the batch is not failed", async () => {
    const h = await freshHarness();
    try {
      const all = lines(CAPTURED_AUDITD);
      const payloads = all.map((l) => ({ data: l as string | Buffer, partitionKey: "vm" }));
      payloads.splice(5, 0, { data: Buffer.from([0xff, 0x00, 0x1b, 0x5b]), partitionKey: "vm" });
      payloads.splice(9, 0, { data: Buffer.from([0x1f, 0x8b, 0x08, 0x00]), partitionKey: "vm" }); // broken gzip
      const [event] = await throughKinesis(payloads);
      expect(await makeKinesisHandler(h.deps)(event!)).toEqual({ batchItemFailures: [] });
      expect(summary(h.published())).toEqual(CAPTURED_ALERTS);
      const sends = h.sqsMock.commandCalls(SendMessageBatchCommand);
      expect(sends).toHaveLength(1);
      const bodies = sends[0]!.args[0].input.Entries!.map((e) => JSON.parse(e.MessageBody!));
      expect(bodies.map((b) => [b.source.trigger, b.source.id, b.source.line])).toEqual([
        ["kinesis", event!.Records[5]!.kinesis.sequenceNumber, 1],
        ["kinesis", event!.Records[9]!.kinesis.sequenceNumber, null],
      ]);
      expect(Buffer.from(bodies[1].rawBase64, "base64")).toEqual(Buffer.from([0x1f, 0x8b, 0x08, 0x00]));
      expect(bodies[1].reason).toMatch(/not valid gzip/);
    } finally {
      await h.local.close();
    }
  });
});

describe("CloudWatch Logs handler", () => {
  it("the captured lines as a subscription event (gzip + base64): the two alerts", async () => {
    const h = await freshHarness();
    try {
      await makeCloudWatchLogsHandler(h.deps)(cloudWatchLogsEvent(lines(CAPTURED_AUDITD), "vm"));
      expect(summary(h.published())).toEqual(CAPTURED_ALERTS);
    } finally {
      await h.local.close();
    }
  });

  it("a transient failure is rethrown for the async retry, and the retry publishes nothing twice", async () => {
    const h = await freshHarness();
    try {
      h.snsMock
        .on(PublishCommand)
        .resolvesOnce({ MessageId: "m-1" })
        .rejectsOnce(
          Object.assign(new Error("Internal error"), {
            name: "InternalErrorException",
            $metadata: { httpStatusCode: 500 },
          }),
        )
        .resolves({ MessageId: "m-3" });
      const event = cloudWatchLogsEvent(lines(CAPTURED_AUDITD), "vm");
      const handler = makeCloudWatchLogsHandler(h.deps);
      await expect(handler(event)).rejects.toMatchObject({ retryable: true });
      await handler(event);
      expect(summary(h.published().filter((_, i) => i !== 1))).toEqual(CAPTURED_ALERTS);
      expect(h.snsMock.commandCalls(PublishCommand)).toHaveLength(3);
    } finally {
      await h.local.close();
    }
  });
});
