import { describe, expect, it } from "vitest";
import { newCounters } from "../../lib/pipeline/counters.js";
import { openKinesisPayload } from "../../lib/telemetry/transport.js";
import { DEFAULT_BUDGETS, type DecodeBudgets } from "../../lib/triggers/budgets.js";
import { decodeUnits } from "../../lib/triggers/decode-units.js";
import type { DeliveryUnit } from "../../lib/triggers/delivery-unit.js";
import { lineIndex } from "../../lib/triggers/line-bytes.js";

const GOOD = JSON.stringify({
  schema: "netutil-detector/exec@1",
  time: "2026-11-27T08:00:00.000Z",
  source: { eventId: "h:1" },
  host: { name: "h" },
  user: { id: "0" },
  process: { pid: 2, ppid: 1, executable: "/usr/bin/curl", args: ["curl"] },
});

/** A plain Kinesis record: its bytes as sent. */
function unit(id: string, bytes: Buffer | string): DeliveryUnit {
  const raw = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
  return { id, origin: "h", raw, payload: openKinesisPayload(raw, "h", 1 << 20) };
}

/** A CloudWatch Logs event as its trigger makes one unit of it. */
function logEvent(id: string, text: string): DeliveryUnit {
  return {
    id,
    origin: "h",
    raw: Buffer.from(text),
    payload: { kind: "messages", messages: [{ text, defaultHost: "h", id }], openedBytes: text.length },
  };
}

const budgets = (over: Partial<DecodeBudgets> = {}): DecodeBudgets => ({ ...DEFAULT_BUDGETS, ...over });
const junk = (n: number) => Array.from({ length: n }, (_, i) => `junk ${i}`).join("\n");

describe("decodeUnits: what a batch sets aside", () => {
  it.each<[string, DeliveryUnit[], Partial<DecodeBudgets>, [string, number | undefined, string][]]>([
    [
      "a few malformed lines: one entry each, with its line and exact bytes",
      [unit("r0", Buffer.concat([Buffer.from(`${GOOD}\n\xff junk\n`, "latin1"), Buffer.from("x\r\n")]))],
      {},
      [
        ["r0", 2, "\xff junk"],
        ["r0", 3, "x\r"],
      ],
    ],
    [
      "a pretty-printed document that never closes: all its lines, once",
      [unit("r0", `{\n  "a": 1,\n  "b"\n${GOOD}`)],
      {},
      [["r0", 1, `{\n  "a": 1,\n  "b"`]],
    ],
    [
      "more malformed lines than the record's budget: the record once, whole",
      [unit("r0", `${GOOD}\n${junk(11)}`), unit("r1", junk(2))],
      {},
      [
        ["r0", undefined, `${GOOD}\n${junk(11)}`],
        ["r1", 1, "junk 0"],
        ["r1", 2, "junk 1"],
      ],
    ],
    [
      "more lines than the record may frame: set aside unread",
      [unit("r0", "\n".repeat(20))],
      { maxLinesPerRecord: 20 },
      [["r0", undefined, "\n".repeat(20)]],
    ],
    [
      "past the batch's budget: each record with anything malformed goes whole",
      [unit("r0", junk(2)), unit("r1", GOOD), unit("r2", junk(3))],
      { maxQuarantinedPerBatch: 4 },
      [
        ["r0", undefined, junk(2)],
        ["r2", undefined, junk(3)],
      ],
    ],
  ])("%s", (_name, units, over, expected) => {
    const decoded = decodeUnits(units, "kinesis", newCounters(), budgets(over));
    expect(
      decoded.quarantined.map((q) => [
        q.record.source.id,
        q.record.source.line,
        q.record.raw.toString("latin1"),
      ]),
    ).toEqual(expected);
  });

  it("a valid event in a flooding record is still decoded", () => {
    const decoded = decodeUnits([unit("r0", `${junk(50)}\n${GOOD}`)], "kinesis", newCounters(), budgets());
    expect(decoded.events.map((e) => e.process.executable)).toEqual(["/usr/bin/curl"]);
    expect(decoded.eventUnit.get("h:1")).toBe(0);
  });

  it("a CloudWatch Logs batch over its budget is set aside as its one envelope", () => {
    const units = Array.from({ length: 6 }, (_, i) => logEvent(`e${i}`, `junk ${i}`));
    const counters = newCounters();
    const decoded = decodeUnits(units, "cloudwatch-logs", counters, budgets({ maxQuarantinedPerBatch: 5 }), {
      id: "e0",
      raw: Buffer.from("the gzip envelope"),
    });
    expect(decoded.quarantined.map((q) => [q.record.source.id, q.record.raw.toString()])).toEqual([
      ["e0", "the gzip envelope"],
    ]);
    expect(counters.malformed).toBe(6);
  });
});

describe("lineIndex", () => {
  it.each<[string, string, number, number, string]>([
    ["the first line", "a\nbb\nccc", 1, 1, "a"],
    ["a middle line", "a\nbb\nccc", 2, 1, "bb"],
    ["the last line, unterminated", "a\nbb\nccc", 3, 1, "ccc"],
    ["two lines", "a\nbb\nccc", 1, 2, "a\nbb"],
    ["an empty last line", "a\n", 2, 1, ""],
    ["past the end", "a", 5, 1, ""],
  ])("%s", (_name, text, first, count, expected) => {
    expect(lineIndex(Buffer.from(text)).bytes(first, count).toString()).toBe(expected);
  });
});
