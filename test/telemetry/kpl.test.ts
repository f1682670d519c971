import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { deaggregateKpl, isKplAggregated } from "../../lib/telemetry/kpl.js";
import { openKinesisPayload } from "../../lib/telemetry/transport.js";
import { aggregated } from "../helpers/kpl.js";

const MAX = 16 << 20;

describe("KPL aggregated records", () => {
  it("open into their user records, in order, each with its own partition key as default host", () => {
    const data = aggregated([
      { partitionKey: "web-01", data: "type=SYSCALL msg=audit(1.000:1): a\ntype=EOE msg=audit(1.000:1):" },
      { partitionKey: "web-02", data: '{"a":1}' },
    ]);
    expect(isKplAggregated(data)).toBe(true);
    const opened = openKinesisPayload(data, "outer", MAX);
    expect(opened.kind === "messages" && opened.messages.map((m) => [m.defaultHost, m.text])).toEqual([
      ["web-01", "type=SYSCALL msg=audit(1.000:1): a\ntype=EOE msg=audit(1.000:1):"],
      ["web-02", '{"a":1}'],
    ]);
  });

  it("a user record holding a CloudWatch Logs envelope is inflated like a plain one", () => {
    const envelope = gzipSync(
      JSON.stringify({
        messageType: "DATA_MESSAGE",
        logStream: "db-07",
        logEvents: [{ id: "e1", message: "line one" }],
      }),
    );
    const opened = openKinesisPayload(aggregated([{ partitionKey: "p", data: envelope }]), "outer", MAX);
    expect(opened.kind === "messages" && opened.messages.map((m) => [m.defaultHost, m.id, m.text])).toEqual([
      ["db-07", "e1", "line one"],
    ]);
  });

  it.each<[string, (b: Buffer) => Buffer]>([
    [
      "a flipped byte of a user record (checksum mismatch)",
      (b) => Buffer.from(b.map((x, i) => (i === 12 ? x ^ 1 : x))),
    ],
    ["a flipped checksum byte", (b) => Buffer.from(b.map((x, i) => (i === b.length - 1 ? x ^ 1 : x)))],
    ["cut short", (b) => b.subarray(0, b.length - 20)],
  ])("%s: the whole record is malformed, with a reason", (_name, spoil) => {
    const data = spoil(aggregated([{ partitionKey: "p", data: "some audit line" }]));
    const opened = openKinesisPayload(data, "outer", MAX);
    expect(opened).toMatchObject({
      kind: "error",
      reason: expect.stringMatching(/^KPL aggregated record: /),
    });
    expect(deaggregateKpl(data, "outer")).toHaveProperty("error");
  });

  it("a plain record that is not aggregated is left as it is", () => {
    expect(isKplAggregated(Buffer.from("type=SYSCALL"))).toBe(false);
  });
});
