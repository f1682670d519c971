import { describe, expect, it } from "vitest";
import { alertSummary, replayText as run } from "../helpers/replay-text.js";
import { CAPTURED_ALERTS, CAPTURED_AUDITD, CAPTURED_LAUREL, readSample } from "../helpers/samples.js";

/**
 * Telemetry is hostile input (DESIGN §7): every bad record is counted and reported with its line, nothing
 * throws, and the valid events around the bad ones still alert.
 */

/** Inserts bad lines after the given 0-based line indexes of a sample; returns the text and their line numbers. */
function inject(sample: string, bad: { after: number; lines: string[] }[]) {
  const lines = sample.replace(/\n$/, "").split("\n");
  const out: string[] = [];
  const badLines: number[] = [];
  lines.forEach((line, i) => {
    out.push(line);
    for (const b of bad.filter((x) => x.after === i)) {
      for (const l of b.lines) {
        out.push(l);
        badLines.push(out.length);
      }
    }
  });
  return { text: `${out.join("\n")}\n`, badLines };
}

const BINARY = Buffer.from([0x00, 0xff, 0xfe, 0x1b, 0x5b, 0x32, 0x4a, 0x80, 0x9b, 0x07, 0xc3]).toString(
  "latin1",
);
const NESTED = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
const ONE_MB = `type=EXECVE msg=audit(1795822038.700:1):  a0="${"A".repeat(1024 * 1024)}"`;

describe("hostile auditd input", () => {
  const sample = readSample(CAPTURED_AUDITD);
  const hostile = [
    // Lines 0-41 are the wrapper's events; the D1 dropper starts at line 42, D2's .x at 78.
    { after: 10, lines: ["type=SYSCALL msg=audit(1795822038.612:10"] }, // truncated record
    { after: 20, lines: [BINARY] }, // binary garbage
    { after: 30, lines: ['type=EXECVE msg=audit(1795822038.640:2000): argc=2 a0="x" a1=4G4'] }, // bad hex
    { after: 40, lines: [ONE_MB] }, // a 1 MB line
    { after: 60, lines: [NESTED] }, // deeply nested JSON
    // A record split across the input: one SYSCALL line broken in two.
    {
      after: 70,
      lines: [
        "type=SYSCALL msg=audit(1795822038.700:2001): arch=c000003e syscall=59 succ",
        'ess=yes exit=0 items=2 ppid=1 pid=2 comm="x"',
      ],
    },
  ];

  it.each([
    ["whole", undefined],
    ["in tiny chunks", [1, 3, 7, 512]],
  ])(
    "each bad record is counted with its line; the two captured alerts survive (%s)",
    async (_name, sizes) => {
      const { text, badLines } = inject(sample, hostile);
      const { alerts, summary } = await run(text, "auto", sizes);
      expect(alertSummary(alerts)).toEqual(CAPTURED_ALERTS);
      expect(summary.counters.malformed).toBe(badLines.length);
      expect(summary.malformed.map((m) => m.line)).toEqual(badLines);
      for (const m of summary.malformed) expect(m.reason.length).toBeGreaterThan(5);
      expect(summary.counters.execEvents).toBe(27);
    },
  );

  it("the same with --format auditd", async () => {
    const { text, badLines } = inject(sample, hostile);
    const { alerts, summary } = await run(text, "auditd");
    expect(alertSummary(alerts)).toEqual(CAPTURED_ALERTS);
    expect(summary.malformed.map((m) => m.line)).toEqual(badLines);
  });

  it("an event whose records are far apart in the input is still assembled", async () => {
    const lines = sample.replace(/\n$/, "").split("\n");
    // Move the nslookup event's EXECVE line (serial 1051) ten lines later, past other events' records.
    const i = lines.findIndex((l) => l.startsWith("type=EXECVE msg=audit(1795822038.628:1051)"));
    const [execve] = lines.splice(i, 1);
    lines.splice(i + 10, 0, execve!);
    const { alerts, summary } = await run(`${lines.join("\n")}\n`);
    expect(alertSummary(alerts)).toEqual(CAPTURED_ALERTS);
    expect(summary.counters.malformed).toBe(0);
  });
});

describe("hostile laurel input", () => {
  const sample = readSample(CAPTURED_LAUREL);
  it("truncated, garbage, nested, oversized and split records are counted with their lines", async () => {
    const line3 = sample.split("\n")[3]!;
    const { text, badLines } = inject(sample, [
      { after: 1, lines: [line3.slice(0, 200)] }, // truncated
      { after: 2, lines: [BINARY] },
      { after: 3, lines: [NESTED] },
      { after: 4, lines: [`{"ID":"1.0:1","pad":"${"x".repeat(1024 * 1024)}"}`] },
      { after: 5, lines: [line3.slice(0, 500), line3.slice(500)] }, // split across two lines
      {
        after: 6,
        lines: ['{"ID":"1795822038.700:3","SYSCALL":{"syscall":59,"success":"yes","pid":{"$gt":1}}}'],
      }, // wrong type
    ]);
    const { alerts, summary } = await run(text);
    expect(alertSummary(alerts)).toEqual(CAPTURED_ALERTS);
    expect(summary.malformed.map((m) => m.line)).toEqual(badLines);
    expect(summary.counters.execEvents).toBe(27);
  });

  it("lists the first 10 malformed records and counts all of them", async () => {
    const garbage = Array.from({ length: 25 }, (_, i) => `garbage ${i}`).join("\n");
    const { alerts, summary } = await run(`${garbage}\n${sample}`);
    expect(alerts).toHaveLength(2);
    expect(summary.counters.malformed).toBe(25);
    expect(summary.malformed.map((m) => m.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
