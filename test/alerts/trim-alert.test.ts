import { describe, expect, it } from "vitest";
import type { Alert, AlertAncestor } from "../../lib/alerts/alert.js";
import { attributesBytes, buildSnsMessage, SNS_MAX_PUBLISH_BYTES } from "../../lib/alerts/sns-message.js";
import { fitAlert } from "../../lib/alerts/trim-alert.js";
import type { LocationMatch } from "../../lib/rule/evaluate.js";
import { detect, exec, shell } from "../helpers/exec-events.js";

/**
 * Evidence first (issue 10): an alert cut to fit SNS keeps the suspicious paths, every ancestor leading from
 * the utility to the deepest of them (each at its depth, with its executable and script) and the head of the
 * utility's command line, whatever else it holds. Hostile sizes throughout: a control character is 1 byte of
 * telemetry, 4 of text (`\x01`) and 6 of JSON (`\u0001`), and the message holds the JSON three times.
 */
const C1 = "\u0001";
const URL = "http://198.51.100.7/stage2";

const base: Alert = await (async () => {
  const { alerts } = await detect([
    shell(),
    exec({ pid: 200, ppid: 100, exe: "/usr/bin/dash", args: ["/bin/sh", "/tmp/x.sh"] }),
    exec({ pid: 300, ppid: 200, exe: "/usr/bin/curl", args: ["curl", URL] }),
  ]);
  return alerts[0]!;
})();

interface Shape {
  /** Generations above the utility. */
  ancestors: number;
  /** Depths (1 = parent) whose ancestor ran a script from /tmp/.d. */
  matchAt: number[];
  /** Every ancestor's args after its program and script. */
  rest?: string[];
  /** Earlier images per ancestor. */
  chain?: number;
  cwd?: string;
  /** The utility's args after its URL. */
  own?: string[];
  /** Executable of each ancestor holding no match. */
  exe?: (i: number) => string;
}

const scriptAt = (i: number) => `/tmp/.d/x${i}.sh`;

function alertOf(shape: Shape): Alert {
  const holds = new Set(shape.matchAt.map((d) => d - 1));
  const ancestors: AlertAncestor[] = Array.from({ length: shape.ancestors }, (_, i) => ({
    pid: 10_000 + i,
    executable: holds.has(i) ? "/usr/bin/bash" : (shape.exe?.(i) ?? `/usr/bin/p${i}`),
    script: holds.has(i) ? scriptAt(i) : null,
    args: holds.has(i) ? ["bash", scriptAt(i), ...(shape.rest ?? [])] : [`p${i}`, ...(shape.rest ?? [])],
    user: { id: "33", name: "www-data" },
    execChain: Array.from({ length: shape.chain ?? 0 }, (_, j) => ({
      executable: `/usr/bin/stage${j}`,
      script: null,
      args: [`stage${j}`, ...(shape.rest ?? [])],
    })),
  }));
  const matches: LocationMatch[] = shape.matchAt.map((depth) => ({
    path: scriptAt(depth - 1),
    kind: "script",
    depth,
    tier: "temp",
    pid: 10_000 + depth - 1,
  }));
  const args = ["curl", URL, ...(shape.own ?? [])];
  return {
    ...base,
    process: { ...base.process, args, cwd: shape.cwd ?? "/var/www", ppid: 10_000 },
    utility: { ...base.utility, args: args.slice(1) },
    location: { ...base.location, path: matches[0]!.path, depth: matches[0]!.depth, kind: "script" },
    matches,
    ancestors,
  };
}

function sent(alert: Alert): Alert {
  const sns = buildSnsMessage(alert);
  const bytes =
    Buffer.byteLength(sns.subject) + Buffer.byteLength(sns.message) + attributesBytes(sns.attributes);
  expect(bytes).toBeLessThanOrEqual(SNS_MAX_PUBLISH_BYTES);
  expect(sns.trimmed).toBe(true);
  return JSON.parse((JSON.parse(sns.message) as { sqs: string }).sqs) as Alert;
}

/** What every cut keeps. */
function expectEvidence(alert: Alert, json: Alert): void {
  expect(json.trimmed).toBe(true);
  expect(json.location).toEqual(alert.location);
  expect(json.matches).toEqual(alert.matches);
  // The utility's command line head.
  expect(json.process.args.slice(0, 2)).toEqual(["curl", URL]);
  expect(json.utility.args[0]).toBe(URL);
  // Every ancestor up to the deepest match, in place (its index is its depth), with its paths.
  const lead = Math.max(...alert.matches.map((m) => m.depth));
  expect(json.ancestors.slice(0, lead).map((a) => a.pid)).toEqual(
    alert.ancestors.slice(0, lead).map((a) => a.pid),
  );
  for (const a of json.ancestors.slice(0, lead)) {
    const original = alert.ancestors.find((o) => o.pid === a.pid)!;
    expect([a.executable, a.script]).toEqual([original.executable, original.script]);
  }
  // Those holding a match keep how the file was run.
  for (const m of alert.matches)
    expect(json.ancestors[m.depth - 1]!.args.slice(0, 2)).toEqual(["bash", m.path]);
}

const HUGE_ARGS = Array.from({ length: 32 }, (_, i) => `${i}${C1.repeat(511)}`);

describe("an alert cut to fit SNS, evidence first", () => {
  it.each<[string, Shape, (json: Alert, alert: Alert) => void]>([
    [
      "a 100 KB cwd of \\x01 goes first: a cwd of 256 characters leaves every ancestor whole",
      { ancestors: 16, matchAt: [3], cwd: `/${C1.repeat(100_000)}`, chain: 2, rest: ["a".repeat(1_000)] },
      (json, alert) => {
        expect(json.process.cwd!).toMatch(/^\/\u0001{255}…\[\+99745 chars\]$/);
        expect(json.ancestors).toEqual(alert.ancestors);
      },
    ],
    [
      "the utility's own 64 args of 20 KB \\x01: cut, its head stays",
      { ancestors: 16, matchAt: [1], own: Array.from({ length: 64 }, () => C1.repeat(20_000)) },
      (json, alert) => expect(json.ancestors).toEqual(alert.ancestors),
    ],
    [
      "16 generations of 32 args of 512 \\x01 with 8 earlier images each, the match at the top",
      { ancestors: 16, matchAt: [16], rest: HUGE_ARGS, chain: 8 },
      (json) => expect(json.ancestors).toHaveLength(16),
    ],
    [
      "200 generations, a match at depth 150: the 150 leading to it stay, the farthest past it go first",
      { ancestors: 200, matchAt: [150], rest: HUGE_ARGS, chain: 2 },
      (json) => expect(json.ancestors.length).toBeGreaterThanOrEqual(150),
    ],
    [
      "200 generations, matches at depths 2 and 200 (the top)",
      { ancestors: 200, matchAt: [2, 200], rest: HUGE_ARGS, chain: 2, cwd: `/${C1.repeat(4095)}` },
      (json) => expect(json.ancestors).toHaveLength(200),
    ],
    [
      "200 generations whose executables are 4 KB of \\x01, the match at the top",
      { ancestors: 200, matchAt: [200], rest: HUGE_ARGS, exe: (i) => `/usr/bin/${i}${C1.repeat(4096)}` },
      (json, alert) => {
        // Each leading to it keeps its pid and the head of its executable; the match its paths and args head.
        expect(json.ancestors.map((a) => a.pid)).toEqual(alert.ancestors.map((a) => a.pid));
        expect(json.ancestors[7]!.executable).toMatch(/^\/usr\/bin…\[\+\d+ chars\]$/);
        expect(json.ancestors.at(-1)).toMatchObject({ executable: "/usr/bin/bash", script: scriptAt(199) });
        expect(json.ancestors.at(-1)!.args.slice(0, 2)).toEqual(["bash", scriptAt(199)]);
      },
    ],
  ])("%s", (_name, shape, more) => {
    const alert = alertOf(shape);
    const json = sent(alert);
    if (shape.exe === undefined) expectEvidence(alert, json);
    else {
      expect(json.location).toEqual(alert.location);
      expect(json.process.args.slice(0, 2)).toEqual(["curl", URL]);
    }
    more(json, alert);
  });

  it("keeps the ancestors leading to the match at their depth when all of their detail must go", () => {
    const alert = alertOf({ ancestors: 16, matchAt: [12], rest: HUGE_ARGS, chain: 8 });
    const limit = 8_000;
    const json = fitAlert(alert, (a) => JSON.stringify(a).length <= limit);
    expect(JSON.stringify(json).length).toBeLessThanOrEqual(limit);
    expect(json.ancestors.slice(0, 12).map((a) => a.pid)).toEqual(
      alert.ancestors.slice(0, 12).map((a) => a.pid),
    );
    expect(json.ancestors[11]).toMatchObject({ executable: "/usr/bin/bash", script: scriptAt(11) });
    expect(json.ancestors[11]!.args.slice(0, 2)).toEqual(["bash", scriptAt(11)]);
    // The others leading to it: pid, executable, program name.
    expect(json.ancestors[0]).toEqual({
      pid: 10_000,
      executable: "/usr/bin/p0",
      script: null,
      args: ["p0", "…[+32 args]"],
      user: null,
      execChain: [],
    });
  });
});
