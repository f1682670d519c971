import { MemoryDedupStore, NoDedupStore } from "../../lib/alerts/dedup-store.js";
import { MemoryLineageStore } from "../../lib/lineage/memory-store.js";
import { newCounters } from "../../lib/pipeline/counters.js";
import { processBatch } from "../../lib/pipeline/process-batch.js";
import { compileRule } from "../../lib/rule/compile-rule.js";
import type { RuleConfig } from "../../lib/rule/rule-config.js";
import type { ExecEvent } from "../../lib/telemetry/exec-event.js";

let serial = 0;

export interface ExecSpec {
  pid: number;
  ppid: number;
  exe: string;
  args?: string[];
  cwd?: string;
  time?: number;
  start?: number;
  /** Audit login session (auditd `ses`). */
  session?: string;
  host?: string;
  user?: string;
  invoked?: string;
  script?: string;
  container?: { id: string; image?: string };
  parent?: ExecEvent["parent"];
}

/** A native ExecEvent from a compact spec; times default to a strictly increasing clock. */
export function exec(spec: ExecSpec): ExecEvent {
  serial++;
  const event: ExecEvent = {
    host: { name: spec.host ?? "web-01" },
    user: { id: "33", name: spec.user ?? "www-data" },
    process: {
      pid: spec.pid,
      ppid: spec.ppid,
      executable: spec.exe,
      args: spec.args ?? [spec.exe],
      ...(spec.cwd !== undefined && { cwd: spec.cwd }),
      ...(spec.start !== undefined && { start: spec.start }),
      ...(spec.session !== undefined && { sessionId: spec.session }),
      ...(spec.invoked !== undefined && { invokedPath: spec.invoked }),
      ...(spec.script !== undefined && { script: spec.script }),
    },
    ...(spec.container !== undefined && { container: spec.container }),
    ...(spec.parent !== undefined && { parent: spec.parent }),
    time: spec.time ?? 1_700_000_000_000 + serial * 10,
    source: { format: "native", eventId: `test-${serial}` },
  };
  return event;
}

/** Runs events through the real batch pipeline with the in-memory store: alerts and counters. */
export async function detect(
  events: ExecEvent[],
  config: RuleConfig = {},
  options: { dedup?: boolean } = {},
) {
  const counters = newCounters();
  const deps = {
    store: new MemoryLineageStore(),
    dedup: options.dedup === false ? new NoDedupStore() : new MemoryDedupStore(),
    rule: compileRule(config),
  };
  const alerts = await processBatch(events, deps, counters);
  return { alerts, counters };
}

/** A shell parent at pid 100 (clean), the usual root of test trees. */
export const shell = (overrides: Partial<ExecSpec> = {}) =>
  exec({ pid: 100, ppid: 1, exe: "/usr/bin/bash", args: ["bash"], ...overrides });
