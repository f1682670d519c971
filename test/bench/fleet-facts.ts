/**
 * Facts about a generated fleet that the store phase reports and relies on (the workloads it must contain,
 * the pid wrap-arounds and the traps they set for lineage), from the scenario alone.
 */
import type { ProcessExec, Scenario } from "./generate-telemetry.js";

/** Facts about the generated fleet the phase relies on, for its header and its sanity checks. */
export interface FleetFacts {
  readonly roles: ReadonlyMap<string, number>;
  /** Workloads of the window. */
  readonly cronJobs: number;
  readonly sshSessions: number;
  readonly compilerRuns: number;
  readonly containerExecs: number;
  /** Hosts whose pids went round pid_max during the window (by role). */
  readonly wrapped: ReadonlyMap<string, number>;
  /**
   * Execs of the window whose parent had not exec'd (a fork-only process: a cron or sshd child, a subshell, a
   * php-fpm worker) at a parent pid that another process exec'd with earlier: where a stale link can arise.
   */
  readonly staleTraps: number;
  /** Execs of the window whose parent had not exec'd before them (no record can name it rightly). */
  readonly unknownParents: number;
}

const roleOf = (host: string): string => host.slice(0, host.lastIndexOf("-"));

export function fleetFacts(scenario: Scenario): FleetFacts {
  const roles = new Map<string, number>();
  for (const host of scenario.hosts) roles.set(roleOf(host), (roles.get(roleOf(host)) ?? 0) + 1);
  const execs = scenario.execs.filter((e: ProcessExec) => e.failed !== true);
  const window = execs.slice(scenario.historyEvents);
  const windowStart = window[0]?.time ?? Number.POSITIVE_INFINITY;
  const execd = new Set<number>();
  const lastHolder = new Map<string, number>();
  // A wrap: a process new to the window has a pid far below the last new one of its host.
  const lastNew = new Map<string, number>();
  const wrappedHosts = new Set<string>();
  let staleTraps = 0;
  let unknownParents = 0;
  execs.forEach((e, i) => {
    const inWindow = i >= scenario.historyEvents;
    if (inWindow && !execd.has(e.proc)) {
      const before = lastNew.get(e.host);
      if (before !== undefined && e.pid < before - 16_384) wrappedHosts.add(e.host);
      lastNew.set(e.host, e.pid);
    }
    if (inWindow && (e.parentProc === undefined || !execd.has(e.parentProc))) {
      unknownParents++;
      const holder = lastHolder.get(`${e.host}\u0000${e.ppid}`);
      if (holder !== undefined && holder !== e.parentProc) staleTraps++;
    }
    execd.add(e.proc);
    lastHolder.set(`${e.host}\u0000${e.pid}`, e.proc);
  });
  const wrapped = new Map<string, number>();
  for (const host of wrappedHosts) wrapped.set(roleOf(host), (wrapped.get(roleOf(host)) ?? 0) + 1);
  return {
    roles,
    cronJobs: scenario.sessions.filter(
      (s) => s.service === "cron" && s.op === "open" && s.time >= windowStart,
    ).length,
    sshSessions: scenario.sessions.filter(
      (s) => s.service === "sshd" && s.op === "open" && s.time >= windowStart,
    ).length,
    compilerRuns: window.filter((e) => e.exe.endsWith("/cc1")).length,
    containerExecs: window.filter((e) => e.container !== undefined).length,
    wrapped,
    staleTraps,
    unknownParents,
  };
}
