/**
 * No input makes a decoder throw. createRecordDecoder catches a throw so that a decoder bug costs one record,
 * not the batch, and marks that record `internal`; a property that only checked the output's kind would pass
 * over a decoder that throws on half its inputs. These properties feed every format real sample lines,
 * mutated, and fail on any internal error, or on any event or process exit with a value out of range
 * (event-bounds.ts): those must come out malformed, never reach the stores.
 */
import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createRecordDecoder } from "../../lib/telemetry/decode-records.js";
import type { DecodeOutput } from "../../lib/telemetry/decoder.js";
import { eventOutOfBounds, exitOutOfBounds } from "../../lib/telemetry/event-bounds.js";
import { INPUT_FORMATS, type InputFormat } from "../../lib/telemetry/input-format.js";
import { ecsDecoder } from "../../lib/telemetry/sources/ecs.js";
import { samplePath, telemetrySampleFiles } from "../helpers/samples.js";

const SEED = 20261203;

/**
 * One-line records of every sample file (at most 40 a file; gzip left out); a pretty-printed JSON document,
 * or each element of a JSON array, as one line.
 */
const sampleLines: readonly string[] = telemetrySampleFiles()
  .filter((f) => !f.endsWith(".gz"))
  .flatMap((f) => {
    const text = readFileSync(samplePath(f), "utf8");
    try {
      const whole: unknown = JSON.parse(text);
      return (Array.isArray(whole) ? whole : [whole]).slice(0, 40).map((v) => JSON.stringify(v));
    } catch {
      return text
        .split("\n")
        .filter((l) => l.trim().length > 0)
        .slice(0, 40);
    }
  })
  // The upstream ECS sample has no @timestamp (its test adds one), Sysmon's are kept with the chains: whole
  // events of every format from the test fixtures too.
  .concat(
    [
      "parent-cwd/ecs.jsonl",
      "parent-cwd/native.jsonl",
      ...readdirSync(new URL("../fixtures/chains/", import.meta.url))
        .filter((f) => !f.endsWith(".md"))
        .map((f) => `chains/${f}`),
    ].flatMap((f) =>
      readFileSync(new URL(`../fixtures/${f}`, import.meta.url), "utf8")
        .split("\n")
        .filter((l) => l.trim().length > 0),
    ),
  );

function decodeAll(format: InputFormat, lines: readonly string[]): DecodeOutput[] {
  const decoder = createRecordDecoder(format, { defaultHost: "prop" });
  const out: DecodeOutput[] = [];
  lines.forEach((text, i) => {
    decoder.push({ text, line: i + 1 }, out);
  });
  decoder.flush(out);
  return out;
}

const internalErrors = (out: readonly DecodeOutput[]) =>
  out
    .filter((o) => o.kind === "malformed" && o.internal === true)
    .map((o) => o.kind === "malformed" && o.reason);

/** Why each event or exit of the outputs is out of range (none, when the bounds are enforced). */
const outOfBounds = (out: readonly DecodeOutput[]) =>
  out.flatMap((o) => {
    const reason =
      o.kind === "event"
        ? eventOutOfBounds(o.event)
        : o.kind === "skipped" && o.exit !== undefined
          ? exitOutOfBounds(o.exit)
          : undefined;
    return reason === undefined ? [] : [reason];
  });

/** The sample lines a format's decoder recognises (decodes or skips), so its properties reach deep into it. */
const ownLines = (format: InputFormat): string[] =>
  sampleLines.filter((line) => decodeAll(format, [line]).some((o) => o.kind !== "malformed"));

/** Values just outside a bound (event-bounds.ts), which real telemetry never holds and a forger might. */
const OUT_OF_RANGE: readonly unknown[] = [
  1e300,
  -1,
  2 ** 31,
  2 ** 53 + 2,
  "9999999999999999",
  "99999999999999.000:1",
  "+275760-09-13T00:00:00.000Z",
  "\ud800",
  "x\udc00",
  "",
];

/** A JSON line with one value somewhere inside replaced, or the line cut, spliced or re-typed. */
const mutated = (lines: readonly string[]) =>
  fc
    .tuple(
      fc.constantFrom(...lines),
      fc.nat(),
      fc.oneof(
        { arbitrary: fc.anything(), weight: 3 },
        { arbitrary: fc.constantFrom(...OUT_OF_RANGE), weight: 1 },
      ),
      fc.nat(),
      fc.string({ maxLength: 8 }),
    )
    .map(([line, at, junk, cut, insert]) => {
      try {
        const value: unknown = JSON.parse(line);
        const holders: Record<string, unknown>[] = [];
        const walk = (v: unknown) => {
          if (v === null || typeof v !== "object") return;
          holders.push(v as Record<string, unknown>);
          for (const child of Object.values(v)) walk(child);
        };
        walk(value);
        const holder = holders[at % holders.length];
        if (holder !== undefined) {
          const keys = Object.keys(holder);
          if (keys.length > 0) holder[keys[at % keys.length]!] = junk;
        }
        return JSON.stringify(value) ?? line;
      } catch {
        const i = at % (line.length + 1);
        return line.slice(0, i) + insert + line.slice(i + (cut % 16));
      }
    });

const anyLine = (lines: readonly string[]) =>
  fc.oneof(
    { arbitrary: mutated(lines), weight: 4 },
    { arbitrary: fc.constantFrom(...lines), weight: 1 },
    { arbitrary: fc.string({ maxLength: 80 }), weight: 1 },
    { arbitrary: fc.anything().map((v) => JSON.stringify(v) ?? "null"), weight: 1 },
  );

function assertNoInternalErrors(format: InputFormat, numRuns: number) {
  const lines = format === "auto" ? sampleLines : ownLines(format);
  expect(lines.length, `sample lines ${format} recognises`).toBeGreaterThan(0);
  fc.assert(
    fc.property(fc.array(anyLine(lines), { minLength: 1, maxLength: 12 }), (batch) => {
      const out = decodeAll(format, batch);
      expect(internalErrors(out)).toEqual([]);
      expect(outOfBounds(out)).toEqual([]);
    }),
    { seed: SEED, numRuns },
  );
}

describe("every decoder, on real sample lines mutated", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("holds lines from every kind of sample", () => {
    expect(sampleLines.length).toBeGreaterThan(200);
    for (const marker of [
      '"@timestamp"',
      '"process_exec"',
      '"class_uid"',
      '"output_fields"',
      "type=SYSCALL",
      "<Event>",
    ])
      expect(
        sampleLines.some((l) => l.includes(marker)),
        marker,
      ).toBe(true);
  });

  it.each(INPUT_FORMATS)("%s: no record ends as an internal error or an event out of range", (format) => {
    assertNoInternalErrors(format, format === "auto" ? 1000 : 300);
  });

  it("the property catches a decoder that throws on half its inputs", () => {
    let calls = 0;
    const decode = ecsDecoder.decode.bind(ecsDecoder);
    vi.spyOn(ecsDecoder, "decode").mockImplementation((value, record, ctx) => {
      if (calls++ % 2 === 1) throw new Error("injected");
      return decode(value, record, ctx);
    });
    // The throw is contained (one record, not the batch) and named for what it is.
    const ecsLine = readFileSync(new URL("../fixtures/parent-cwd/ecs.jsonl", import.meta.url), "utf8").trim();
    const out = decodeAll("ecs", [ecsLine, ecsLine]);
    expect(out.map((o) => o.kind)).toEqual(["event", "malformed"]);
    expect(internalErrors(out)).toEqual(["ecs: internal error: injected"]);
    expect(() => assertNoInternalErrors("ecs", 50)).toThrow(/Property failed/);
  });
});
