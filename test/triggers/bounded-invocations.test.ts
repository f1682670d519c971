import { createHash } from "node:crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { PublishCommand } from "@aws-sdk/client-sns";
import { SendMessageBatchCommand, type SendMessageBatchCommandInput } from "@aws-sdk/client-sqs";
import type { KinesisStreamEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toKinesisEvents } from "../../lib/cli/kinesis-demo.js";
import type { QuarantineMessage } from "../../lib/quarantine/sqs-quarantine.js";
import { makeKinesisHandler } from "../../lib/triggers/kinesis-trigger.js";
import { BUCKET, detectorHarness } from "../helpers/detector-harness.js";
import { type LocalDynamo, startDynalite } from "../helpers/dynalite.js";

/**
 * The hostile cases of the reliability review (issue "bounded, poison-proof invocations"), each through the
 * Kinesis handler as wired for Lambda, DynamoDB on dynalite. Speed is never timed here: what bounds an
 * invocation is counted instead (calls per key, calls per record), and the deadline is driven by a context
 * whose remaining time is short.
 */
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo?.close();
});

let hosts = 0;
/** A host of its own per test: the table is shared. */
const freshHost = () => `bounded-${++hosts}`;

const T = Date.UTC(2026, 10, 27, 8, 0, 0);

/** One native exec event line: `exe` run by a parent whose executable is `parentExe`. */
function native(host: string, pid: number, exe: string, parentExe: string, time = T + pid): string {
  return JSON.stringify({
    schema: "netutil-detector/exec@1",
    time: new Date(time).toISOString(),
    source: { eventId: `${host}:${pid}` },
    host: { name: host },
    user: { id: "33", name: "www-data" },
    process: { pid, ppid: pid + 100_000, executable: exe, args: [exe.split("/").at(-1), "192.0.2.7"] },
    parent: { pid: pid + 100_000, executable: parentExe },
  });
}

/** The same exec as an ECS document, its `@timestamp` as given. */
function ecs(host: string, pid: number, exe: string, parentExe: string, timestamp: unknown): string {
  return JSON.stringify({
    "@timestamp": timestamp,
    host: { name: host },
    event: { kind: "event", category: ["process"], type: ["start"], action: "exec" },
    process: {
      pid,
      executable: exe,
      args: [exe.split("/").at(-1), "192.0.2.7"],
      working_directory: "/",
      parent: { pid: pid + 100_000, executable: parentExe },
    },
    user: { id: "33", name: "www-data" },
  });
}

function batch(host: string, payloads: (string | Buffer)[]): KinesisStreamEvent {
  const [event] = toKinesisEvents(
    payloads.map((p) => ({ data: typeof p === "string" ? Buffer.from(p) : p, partitionKey: host })),
  );
  return event!;
}

function harness() {
  const h = detectorHarness(dynamo.client, dynamo.tableName);
  const messages = (): QuarantineMessage[] =>
    h.sqsMock
      .commandCalls(SendMessageBatchCommand)
      .flatMap((c) => c.args[0].input.Entries ?? [])
      .map((e) => JSON.parse(e.MessageBody!) as QuarantineMessage);
  return { ...h, messages };
}

/** Dedup UpdateItem calls (items `d|…`) made on the shared client from now on. */
function countDedupUpdates() {
  let updates = 0;
  let counting = true;
  dynamo.client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: { pk?: { S?: string } } };
      if (counting && context.commandName === "UpdateItemCommand" && input.Key?.pk?.S?.startsWith("d|"))
        updates++;
      return next(args);
    },
    { step: "initialize", name: `countDedup${hosts}` },
  );
  return {
    updates: () => updates,
    stop: () => {
      counting = false;
    },
  };
}

describe("bounded, poison-proof invocations", () => {
  it("a poison timestamp (1e300) costs its one record: both valid alerts go out, the batch completes", async () => {
    const h = harness();
    const host = freshHost();
    const event = batch(host, [
      ecs(host, 101, "/usr/bin/curl", "/tmp/a.sh", "2026-11-27T08:00:00.001Z"),
      ecs(host, 102, "/usr/bin/wget", "/tmp/b.sh", 1e300),
      ecs(host, 103, "/usr/bin/nc", "/tmp/c.sh", "2026-11-27T08:00:00.003Z"),
    ]);
    expect(await makeKinesisHandler(h.deps)(event)).toEqual({ batchItemFailures: [] });
    expect(h.published().map((a) => a.utility.name)).toEqual(["curl", "nc"]);
    const [poison, ...rest] = h.messages();
    expect(rest).toEqual([]);
    expect(poison!.source.id).toBe(event.Records[1]!.kinesis.sequenceNumber);
    expect(Buffer.from(poison!.rawBase64, "base64").toString()).toBe(
      Buffer.from(event.Records[1]!.kinesis.data, "base64").toString(),
    );
  });

  it("a 64 KiB record of junk lines is one quarantine message with its exact bytes; its valid line alerts", async () => {
    const h = harness();
    // 20 ms per call, as measured: 3,277 sequential calls took the invocation past its timeout.
    h.sqsMock.on(SendMessageBatchCommand).callsFake(async (input: SendMessageBatchCommandInput) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return {
        Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: "m", MD5OfMessageBody: "0" })),
        Failed: [],
      };
    });
    const host = freshHost();
    const junk = Buffer.concat([
      Buffer.from(`${native(host, 201, "/usr/bin/curl", "/tmp/.x")}\n`),
      Buffer.alloc(64 * 1024, "x\n"),
    ]);
    const event = batch(host, [junk]);
    expect(await makeKinesisHandler(h.deps)(event)).toEqual({ batchItemFailures: [] });
    expect(h.sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
    const [message] = h.messages();
    expect(message!.reason).toMatch(/^32768 malformed records \(more than 10\): set aside whole/);
    expect(Buffer.from(message!.rawBase64, "base64").equals(junk)).toBe(true);
    expect(h.published().map((a) => a.utility.name)).toEqual(["curl"]);
  });

  it("invalid UTF-8 and a 300 KB line are set aside byte for byte, the large one through S3", async () => {
    const h = harness();
    const host = freshHost();
    const invalid = Buffer.from([0xff, 0xfe, 0xc3]);
    const long = Buffer.alloc(300 * 1024, "q");
    const good = native(host, 301, "/usr/bin/curl", "/dev/shm/.y");
    const event = batch(host, [
      Buffer.concat([Buffer.from(`${good}\n`), invalid, Buffer.from("\n")]),
      Buffer.concat([long, Buffer.from("\r\n")]),
    ]);
    expect(await makeKinesisHandler(h.deps)(event)).toEqual({ batchItemFailures: [] });
    expect(h.published().map((a) => a.utility.name)).toEqual(["curl"]);
    const [first, second] = h.messages();
    expect(first).toMatchObject({ source: { line: 2 }, rawBytes: 3, rawObject: null, truncated: false });
    expect(Buffer.from(first!.rawBase64, "base64").equals(invalid)).toBe(true);
    // The line as sent, its carriage return included; only the newline that ends it is not part of it.
    const exact = Buffer.concat([long, Buffer.from("\r")]);
    const sha = createHash("sha256").update(exact).digest("hex");
    expect(second).toMatchObject({
      source: { id: event.Records[1]!.kinesis.sequenceNumber, line: 1 },
      rawBase64: "",
      rawBytes: exact.length,
      rawSha256: sha,
      rawObject: { bucket: BUCKET, key: `quarantine/${sha.slice(0, 2)}/${sha}` },
      truncated: false,
    });
    const [put] = h.s3Mock.commandCalls(PutObjectCommand);
    expect((put!.args[0].input.Body as Buffer).equals(exact)).toBe(true);
  });

  it("2,000 hits in one record: one dedup update per key, one publish per window", async () => {
    const h = harness();
    const host = freshHost();
    const sameKey = Array.from({ length: 2000 }, (_, i) =>
      native(host, 1000 + i, "/usr/bin/curl", "/tmp/.k"),
    );
    const twentyKeys = Array.from({ length: 2000 }, (_, i) =>
      native(host, 5000 + i, "/usr/bin/curl", `/tmp/.k${i % 20}`),
    );
    const counter = countDedupUpdates();
    try {
      const handler = makeKinesisHandler(h.deps);
      expect(await handler(batch(host, [sameKey.join("\n")]))).toEqual({ batchItemFailures: [] });
      expect(counter.updates()).toBe(1);
      expect(h.published()).toHaveLength(1);
      expect(await handler(batch(host, [twentyKeys.join("\n")]))).toEqual({ batchItemFailures: [] });
      expect(counter.updates()).toBe(21);
      expect(h.published()).toHaveLength(21);
    } finally {
      counter.stop();
    }
  });

  it("at the deadline no new alert starts: the first record not done is delivered again, each alert once", async () => {
    const h = harness();
    const host = freshHost();
    // The deadline is kept by a clock that only publishing moves, 100 ms a publish: what starts before the
    // deadline does not depend on the machine's load.
    let virtual = Date.now();
    h.snsMock.on(PublishCommand).callsFake(async () => {
      virtual += 100;
      return { MessageId: "m" };
    });
    const handler = makeKinesisHandler({ ...h.deps, clock: () => virtual });
    // Lambda's context: 5.5 s left, of which the last 5 s are kept for the write round and the logs.
    const context = { getRemainingTimeInMillis: () => 5_500 };
    const event = batch(
      host,
      Array.from({ length: 40 }, (_, i) => native(host, 400 + i, "/usr/bin/curl", `/tmp/.d${i}`)),
    );
    let records = event.Records;
    const failedAt: number[] = [];
    for (let attempt = 0; records.length > 0; attempt++) {
      expect(attempt).toBeLessThan(40);
      const { batchItemFailures } = await handler({ Records: records }, context);
      if (batchItemFailures.length === 0) break;
      const from = records.findIndex(
        (r) => r.kinesis.sequenceNumber === batchItemFailures[0]!.itemIdentifier,
      );
      failedAt.push(from);
      records = records.slice(from);
    }
    // Each invocation starts the deliveries that fit before its deadline (a round of 8 at once), reports the
    // next record, and the redelivery goes on from there.
    expect(failedAt).toEqual([8, 8, 8, 8]);
    const ids = h.published().map((a) => a.id);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });
});
