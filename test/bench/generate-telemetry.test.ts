import { describe, expect, it } from "vitest";
import { fleetFacts } from "./fleet-facts.js";
import {
  ALL_HOST_ROLES,
  ATTACK_KINDS,
  generateScenario,
  HOST_ROLES,
  type ProcessExec,
  type Scenario,
} from "./generate-telemetry.js";
import { LineageTruth } from "./lineage-truth.js";

/** Every role, a history before the window, half the hosts near pid_max: small, but everything occurs. */
const scenario: Scenario = generateScenario({
  seed: 11,
  events: 4_000,
  history: 3_000,
  hosts: 8,
  roles: ALL_HOST_ROLES,
  attackShare: 0.01,
  containersPerHost: 2,
  nearPidMax: 0.5,
});
const execs = scenario.execs;
const successful = execs.filter((e) => e.failed !== true);

describe("process identity (proc, parentProc)", () => {
  it("a proc is one process: one host, one pid, and one parent at each of its execs", () => {
    const seen = new Map<number, ProcessExec>();
    for (const e of execs) {
      const first = seen.get(e.proc) ?? e;
      seen.set(e.proc, first);
      expect([e.host, e.pid]).toEqual([first.host, first.pid]);
    }
    // Pids are recycled, identities are not: some pid was held by two processes that exec'd.
    const holders = new Map<string, Set<number>>();
    for (const e of successful) {
      const key = `${e.host} ${e.pid}`;
      holders.set(key, (holders.get(key) ?? new Set()).add(e.proc));
    }
    expect([...holders.values()].some((procs) => procs.size > 1)).toBe(true);
  });

  it("a child's parentProc is the process that held its ppid at the time", () => {
    // Parents that exec'd: the same pid as the child's ppid, and no other process exec'd with it meanwhile.
    expect(new LineageTruth(execs).impossibleParents()).toBe(0);
    // Parents that never exec'd (forks): one identity per process, so that a recycled parent pid shows.
    const byPpid = new Map<string, Set<number | undefined>>();
    for (const e of successful) {
      const key = `${e.host} ${e.ppid}`;
      byPpid.set(key, (byPpid.get(key) ?? new Set()).add(e.parentProc));
    }
    expect([...byPpid.values()].some((parents) => parents.size > 1)).toBe(true);
  });

  it("init has an identity of its own per host, and never execs", () => {
    const inits = new Map<string, Set<number | undefined>>();
    for (const e of successful.filter((x) => x.ppid === 1)) {
      inits.set(e.host, (inits.get(e.host) ?? new Set()).add(e.parentProc));
    }
    expect([...inits.values()].every((ids) => ids.size === 1 && !ids.has(undefined))).toBe(true);
    const ids = [...inits.values()].map((ids) => [...ids][0]);
    expect(new Set(ids).size).toBe(scenario.hosts.length);
    expect(execs.some((e) => ids.includes(e.proc))).toBe(false);
  });
});

describe("the fleet", () => {
  const facts = fleetFacts(scenario);

  it("runs cron jobs, ssh sessions, build jobs and containers in the window", () => {
    expect(facts.cronJobs).toBeGreaterThan(0);
    expect(facts.sshSessions).toBeGreaterThan(0);
    expect(facts.compilerRuns).toBeGreaterThan(0);
    expect(facts.containerExecs).toBeGreaterThan(0);
    expect(new Set(scenario.attacks.map((a) => a.kind))).toEqual(new Set(ATTACK_KINDS));
  });

  it("build hosts go round pid_max within the window", () => {
    expect(facts.wrapped.get("build")).toBe(2);
  });

  it("the history comes first, hours before the window, without attacks; the window meets its pids", () => {
    expect(scenario.events - scenario.historyEvents).toBe(4_000);
    const lastOfHistory = successful[scenario.historyEvents - 1]!.time;
    const firstOfWindow = successful[scenario.historyEvents]!.time;
    expect(firstOfWindow - lastOfHistory).toBeGreaterThan(5 * 3_600_000);
    expect(scenario.attacks.every((a) => a.time >= firstOfWindow)).toBe(true);
    expect(facts.staleTraps).toBeGreaterThan(0);
  });

  it("build is opt-in: the default roles are the three of old (the demo and every seed stay as they were)", () => {
    expect(HOST_ROLES).toEqual(["web", "app", "k8s"]);
    const plain = generateScenario({ seed: 11, events: 500, hosts: 4, attackShare: 0 });
    expect(plain.hosts.some((h) => h.startsWith("build-"))).toBe(false);
    expect(plain.historyEvents).toBe(0);
  });
});
