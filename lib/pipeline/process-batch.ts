import type { Alert } from "../alerts/alert.js";
import { alertId, buildAlert, dedupKey } from "../alerts/build-alert.js";
import type { DedupStore } from "../alerts/dedup-store.js";
import type { LineageStore, ProcessRef } from "../lineage/lineage-store.js";
import { type ProcessRecord, processKey } from "../lineage/process-record.js";
import { resolveLineage } from "../lineage/resolve-lineage.js";
import type { CompiledRule } from "../rule/compile-rule.js";
import { evaluate } from "../rule/evaluate.js";
import type { ExecEvent } from "../telemetry/exec-event.js";
import type { Counters } from "./counters.js";

export interface BatchDeps {
  readonly store: LineageStore;
  readonly dedup: DedupStore;
  readonly rule: CompiledRule;
}

/**
 * One batch through lineage, the rule and dedup (DESIGN §5): order by host and time, resolve from the batch
 * itself first, read what is missing in one `getMany`, evaluate, write what was learned in one `putMany`.
 * Returns the alerts to publish, in event order.
 */
export async function processBatch(
  events: readonly ExecEvent[],
  deps: BatchDeps,
  counters: Counters,
): Promise<Alert[]> {
  const ordered = events.length > 1 ? [...events].sort(byHostAndTime) : events;

  // Keys the batch cannot resolve itself: a pid's own earlier image or its parent, unless an earlier event of
  // this batch wrote that key first.
  const produced = new Set<string>();
  const missing = new Map<string, ProcessRef>();
  for (const event of ordered) {
    const host = event.host.name;
    const own = processKey(host, event.process.pid);
    if (!produced.has(own)) missing.set(own, { host, pid: event.process.pid });
    const parent = processKey(host, event.process.ppid);
    if (event.process.ppid > 0 && !produced.has(parent))
      missing.set(parent, { host, pid: event.process.ppid });
    produced.add(own);
  }
  const known = new Map<string, ProcessRecord>(
    missing.size > 0 ? await deps.store.getMany([...missing.values()]) : [],
  );
  const lookup = (key: string) => known.get(key);

  const written = new Map<string, ProcessRecord>();
  const alerts: Alert[] = [];
  for (const event of ordered) {
    counters.execEvents++;
    const { lineage, record } = resolveLineage(event, lookup);
    const key = processKey(record.host, record.pid);
    known.set(key, record);
    written.set(key, record);

    const verdict = evaluate(event, lineage, deps.rule);
    if (verdict === undefined) continue;
    if (verdict.outcome === "suppressed") {
      counters.suppressed[verdict.by]++;
      continue;
    }
    const seen = await deps.dedup.record(dedupKey(event, verdict), alertId(event), event.time);
    if (!seen.first) {
      counters.suppressed.dedup++;
      continue;
    }
    counters.alerts++;
    alerts.push(buildAlert(event, lineage, verdict, seen));
  }
  if (written.size > 0) await deps.store.putMany([...written.values()]);
  return alerts;
}

function byHostAndTime(a: ExecEvent, b: ExecEvent): number {
  if (a.host.name !== b.host.name) return a.host.name < b.host.name ? -1 : 1;
  return a.time - b.time;
}
