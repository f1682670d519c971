import { createHash } from "node:crypto";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  RequestThrottled,
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { DetectorError } from "../../lib/errors.js";
import type { QuarantinedRecord } from "../../lib/quarantine/quarantine-sink.js";
import { S3OverflowStore } from "../../lib/quarantine/s3-overflow-store.js";
import {
  MAX_CONCURRENT_SENDS,
  QUARANTINE_RAW_KEEP_BYTES,
  type QuarantineMessage,
  SQS_MAX_BATCH_BYTES,
  SqsQuarantine,
} from "../../lib/quarantine/sqs-quarantine.js";

const QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/netutil-quarantine";
const BUCKET = "netutil-quarantine-overflow";
const sqs = mockClient(SQSClient);
const s3 = mockClient(S3Client);
let sleeps: number[] = [];

beforeEach(() => {
  sqs.reset();
  s3.reset();
  sleeps = [];
});

function quarantine(): SqsQuarantine {
  return new SqsQuarantine({
    client: new SQSClient({ region: "eu-west-1" }),
    queueUrl: QUEUE_URL,
    retry: {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
  });
}

function withOverflow(): SqsQuarantine {
  return new SqsQuarantine({
    client: new SQSClient({ region: "eu-west-1" }),
    queueUrl: QUEUE_URL,
    overflow: new S3OverflowStore({ client: new S3Client({ region: "eu-west-1" }), bucket: BUCKET }),
  });
}

type Entries = NonNullable<SendMessageBatchCommandInput["Entries"]>;

/** SQS's answer when it takes everything it was sent. */
function acceptAll(input: SendMessageBatchCommandInput): SendMessageBatchCommandOutput {
  return {
    Successful: (input.Entries ?? []).map((e) => ({
      Id: e.Id,
      MessageId: `m-${e.Id}`,
      MD5OfMessageBody: "-",
    })),
    Failed: [],
    $metadata: {},
  };
}

function record(i: number, overrides: Partial<QuarantinedRecord> = {}): QuarantinedRecord {
  return {
    reason: `bad record ${i}`,
    raw: Buffer.from(`line ${i}`),
    source: { trigger: "kinesis", id: `seq-${i}`, line: i, origin: "web-01" },
    ...overrides,
  };
}

function inputs(): SendMessageBatchCommandInput[] {
  return sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
}

function body(entries: Entries | undefined, index: number): QuarantineMessage {
  return JSON.parse(entries?.[index]?.MessageBody ?? "null") as QuarantineMessage;
}

describe("SqsQuarantine", () => {
  it("sends 25 records in 3 calls of 10, 10 and 5, each entry exact", async () => {
    sqs.on(SendMessageBatchCommand).callsFake(acceptAll);
    const records = Array.from({ length: 25 }, (_, i) => record(i));
    await quarantine().put(records);

    const entry = (i: number) => ({
      Id: `r${i}`,
      MessageBody: JSON.stringify({
        reason: `bad record ${i}`,
        source: { trigger: "kinesis", id: `seq-${i}`, line: i, origin: "web-01" },
        rawBase64: Buffer.from(`line ${i}`).toString("base64"),
        rawBytes: `line ${i}`.length,
        rawSha256: createHash("sha256").update(`line ${i}`).digest("hex"),
        rawObject: null,
        truncated: false,
      }),
      MessageAttributes: {
        reason: { DataType: "String", StringValue: `bad record ${i}` },
        trigger: { DataType: "String", StringValue: "kinesis" },
      },
    });
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => entry(from + k));
    expect(inputs()).toEqual([
      { QueueUrl: QUEUE_URL, Entries: range(0, 10) },
      { QueueUrl: QUEUE_URL, Entries: range(10, 20) },
      { QueueUrl: QUEUE_URL, Entries: range(20, 25) },
    ]);
  });

  it("sends nothing for no records", async () => {
    await quarantine().put([]);
    expect(inputs()).toEqual([]);
  });

  it("writes null for a missing line or origin", async () => {
    sqs.on(SendMessageBatchCommand).callsFake(acceptAll);
    await quarantine().put([{ reason: "r", raw: Buffer.from("x"), source: { trigger: "cli", id: "f.log" } }]);
    expect(body(inputs()[0]?.Entries, 0).source).toEqual({
      trigger: "cli",
      id: "f.log",
      line: null,
      origin: null,
    });
  });

  it("keeps the first 180 KiB of a 300 KiB record, marked truncated, within one message", async () => {
    sqs.on(SendMessageBatchCommand).callsFake(acceptAll);
    const raw = Buffer.alloc(300 * 1024, "a");
    raw.write("HEAD", 0);
    await quarantine().put([record(0, { raw })]);

    const entries = inputs()[0]?.Entries;
    const message = body(entries, 0);
    expect(message.truncated).toBe(true);
    expect(message.rawBytes).toBe(300 * 1024);
    const kept = Buffer.from(message.rawBase64, "base64");
    expect(kept.length).toBe(QUARANTINE_RAW_KEEP_BYTES);
    expect(kept.equals(raw.subarray(0, QUARANTINE_RAW_KEEP_BYTES))).toBe(true);
    expect(entries![0]!.MessageBody!.length).toBeLessThanOrEqual(256 * 1024);
  });

  it("with an overflow bucket, a 300 KiB record goes to S3 byte for byte and the message points to it", async () => {
    sqs.on(SendMessageBatchCommand).callsFake(acceptAll);
    s3.on(PutObjectCommand).resolves({});
    const raw = Buffer.concat([Buffer.from([0xff, 0xfe, 0xc3]), Buffer.alloc(300 * 1024, "a")]);
    const sha = createHash("sha256").update(raw).digest("hex");
    await withOverflow().put([record(0, { raw }), record(1)]);

    const key = `quarantine/${sha.slice(0, 2)}/${sha}`;
    const puts = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(puts).toEqual([
      {
        Bucket: BUCKET,
        Key: key,
        Body: raw,
        ContentType: "application/octet-stream",
        ChecksumSHA256: Buffer.from(sha, "hex").toString("base64"),
      },
    ]);
    const entries = inputs()[0]?.Entries;
    expect(body(entries, 0)).toMatchObject({
      rawBase64: "",
      rawBytes: raw.length,
      rawSha256: sha,
      rawObject: { bucket: BUCKET, key },
      truncated: false,
    });
    // A small record stays in its message.
    expect(body(entries, 1)).toMatchObject({ rawObject: null, truncated: false });
  });

  it("an overflow upload that fails fails the put, retryably, before any message points to nothing", async () => {
    sqs.on(SendMessageBatchCommand).callsFake(acceptAll);
    s3.on(PutObjectCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDenied" }));
    await expect(
      withOverflow().put([record(0, { raw: Buffer.alloc(QUARANTINE_RAW_KEEP_BYTES + 1) })]),
    ).rejects.toMatchObject({ retryable: true, context: { bucket: BUCKET } });
    expect(inputs()).toEqual([]);
  });

  it("still fits when the reason and source are at their longest", async () => {
    sqs.on(SendMessageBatchCommand).callsFake(acceptAll);
    const long = "\u202e".repeat(50_000);
    const raw = Buffer.alloc(300 * 1024, 1);
    await quarantine().put([
      { reason: long, raw, source: { trigger: "kinesis", id: long, line: 1, origin: long } },
    ]);

    const entry = inputs()[0]!.Entries![0]!;
    const attributes = Object.entries(entry.MessageAttributes ?? {}).reduce(
      (sum, [name, v]) => sum + name.length + (v.DataType ?? "").length + (v.StringValue ?? "").length,
      0,
    );
    expect(entry.MessageBody!.length + attributes).toBeLessThanOrEqual(256 * 1024);
    const message = body([entry], 0);
    expect(message.truncated).toBe(true);
    expect(Buffer.from(message.rawBase64, "base64").length).toBeLessThan(QUARANTINE_RAW_KEEP_BYTES);
    expect(entry.MessageAttributes?.["reason"]?.StringValue).toBe(`${"?".repeat(253)}...`);
  });

  it("splits by payload size too: three 240 KiB messages go in three calls", async () => {
    sqs.on(SendMessageBatchCommand).callsFake(acceptAll);
    const big = () => Buffer.alloc(QUARANTINE_RAW_KEEP_BYTES, 7);
    await quarantine().put([record(0, { raw: big() }), record(1, { raw: big() }), record(2, { raw: big() })]);
    expect(inputs().map((input) => input.Entries?.map((e) => e.Id))).toEqual([["r0"], ["r1"], ["r2"]]);
    for (const input of inputs()) {
      const bytes = (input.Entries ?? []).reduce((sum, e) => sum + (e.MessageBody ?? "").length, 0);
      expect(bytes).toBeLessThanOrEqual(SQS_MAX_BATCH_BYTES);
    }
  });

  it("round-trips binary bytes through base64 in a pure-ASCII body", async () => {
    sqs.on(SendMessageBatchCommand).callsFake(acceptAll);
    const raw = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7) % 256));
    const reason = "invalid UTF-8 \u0000\ud800 é \n🔥 \ufffe";
    await quarantine().put([record(0, { raw, reason })]);

    const entry = inputs()[0]!.Entries![0]!;
    // Only characters SQS accepts, whatever the record held.
    expect(entry.MessageBody).toMatch(/^[\x20-\x7e]*$/);
    const message = body([entry], 0);
    expect(Buffer.from(message.rawBase64, "base64").equals(raw)).toBe(true);
    expect(message.rawBytes).toBe(512);
    expect(message.truncated).toBe(false);
    expect(message.reason).toBe(reason);
    expect(entry.MessageAttributes?.["reason"]).toEqual({
      DataType: "String",
      StringValue: "invalid UTF-8 ?? ? ?? ?",
    });
  });

  it("resends the entries SQS failed through no fault of ours, once, after a backoff", async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [
          { Id: "r0", MessageId: "m0", MD5OfMessageBody: "-" },
          { Id: "r2", MessageId: "m2", MD5OfMessageBody: "-" },
        ],
        Failed: [{ Id: "r1", SenderFault: false, Code: "InternalError", Message: "try again" }],
      })
      .callsFake(acceptAll);
    await quarantine().put([record(0), record(1), record(2)]);

    const [first, second] = inputs();
    expect(inputs()).toHaveLength(2);
    expect(second).toEqual({ QueueUrl: QUEUE_URL, Entries: [first!.Entries![1]] });
    expect(sleeps).toHaveLength(1);
  });

  it("treats an entry missing from the response as failed", async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Successful: [{ Id: "r0", MessageId: "m0", MD5OfMessageBody: "-" }], Failed: [] })
      .callsFake(acceptAll);
    await quarantine().put([record(0), record(1)]);
    expect(inputs()[1]?.Entries?.map((e) => e.Id)).toEqual(["r1"]);
  });

  it("throws a retryable DetectorError when entries still fail after the resend", async () => {
    sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
      Successful: (input.Entries ?? [])
        .filter((e) => e.Id !== "r1")
        .map((e) => ({ Id: e.Id, MessageId: "m", MD5OfMessageBody: "-" })),
      Failed: [{ Id: "r1", SenderFault: false, Code: "InternalError", Message: "still failing" }],
    }));
    const putting = quarantine().put([record(0), record(1)]);
    await expect(putting).rejects.toBeInstanceOf(DetectorError);
    await expect(putting).rejects.toMatchObject({
      retryable: true,
      context: {
        queueUrl: QUEUE_URL,
        failed: 1,
        codes: "InternalError",
        ids: "r1",
        message: "still failing",
      },
    });
    expect(inputs()).toHaveLength(2);
  });

  it("does not resend a sender fault, but still fails the record", async () => {
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: "r0", MessageId: "m0", MD5OfMessageBody: "-" }],
      Failed: [{ Id: "r1", SenderFault: true, Code: "InvalidMessageContents", Message: "bad" }],
    });
    await expect(quarantine().put([record(0), record(1)])).rejects.toMatchObject({
      retryable: true,
      context: { failed: 1, codes: "InvalidMessageContents" },
    });
    expect(inputs()).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("a chunk that fails fails the put; chunks in flight finish, none starts after it", async () => {
    // The first chunk is refused at once; the others take a while, as real calls do.
    sqs.on(SendMessageBatchCommand).callsFake(async (input: SendMessageBatchCommandInput) => {
      if (input.Entries?.[0]?.Id === "r0")
        return { ...acceptAll(input), Failed: [{ Id: "r0", SenderFault: true, Code: "X" }] };
      await new Promise((resolve) => setTimeout(resolve, 20));
      return acceptAll(input);
    });
    await expect(quarantine().put(Array.from({ length: 100 }, (_, i) => record(i)))).rejects.toBeInstanceOf(
      DetectorError,
    );
    // Ten chunks: the first MAX_CONCURRENT_SENDS started together, the rest never did.
    expect(inputs().map((input) => input.Entries?.[0]?.Id)).toEqual(
      Array.from({ length: MAX_CONCURRENT_SENDS }, (_, i) => `r${i * 10}`),
    );
  });

  it("past the deadline no call starts: the put fails, retryably", async () => {
    sqs.on(SendMessageBatchCommand).callsFake(acceptAll);
    await expect(quarantine().put([record(0)], { now: () => 2, deadline: 1 })).rejects.toMatchObject({
      retryable: true,
    });
    expect(inputs()).toEqual([]);
  });

  it("wraps a failed call in a retryable DetectorError with its cause", async () => {
    const error = new RequestThrottled({ message: "slow down", $metadata: { httpStatusCode: 400 } });
    sqs.on(SendMessageBatchCommand).rejects(error);
    await expect(quarantine().put([record(0)])).rejects.toMatchObject({
      name: "DetectorError",
      retryable: true,
      cause: error,
      context: { queueUrl: QUEUE_URL, entries: 1 },
    });
  });
});
