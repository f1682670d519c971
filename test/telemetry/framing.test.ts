import { describe, expect, it } from "vitest";
import {
  createDocumentJoiner,
  type FramedRecord,
  flushDocumentJoiner,
  frameLines,
  MAX_RECORD_BYTES,
} from "../../lib/telemetry/framing.js";
import { chunked } from "../helpers/samples.js";

async function frame(source: AsyncIterable<Buffer | string>, joinDocuments = false): Promise<FramedRecord[]> {
  const out: FramedRecord[] = [];
  const join = joinDocuments ? createDocumentJoiner() : undefined;
  for await (const records of frameLines(source)) out.push(...(join ? join(records) : records));
  if (join) out.push(...flushDocumentJoiner(join));
  return out;
}

const whole = async function* (text: string) {
  yield Buffer.from(text);
};

describe("frameLines", () => {
  it("numbers lines, strips CR, keeps a last line without newline, whatever the chunking", async () => {
    const text = "a\r\nbb\n\nccc";
    const expected = [
      { text: "a", line: 1 },
      { text: "bb", line: 2 },
      { text: "", line: 3 },
      { text: "ccc", line: 4 },
    ];
    expect(await frame(whole(text))).toEqual(expected);
    expect(await frame(chunked(text, [1]))).toEqual(expected);
    expect(await frame(chunked(text, [2, 5]))).toEqual(expected);
  });

  it("decodes multi-byte UTF-8 split across chunks", async () => {
    expect(await frame(chunked("é→ü\n", [1]))).toEqual([{ text: "é→ü", line: 1 }]);
  });

  it.each([
    ["in one chunk", [1 << 22]],
    ["in small chunks", [65536, 1000]],
    ["in chunks that end on the cap", [MAX_RECORD_BYTES + 3, 7]],
  ])("turns an oversized line into one positioned error and goes on (%s)", async (_name, sizes) => {
    const big = "x".repeat(1024 * 1024);
    const records = await frame(chunked(`ok\n${big}\nafter\n`, sizes));
    expect(records.map((r) => [r.line, r.error === undefined ? r.text : "error"])).toEqual([
      [1, "ok"],
      [2, "error"],
      [3, "after"],
    ]);
    expect(records[1]!.error).toBe(`record exceeds ${MAX_RECORD_BYTES} bytes (${big.length} bytes)`);
    expect(records[1]!.text.length).toBeLessThanOrEqual(1024);
  });

  it.each([
    ["one byte over the cap, in one chunk", MAX_RECORD_BYTES + 1, [1 << 22]],
    ["one byte over the cap, byte by byte at the end", MAX_RECORD_BYTES + 1, [MAX_RECORD_BYTES - 2, 1]],
    ["50 MiB, in 1 MiB chunks (a file stream's)", 50 * 1024 * 1024, [1 << 20]],
  ])("reports the exact size of an oversized last line without a newline: %s", async (_name, size, sizes) => {
    const records = await frame(chunked(Buffer.alloc(size, 0x78), sizes));
    expect(records.map((r) => [r.line, r.error])).toEqual([
      [1, `record exceeds ${MAX_RECORD_BYTES} bytes (${size} bytes)`],
    ]);
  });

  it("a line of exactly the cap is kept", async () => {
    const records = await frame(chunked(`${"x".repeat(MAX_RECORD_BYTES)}\n`, [4096]));
    expect(records).toEqual([{ text: "x".repeat(MAX_RECORD_BYTES), line: 1 }]);
  });
});

describe("document joiner", () => {
  it("joins a pretty-printed document into one record at its first line", async () => {
    const doc = JSON.stringify({ process: { pid: 1, args: ["a"] } }, null, 2);
    const records = await frame(whole(`{"a":1}\n${doc}\n{"b":2}\n`), true);
    expect(records.map((r) => r.line)).toEqual([1, 2, records[2]!.line]);
    expect(JSON.parse(records[1]!.text)).toEqual({ process: { pid: 1, args: ["a"] } });
    expect(records[2]!.text).toBe('{"b":2}');
  });

  it("an unterminated document is one error and does not swallow the records after it", async () => {
    const records = await frame(whole('{\n  "a": 1,\n{"valid":true}\ntype=EOE msg=audit(1.0:1):\n'), true);
    expect(records.map((r) => [r.line, r.error ?? r.text])).toEqual([
      [1, "unterminated JSON document"],
      [3, '{"valid":true}'],
      [4, "type=EOE msg=audit(1.0:1):"],
    ]);
  });

  it("a document still open at end of input is reported", async () => {
    const records = await frame(whole('{\n  "a": 1,\n'), true);
    expect(records.map((r) => [r.line, r.error])).toEqual([[1, "unterminated JSON document"]]);
  });
});
