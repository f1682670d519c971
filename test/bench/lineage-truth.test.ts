import { describe, expect, it } from "vitest";
import type { ProcessNode, ProcessRecord } from "../../lib/lineage/process-record.js";
import type { ProcessExec } from "./generate-telemetry.js";
import {
  argsCompatible,
  type ClaimedImage,
  checkAlertLineage,
  LineageTruth,
  MAX_DEPTH,
  sameExecutable,
} from "./lineage-truth.js";

const HOST = "web-01";

/** An exec of process `proc` (child of `parentProc`) with pid/ppid at `time`. */
function exec(
  proc: number,
  parentProc: number,
  pid: number,
  ppid: number,
  time: number,
  exe: string,
  args: string[] = [exe],
): ProcessExec {
  return {
    host: HOST,
    proc,
    parentProc,
    pid,
    ppid,
    exe,
    path: exe,
    args,
    cwd: "/",
    uid: 0,
    euid: 0,
    user: "root",
    auid: 0,
    ses: 1,
    tty: "(none)",
    comm: exe.slice(exe.lastIndexOf("/") + 1),
    time,
  };
}

const node = (pid: number, time: number, executable: string, args: string[] = [executable]): ProcessNode => ({
  pid,
  time,
  executable,
  args,
  chain: [],
});
const record = (pid: number, time: number, executable: string, ancestors: ProcessNode[]): ProcessRecord => ({
  host: HOST,
  pid,
  ppid: ancestors[0]?.pid ?? 0,
  time,
  executable,
  args: [executable],
  chain: [],
  ancestors,
});
const claim = (pid: number, executable: string, args: string[] = [executable]): ClaimedImage => ({
  pid,
  executable,
  args,
});

// init (1) never execs. cron (2, pid 500) exec'd at boot. A previous job's shell, proc 3 at pid 700, ran
// /tmp/healthcheck.sh and is gone; the pid came round: cron's next job child (4, fork only) has pid 700, its
// shell (5, pid 710) runs check-dns.sh, which runs dig (6, pid 720).
const cronScenario = [
  exec(2, 1, 500, 1, 1_000, "/usr/sbin/cron"),
  exec(3, 99, 700, 500, 2_000, "/usr/bin/dash", ["/bin/sh", "/tmp/healthcheck.sh"]),
  exec(5, 4, 710, 700, 9_000, "/usr/bin/dash", ["/bin/sh", "-c", "/usr/local/bin/check-dns.sh"]),
  exec(5, 4, 710, 700, 9_002, "/usr/bin/bash", ["/bin/bash", "/usr/local/bin/check-dns.sh"]),
  exec(6, 5, 720, 710, 9_005, "/usr/bin/dig", ["dig", "+short", "api.example.com"]),
];

describe("record links", () => {
  const truth = new LineageTruth(cronScenario);
  it.each<[string, ProcessRecord, string]>([
    [
      "the parent's current image",
      record(720, 9_005, "/usr/bin/dig", [node(710, 9_002, "/usr/bin/bash")]),
      "correct",
    ],
    [
      "an earlier image of the same parent (exec chain) is still the parent",
      record(720, 9_005, "/usr/bin/dig", [node(710, 9_000, "/usr/bin/dash")]),
      "correct",
    ],
    [
      "the earlier holder of a fork-only parent's pid",
      record(710, 9_000, "/usr/bin/dash", [node(700, 2_000, "/usr/bin/dash")]),
      "stale",
    ],
    [
      "an image no process had",
      record(720, 9_005, "/usr/bin/dig", [node(710, 8_000, "/usr/bin/bash")]),
      "unknown-image",
    ],
    ["no ancestors: nothing claimed", record(710, 9_000, "/usr/bin/dash", []), "none"],
    [
      "a record of an image that never ran is not judged",
      record(720, 9_999, "/usr/bin/dig", [node(710, 9_002, "/usr/bin/bash")]),
      "unmatched",
    ],
  ])("%s", (_, r, verdict) => {
    expect(truth.judgeRecordLink(r)).toBe(verdict);
  });
});

describe("true ancestry", () => {
  it("stops at a fork-only parent: the telemetry cannot name it", () => {
    const truth = new LineageTruth(cronScenario);
    const dig = truth.images.at(-1)!;
    const { truth: chain, beyond } = truth.ancestry(dig);
    expect(chain.map((i) => i.exec.proc)).toEqual([5]);
    // The shell's last image before dig's exec links it: check-dns.sh under bash.
    expect(chain[0]!.exec.time).toBe(9_002);
    expect(beyond).toEqual([{ proc: 4, image: undefined }]);
  });

  it("a parent that exec'd only after its child did is beyond what the child's exec could link", () => {
    // B (2, pid 300) forks A (3, pid 310); A execs; then B execs; A forks U (4), which execs.
    const truth = new LineageTruth([
      exec(3, 2, 310, 300, 1_000, "/usr/bin/dash"),
      exec(2, 1, 300, 1, 1_100, "/usr/bin/make"),
      exec(4, 3, 320, 310, 1_200, "/usr/bin/curl"),
    ]);
    const { truth: chain, beyond } = truth.ancestry(truth.images[2]!);
    expect(chain.map((i) => i.exec.proc)).toEqual([3]);
    expect(beyond.map((b) => [b.proc, b.image?.exec.time])).toEqual([
      [2, 1_100],
      [1, undefined],
    ]);
  });

  it(`is at most ${MAX_DEPTH} deep`, () => {
    const execs = Array.from({ length: 20 }, (_, i) =>
      exec(i + 2, i + 1, 100 + i, 99 + i, 1_000 + i, "/usr/bin/dash"),
    );
    const truth = new LineageTruth(execs);
    expect(truth.ancestry(truth.images.at(-1)!).truth).toHaveLength(MAX_DEPTH);
  });
});

describe("alert ancestry", () => {
  const truth = new LineageTruth(cronScenario);
  const dig = truth.images.at(-1)!;
  const shell = claim(710, "/usr/bin/bash", ["/bin/bash", "/usr/local/bin/check-dns.sh"]);
  const healthcheck = claim(700, "/usr/bin/dash", ["/bin/sh", "/tmp/healthcheck.sh"]);
  it.each<
    [string, ClaimedImage[], { shallow: boolean; wrongAt: number[]; links: number; staleLinks: number }]
  >([
    ["exactly what the telemetry allows", [shell], { shallow: false, wrongAt: [], links: 1, staleLinks: 0 }],
    ["shorter than the truth", [], { shallow: true, wrongAt: [], links: 0, staleLinks: 0 }],
    [
      "a stale ancestor past the fork-only parent: the earlier holder of its pid",
      [shell, healthcheck],
      { shallow: true, wrongAt: [2], links: 2, staleLinks: 1 },
    ],
    [
      "an ancestor whose args were cut to fit is still the process",
      [claim(710, "/usr/bin/bash", ["/bin/bash", "/usr/local/bin/check…"])],
      { shallow: false, wrongAt: [], links: 1, staleLinks: 0 },
    ],
    [
      "the same pid and executable with other args is another process",
      [claim(710, "/usr/bin/bash", ["/bin/bash", "/tmp/other.sh"])],
      { shallow: true, wrongAt: [1], links: 1, staleLinks: 1 },
    ],
  ])("%s", (_, ancestors, expected) => {
    const check = checkAlertLineage(truth, dig, ancestors);
    expect({
      shallow: check.shallow,
      wrongAt: check.wrongAt,
      links: check.links,
      staleLinks: check.staleLinks,
    }).toEqual(expected);
    expect(check.truthDepth).toBe(1);
  });

  it("naming a parent the telemetry only learnt later is not wrong", () => {
    const later = new LineageTruth([
      exec(3, 2, 310, 300, 1_000, "/usr/bin/dash"),
      exec(2, 1, 300, 1, 1_100, "/usr/bin/make"),
      exec(4, 3, 320, 310, 1_200, "/usr/bin/curl"),
    ]);
    const check = checkAlertLineage(later, later.images[2]!, [
      claim(310, "/usr/bin/dash"),
      claim(300, "/usr/bin/make"),
    ]);
    expect(check).toMatchObject({ shallow: false, truthDepth: 1, alertDepth: 2, staleLinks: 0 });
  });
});

describe("argsCompatible", () => {
  it.each<[string[], string[], boolean]>([
    [["a", "b"], ["a", "b"], true],
    [[], ["a", "b"], true],
    [["a"], ["a", "b"], true],
    [["a", "lo…"], ["a", "long"], true],
    [["a", "x"], ["a", "b"], false],
    [["a", "b", "c"], ["a", "b"], false],
  ])("%j of %j: %s", (claimed, actual, compatible) => {
    expect(argsCompatible(claimed, actual)).toBe(compatible);
  });
});

describe("sameExecutable", () => {
  it.each<[string, string, boolean]>([
    ["/usr/bin/dash", "/usr/bin/dash", true],
    ["/memfd:runc_cloned:/proc/self/exe", "/memfd:runc_cloned:/proc/self/exe (deleted)", true],
    ["/var/lib/buildkite…/bin/engine-test", "/var/lib/buildkite-agent/builds/b-1/bin/engine-test", true],
    ["/var/lib/buildkite…/bin/engine-test", "/var/lib/buildkite-agent/builds/b-1/bin/other", false],
    ["/usr/bin/bash", "/usr/bin/dash", false],
  ])("%s is %s: %s", (claimed, actual, same) => {
    expect(sameExecutable(claimed, actual)).toBe(same);
  });
});

describe("impossibleParents (a generator check)", () => {
  it.each<[string, ProcessExec[], number]>([
    ["a consistent stream", cronScenario, 0],
    [
      "another process exec'd with the parent's pid while the parent lived",
      [
        exec(2, 1, 500, 1, 1_000, "/usr/sbin/cron"),
        exec(3, 1, 500, 1, 1_001, "/usr/bin/other"),
        exec(4, 2, 600, 500, 1_002, "/usr/bin/dash"),
      ],
      1,
    ],
    [
      "a parent under another pid than the child's ppid",
      [exec(2, 1, 500, 1, 1_000, "/usr/sbin/cron"), exec(4, 2, 600, 501, 1_002, "/usr/bin/dash")],
      1,
    ],
  ])("%s", (_, execs, count) => {
    expect(new LineageTruth(execs).impossibleParents()).toBe(count);
  });
});
