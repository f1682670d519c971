import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { frameText } from "../../lib/telemetry/framing.js";
import { openCloudWatchEnvelope, openKinesisPayload } from "../../lib/telemetry/transport.js";
import { cloudWatchEnvelope, controlMessage } from "../helpers/cloudwatch-logs-events.js";
import { readSample } from "../helpers/samples.js";

const MAX = 1 << 20;

describe("Kinesis payloads (upstream Powertools samples)", () => {
  it("a plain record is its own text, the partition key its host", () => {
    const event = JSON.parse(readSample("upstream/aws/powertools_kinesis_stream.json"));
    const record = event.Records[0].kinesis;
    const data = Buffer.from(record.data, "base64");
    // The bytes themselves ride along: a line set aside is kept as sent, not as decoded.
    expect(openKinesisPayload(data, record.partitionKey, MAX)).toEqual({
      kind: "messages",
      messages: [{ text: "Hello, this is a test.", defaultHost: "1", id: "", bytes: data }],
      openedBytes: data.length,
    });
  });

  it("a CloudWatch Logs subscription record is inflated; the log stream is the host", () => {
    const event = JSON.parse(readSample("upstream/aws/powertools_kinesis_stream-cloudwatch-logs.json"));
    const record = event.Records[0].kinesis;
    const opened = openKinesisPayload(Buffer.from(record.data, "base64"), record.partitionKey, MAX);
    expect(opened.kind).toBe("messages");
    if (opened.kind !== "messages") return;
    expect(opened.messages[0]!.text).toMatch(/^START RequestId: 06e46194/);
    expect(opened.messages[0]!.defaultHost).toBe("2022/11/10/[$LATEST]26b6a45d574f442ea28438923cbf7bf7");
    expect(opened.messages[0]!.id).toBe("37199717562907174288355125807040114704837640994633613312");
  });

  it("the direct CloudWatch Logs → Lambda envelope opens the same way", () => {
    const event = JSON.parse(readSample("upstream/aws/powertools_cloudwatch_base.json"));
    const opened = openCloudWatchEnvelope(Buffer.from(event.awslogs.data, "base64"), MAX);
    expect(opened.kind).toBe("messages");
  });
});

describe("hostile transport", () => {
  it("CONTROL_MESSAGE is skipped", () => {
    expect(openKinesisPayload(controlMessage(), "pk", MAX)).toEqual({ kind: "control" });
  });

  it("a gzip bomb stops at the cap", () => {
    const bomb = gzipSync(Buffer.alloc(64 << 20));
    expect(bomb.length).toBeLessThan(128 * 1024);
    const opened = openKinesisPayload(bomb, "pk", 1 << 20);
    expect(opened).toEqual({ kind: "error", reason: `gzip payload inflates beyond ${1 << 20} bytes` });
  });

  it.each([
    ["truncated gzip", cloudWatchEnvelope(["x"], "s").subarray(0, 20), /not valid gzip/],
    ["gzip of non-JSON", gzipSync("not json"), /not JSON/],
    [
      "unknown message type",
      gzipSync(JSON.stringify({ messageType: "X" })),
      /unknown CloudWatch Logs messageType/,
    ],
    ["no logEvents", gzipSync(JSON.stringify({ messageType: "DATA_MESSAGE" })), /no logEvents/],
    [
      "event without message",
      gzipSync(JSON.stringify({ messageType: "DATA_MESSAGE", logEvents: [{ id: "1" }] })),
      /no message/,
    ],
  ])("%s is an error with a reason", (_name, data, reason) => {
    const opened = openKinesisPayload(data, "pk", MAX);
    expect(opened.kind).toBe("error");
    if (opened.kind === "error") expect(opened.reason).toMatch(reason);
  });
});

describe("frameText", () => {
  it("numbers lines from the given line, strips CR, drops the empty tail after a final newline", () => {
    expect(frameText("a\r\nb\n", 10)).toEqual([
      { text: "a", line: 10 },
      { text: "b", line: 11 },
    ]);
    expect(frameText("", 1)).toEqual([{ text: "", line: 1 }]);
  });

  it("caps an oversized line as a positioned error", () => {
    const [only] = frameText("x".repeat(300 * 1024), 5);
    expect(only!.line).toBe(5);
    expect(only!.error).toMatch(/exceeds/);
    expect(only!.text.length).toBe(1024);
  });
});
