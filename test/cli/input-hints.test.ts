import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  classifyLine,
  HINT_SAMPLE_LINES,
  HINTS,
  type InputSample,
  inputHints,
  newInputSample,
  sampled,
} from "../../lib/cli/input-hints.js";
import { cli } from "../helpers/cli.js";
import { CAPTURED_AUDITD, CAPTURED_LAUREL, chunked, readSample, samplePath } from "../helpers/samples.js";

const INTERPRETED = new URL("../fixtures/ausearch/exec-cases.interpreted.log", import.meta.url);

const classified = (line: string): Partial<InputSample> => {
  const sample = newInputSample();
  classifyLine(line, sample);
  const { lines: _lines, ...counts } = sample;
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
};

describe("classifyLine", () => {
  it.each([
    [
      "raw auditd without node=",
      "type=SYSCALL msg=audit(1795822038.612:1043): arch=c000003e syscall=59",
      { auditdWithoutNode: 1 },
    ],
    [
      "raw auditd with node=",
      'node=web-01 type=EXECVE msg=audit(1795822038.612:1043): argc=1 a0="ls"',
      { auditdWithNode: 1 },
    ],
    [
      "ausearch -i",
      "type=SYSCALL msg=audit(11/27/26 23:27:18.612:1043) : arch=x86_64 syscall=execve success=yes",
      { ausearchInterpreted: 1 },
    ],
    [
      "ausearch -i with node=, another locale's date",
      "node=web-01 type=EXECVE msg=audit(27.11.2026 23:27:18.612:1043) : argc=1 a0=ls",
      { ausearchInterpreted: 1 },
    ],
    ["an ausearch event separator", "----", {}],
    ["laurel JSON", '{"ID":"1795822038.612:1043","SYSCALL":{"syscall":59}}', {}],
    ["a line that only mentions type=", "echo type=SYSCALL msg=audit(1.0:1):", {}],
  ])("%s", (_name, line, counts) => {
    expect(classified(line)).toEqual(counts);
  });
});

describe("sampled", () => {
  const lines = (n: number, line: string) => `${line}\n`.repeat(n);

  it.each([
    ["whole", [1 << 20]],
    ["in chunks that split lines", [7, 1, 64, 3]],
  ])("passes the bytes through unchanged and counts the first lines (%s)", async (_name, sizes) => {
    const text = `${lines(3, "type=EOE msg=audit(1.0:1): ")}${lines(2, "node=a type=EOE msg=audit(1.0:2): ")}{"x":1}`;
    const sample = newInputSample();
    const out: Buffer[] = [];
    for await (const chunk of sampled(chunked(text, sizes), sample)) out.push(chunk);
    expect(Buffer.concat(out).toString()).toBe(text);
    expect(sample).toEqual({ lines: 6, auditdWithNode: 2, auditdWithoutNode: 3, ausearchInterpreted: 0 });
  });

  it(`looks at the first ${HINT_SAMPLE_LINES} lines only`, async () => {
    const text = `${lines(HINT_SAMPLE_LINES, "{}")}${lines(5, "type=EOE msg=audit(1.0:1): ")}`;
    const sample = newInputSample();
    for await (const _ of sampled(chunked(text, [100]), sample));
    expect(sample.lines).toBe(HINT_SAMPLE_LINES);
    expect(sample.auditdWithoutNode).toBe(0);
  });

  it("keeps only the start of a long line", async () => {
    const sample = newInputSample();
    const long = `type=EOE msg=audit(1.0:1): ${"x".repeat(1 << 20)}\n`;
    for await (const _ of sampled(chunked(long, [1000]), sample));
    expect(sample).toMatchObject({ lines: 1, auditdWithoutNode: 1 });
  });
});

describe("inputHints", () => {
  const sample = (counts: Partial<InputSample>): InputSample => ({ ...newInputSample(), ...counts });

  it.each([
    ["ausearch -i", { ausearchInterpreted: 5 }, 0, false, [HINTS.ausearch]],
    ["auditd without node=, no --host", { auditdWithoutNode: 5 }, 3, false, [HINTS.host]],
    ["auditd without node=, --host given", { auditdWithoutNode: 5 }, 3, true, []],
    ["auditd without node= but no exec event", { auditdWithoutNode: 5 }, 0, false, []],
    ["auditd with node=", { auditdWithNode: 5 }, 3, false, []],
    ["JSON", {}, 3, false, []],
  ])("%s", (_name, counts, execEvents, hostGiven, hints) => {
    expect(inputHints(sample(counts), { execEvents }, { hostGiven })).toEqual(hints);
  });
});

describe("replay hints in the summary", () => {
  const hintLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("  hint: "));

  it("ausearch -i output: every record malformed, and the hint to use --raw", async () => {
    const { code, stderr } = await cli(["replay", "-"], readFileSync(INTERPRETED, "utf8"));
    expect(code).toBe(0);
    expect(stderr).toMatch(/ 0 exec events, .* 224 malformed\n/);
    expect(hintLines(stderr)).toEqual([`  hint: ${HINTS.ausearch}`]);
    expect(HINTS.ausearch).toContain("ausearch --raw");
  });

  it.each([
    ["auditd without node=", [samplePath(CAPTURED_AUDITD)], [`  hint: ${HINTS.host}`]],
    ["auditd without node=, --host given", ["--host", "vm", samplePath(CAPTURED_AUDITD)], []],
    ["laurel (host in each record)", [samplePath(CAPTURED_LAUREL)], []],
  ])("%s", async (_name, args, hints) => {
    const { stderr } = await cli(["replay", ...args]);
    expect(hintLines(stderr)).toEqual(hints);
  });

  it("auditd lines with node= get no host hint", async () => {
    const withNode = readSample(CAPTURED_AUDITD).replace(/^type=/gm, "node=vm type=");
    const { stdout, stderr } = await cli(["replay", "--output", "json", "-"], withNode);
    expect(stdout.split("\n").filter(Boolean)).toHaveLength(2);
    expect(hintLines(stderr)).toEqual([]);
  });

  it("the host hint names the option and the auditd setting", () => {
    expect(HINTS.host).toContain("--host NAME");
    expect(HINTS.host).toContain("name_format = hostname");
  });
});
