import type { Alert } from "../alerts/alert.js";
import { alertId, buildAlert, dedupKey } from "../alerts/build-alert.js";
import { type DedupLimits, type DedupStore, isDedupError, type Sighting } from "../alerts/dedup-store.js";
import type { DetectorError } from "../errors.js";
import type { Lineage } from "../lineage/lineage.js";
import type { Verdict } from "../rule/evaluate.js";
import type { ExecEvent } from "../telemetry/exec-event.js";
import type { Counters } from "./counters.js";

/** An event the rule returned a verdict for, with the lineage it was judged on. */
export interface Hit {
  readonly event: ExecEvent;
  readonly lineage: Lineage;
  readonly verdict: Verdict;
}

/**
 * A hit whose sighting dedup could not record. Retryable (throttling, the deadline): its record is delivered
 * again. Not retryable (a value the store refuses): its record is set aside with the reason, and the rest of
 * the batch goes on.
 */
export interface Unjudged {
  readonly event: ExecEvent;
  readonly error: DetectorError;
}

/**
 * Hits to alerts, in order, through one dedup round (DESIGN §6): suppressed verdicts are counted, the same
 * alert id twice in one batch (a producer's retry, auditd and laurel of one exec) is emitted once, and the
 * rest are sighted together, so that a flood of hits on one key costs one store update.
 * `emitted`: alert ids already sighted in this invocation.
 */
export async function judgeHits(
  hits: readonly Hit[],
  dedup: DedupStore,
  counters: Counters,
  emitted: Set<string>,
  limits?: DedupLimits,
): Promise<{ alerts: Alert[]; unjudged: Unjudged[] }> {
  const sighted: { hit: Hit; id: string }[] = [];
  const sightings: Sighting[] = [];
  for (const hit of hits) {
    const { event, verdict } = hit;
    if (verdict.outcome === "suppressed") {
      counters.suppressed[verdict.by]++;
      continue;
    }
    const id = alertId(event);
    // The dedup store learns of this batch only now: the batch itself must not sight an alert twice.
    if (emitted.has(id)) {
      counters.suppressed.dedup++;
      continue;
    }
    emitted.add(id);
    sighted.push({ hit, id });
    sightings.push({ key: dedupKey(event, verdict), alertId: id, time: event.time });
  }
  const alerts: Alert[] = [];
  const unjudged: Unjudged[] = [];
  if (sightings.length === 0) return { alerts, unjudged };
  const outcomes = await dedup.recordAll(sightings, limits);
  sighted.forEach(({ hit }, i) => {
    const outcome = outcomes[i]!;
    if (isDedupError(outcome)) {
      unjudged.push({ event: hit.event, error: outcome.error });
      return;
    }
    if (!outcome.first || hit.verdict.outcome !== "alert") {
      counters.suppressed.dedup++;
      return;
    }
    counters.alerts++;
    alerts.push(buildAlert(hit.event, hit.lineage, hit.verdict, outcome));
  });
  return { alerts, unjudged };
}
