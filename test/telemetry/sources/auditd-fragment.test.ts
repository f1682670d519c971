import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DecodeOutput } from "../../../lib/telemetry/decoder.js";
import { createAuditdDecoder } from "../../../lib/telemetry/sources/auditd.js";
import {
  type AuditFragment,
  buildFragment,
  decodeFragment,
  encodeFragment,
  fragmentState,
  mergeFragment,
} from "../../../lib/telemetry/sources/auditd-fragment.js";
import { readSample } from "../../helpers/samples.js";

/**
 * An auditd event cut into parts that different invocations see, in any order: the parts merged give the
 * event the whole stream gives. Real records: the attack-like procedures recorded with auditd, among them an
 * exec whose arguments span four EXECVE records (A11, serial 137).
 */
const LINES = readSample("recorded/attack-cases.auditd.log")
  .split("\n")
  .filter((l) => l.length > 0);

const serialOf = (line: string) => Number(/msg=audit\(\d+\.\d+:(\d+)\)/.exec(line)?.[1]);

/** The lines of each exec event of the sample (SYSCALL with syscall=59 and success=yes), by serial. */
const EXECS = new Map<number, string[]>();
for (const line of LINES) {
  const serial = serialOf(line);
  if (!Number.isFinite(serial)) continue;
  const list = EXECS.get(serial) ?? [];
  list.push(line);
  EXECS.set(serial, list);
}
for (const [serial, lines] of EXECS) {
  if (
    !lines.some((l) => l.startsWith("type=SYSCALL") && l.includes("syscall=59") && l.includes("success=yes"))
  )
    EXECS.delete(serial);
}

/** What the CLI makes of the lines (one decoder, in order, flushed at the end). */
function whole(lines: readonly string[]): DecodeOutput[] {
  const decoder = createAuditdDecoder({ defaultHost: "vm" });
  const out: DecodeOutput[] = [];
  lines.forEach((text, i) => {
    decoder.push({ text, line: i + 1 }, out);
  });
  decoder.flush(out);
  return out;
}

/** One invocation's view: a deferring decoder over some lines, and what it hands over. */
function part(lines: readonly string[]): { out: DecodeOutput[]; open: AuditFragment[] } {
  const decoder = createAuditdDecoder({ defaultHost: "vm" }, { deferIncomplete: true });
  const out: DecodeOutput[] = [];
  lines.forEach((text, i) => {
    decoder.push({ text, line: i + 1 }, out);
  });
  return { out, open: decoder.takeOpen() };
}

const eventOf = (outputs: readonly DecodeOutput[]) => {
  const found = outputs.find((o) => o.kind === "event");
  return found?.kind === "event" ? found.event : undefined;
};

describe("an auditd event cut into parts", () => {
  it("the sample has the execs the properties run over, one of them with its arguments over four records", () => {
    expect(EXECS.size).toBe(117);
    expect(EXECS.get(137)!.filter((l) => l.startsWith("type=EXECVE"))).toHaveLength(4);
  });

  it("whatever the cuts and the order of merging, the parts make the event the whole stream makes", () => {
    const serials = [...EXECS.keys()];
    fc.assert(
      fc.property(
        fc.constantFrom(...serials),
        fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (serial, cutSeeds, orderSeed) => {
          const lines = EXECS.get(serial)!;
          const cuts = [...new Set(cutSeeds.map((c) => 1 + (c % Math.max(1, lines.length - 1))))].sort(
            (a, b) => a - b,
          );
          const pieces: string[][] = [];
          let from = 0;
          for (const cut of [...cuts, lines.length]) {
            if (cut > from) pieces.push(lines.slice(from, cut));
            from = cut;
          }
          // Each part through the JSON the table stores, then merged in a scrambled order.
          const fragments = pieces
            .map(part)
            .flatMap((p) => p.open)
            .map((f) => decodeFragment(JSON.parse(JSON.stringify(encodeFragment(f))))!);
          const order = fragments
            .map((_, i) => i)
            .sort((a, b) => ((a * 7919 + orderSeed) % 13) - ((b * 7919 + orderSeed) % 13));
          const direct = pieces.length === 1 ? eventOf(part(lines).out) : undefined;
          const merged =
            fragments.length === 0
              ? direct
              : eventOf([
                  buildFragment(order.map((i) => fragments[i]!).reduce((a, b) => mergeFragment(a, b))),
                ]);
          expect(merged).toEqual(eventOf(whole(lines)));
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it.each([
    ["SYSCALL only", ["SYSCALL"], "head"],
    ["SYSCALL, EXECVE", ["SYSCALL", "EXECVE"], "head"],
    ["SYSCALL, EXECVE, CWD", ["SYSCALL", "EXECVE", "CWD"], "head"],
    ["up to PATH item 0", ["SYSCALL", "EXECVE", "CWD", "PATH0"], "sufficient"],
    ["everything", ["SYSCALL", "EXECVE", "CWD", "PATH0", "PATH1", "PROCTITLE"], "complete"],
    ["PROCTITLE before CWD came (out of order)", ["SYSCALL", "EXECVE", "PATH0", "PROCTITLE"], "head"],
    ["CWD and PATH without their SYSCALL", ["CWD", "PATH0"], "tail"],
    ["the second PATH and PROCTITLE alone", ["PATH1", "PROCTITLE"], "trailing"],
  ])("%s: %s", (_name, types, state) => {
    const lines = EXECS.get(76)!; // A1: /tmp/dropper.sh runs nslookup
    const pick = (type: string) =>
      lines.filter((l) =>
        type === "PATH0"
          ? l.startsWith("type=PATH") && l.includes("item=0")
          : type === "PATH1"
            ? l.startsWith("type=PATH") && l.includes("item=1")
            : l.startsWith(`type=${type} `),
      );
    const { open } = part(types.flatMap(pick));
    expect(open).toHaveLength(state === "complete" ? 0 : 1);
    if (state !== "complete") expect(fragmentState(open[0]!)).toBe(state);
  });

  it("a part that is not a fragment's JSON is refused, not half-read", () => {
    expect(decodeFragment({ k: "vm:1:2", h: "vm", st: "1.000", se: "x", t: 1, r: 1 })).toBeUndefined();
    expect(decodeFragment([])).toBeUndefined();
    expect(
      decodeFragment({ k: "vm:1:2", h: "vm", st: "1.000", se: 2, t: 1, r: 1, sy: { v: "maybe" } }),
    ).toBeUndefined();
  });
});
