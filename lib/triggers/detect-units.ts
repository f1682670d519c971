import type { Alert } from "../alerts/alert.js";
import type { AlertPublisher } from "../alerts/alert-publisher.js";
import { asDetectorError, type DeliveryLimits, deliverAlerts } from "../alerts/deliver-alerts.js";
import type { DeliveryClaims } from "../alerts/delivery-claims.js";
import { DetectorError } from "../errors.js";
import type { BatchRead } from "../lineage/lineage-store.js";
import { type ProcessRecord, processKey } from "../lineage/process-record.js";
import { walkLineage } from "../lineage/walk-lineage.js";
import { type Counters, newCounters } from "../pipeline/counters.js";
import { type Hit, judgeHits, type Unjudged } from "../pipeline/judge-hits.js";
import {
  type BatchFragment,
  type HostPending,
  newPendingCounters,
  type PendingCounters,
  type PendingLimits,
  reassemble,
  settleStates,
  type WaitingUtility,
} from "../pipeline/pending-events.js";
import {
  type BatchDeps,
  type BatchDetection,
  detectBatch,
  evictExits,
  planBatch,
} from "../pipeline/process-batch.js";
import {
  applyWaiting,
  dueWaiting,
  noWaitingChanges,
  oldestWritten,
  type WaitingChanges,
  waitingOrphan,
  waitingSettled,
} from "../pipeline/waiting-utilities.js";
import type { QuarantinedRecord, QuarantineSink } from "../quarantine/quarantine-sink.js";
import { evaluate } from "../rule/evaluate.js";
import type { ProcessExit } from "../telemetry/decoder.js";
import type { ExecEvent } from "../telemetry/exec-event.js";
import type { BatchBudgets } from "./budgets.js";
import { decodeStates, encodeSnapshots, headEvents, pendingWrites, readyInput } from "./carry-over.js";
import { type BatchRaw, decodeUnits } from "./decode-units.js";
import type { DeliveryUnit } from "./delivery-unit.js";

export interface DetectionDeps extends BatchDeps {
  /** How long a part of an audit event waits for the rest, and how much a host may hold. */
  readonly pendingLimits: PendingLimits;
  readonly publisher: AlertPublisher;
  /** Exactly one publish per alert id, whatever the redeliveries (lib/alerts/delivery-claims.ts). */
  readonly claims: DeliveryClaims;
  readonly quarantine: QuarantineSink;
  readonly trigger: QuarantinedRecord["source"]["trigger"];
  /** What one invocation may decode, open and set aside (lib/triggers/budgets.ts). */
  readonly budgets: BatchBudgets;
}

export interface DetectionReport {
  readonly counters: Counters;
  /** Index of the first unit that must be delivered again, or undefined when every unit is done. */
  readonly failedFrom: number | undefined;
  /** The errors behind `failedFrom`, for the logs. */
  readonly errors: readonly DetectorError[];
  readonly quarantined: readonly QuarantinedRecord[];
  readonly published: readonly Alert[];
  /** Alerts found already delivered by an earlier attempt or a concurrent invocation. */
  readonly alreadyDelivered: number;
  /** Published, but the mark could not be written (logged: a redelivery elsewhere may repeat them). */
  readonly unmarked: readonly { readonly alert: Alert; readonly error: DetectorError }[];
  /** auditd events carried across invocations (lib/pipeline/pending-events.ts). */
  readonly pending: PendingReport;
}

export interface PendingReport extends PendingCounters {
  /** Waiting utilities judged again (their awaited parent came, or their wait ended). */
  rejudged: number;
  /** Waiting utilities whose lineage still had a gap when their wait ended. */
  waitedOut: number;
  /** Waiting utilities dropped to keep a host's state bounded. */
  waitingDropped: number;
  /** Host states another invocation wrote between this one's read and write (merged again). */
  conflicts: number;
  /** Host states that could not be decoded (replaced). */
  corruptStates: number;
}

/**
 * A trigger's batch end to end: open, frame and decode every unit, detect over the whole batch (one lineage
 * read), deliver its alerts in unit order (claimed, so each alert id goes out once), write what the batch
 * learned (one write round), set malformed records aside. Transient failures do not throw: they mark the first
 * unit to redeliver. Records before it are complete and are not redelivered; what a failed attempt already
 * wrote is recognised by the redelivery as its own (lib/lineage/rewind.ts).
 */
export async function detectUnits(
  units: readonly DeliveryUnit[],
  deps: DetectionDeps,
  limits: DeliveryLimits,
  batchRaw?: BatchRaw,
): Promise<DetectionReport> {
  const counters = newCounters();
  const errors: DetectorError[] = [];
  let failedFrom: number | undefined;
  const fail = (unit: number, error: DetectorError) => {
    failedFrom = failedFrom === undefined ? unit : Math.min(failedFrom, unit);
    errors.push(error);
  };

  const decoded = decodeUnits(units, deps.trigger, counters, deps.budgets, batchRaw);
  const { events, exits, eventUnit, fragments } = decoded;
  // A host's states need conditional writes where two invocations may hold its records at once: CloudWatch
  // Logs runs envelopes concurrently, whether it invokes the function or feeds the stream. A Kinesis shard
  // partitioned by host gives a host's records to one invocation at a time.
  const viaCloudWatch =
    deps.trigger === "cloudwatch-logs" ||
    units.some((u) => u.payload.kind === "messages" && u.payload.messages.some((m) => m.id !== ""));
  const carried = await carryOver(
    events,
    eventUnit,
    fragments,
    exits,
    deps,
    limits,
    counters,
    fail,
    () => (failedFrom === undefined ? undefined : deps.trigger === "kinesis" ? failedFrom : 0),
    viaCloudWatch,
  );

  // Events a downstream call refused for good: their records are set aside with the reason, once each.
  const setAside = [...decoded.quarantined];
  const poisonedUnits = new Set<number>();
  for (const { event, unit, error } of carried.poisoned) {
    const eventId = typeof event === "string" ? event : event.source.eventId;
    const reason = `refused downstream, not retryable: ${error.message}`;
    if (eventUnit.has(eventId)) {
      if (poisonedUnits.has(unit)) continue;
      poisonedUnits.add(unit);
      const u = units[unit]!;
      setAside.push({
        record: { reason, raw: u.raw, source: { trigger: deps.trigger, id: u.id, origin: u.origin } },
        unit,
      });
    } else if (typeof event !== "string") {
      // A waiting utility of an earlier invocation: its record is gone; the event itself is the evidence.
      setAside.push({
        record: {
          reason,
          raw: Buffer.from(JSON.stringify(event), "utf8"),
          source: { trigger: deps.trigger, id: eventId, origin: event.host.name },
        },
        unit: 0,
      });
    }
  }
  setAside.sort((a, b) => a.unit - b.unit);
  const quarantined = setAside.map((q) => q.record);
  if (quarantined.length > 0) {
    try {
      await deps.quarantine.put(quarantined, limits);
    } catch (error) {
      // Whatever was not confirmed goes again with its record (the queue may then hold a line twice).
      let first = setAside[0]!.unit;
      for (const q of setAside) if (q.unit < first) first = q.unit;
      fail(first, asDetectorError(error, "quarantine"));
    }
  }
  const { poisoned: _, ...delivered } = carried;
  return { counters, failedFrom, errors, quarantined, ...delivered };
}

type Delivered = Pick<DetectionReport, "published" | "alreadyDelivered" | "unmarked" | "pending"> & {
  readonly poisoned: readonly Poisoned[];
};

/** An event (or its event id) that failed for good downstream: its unit is set aside with the reason. */
interface Poisoned {
  readonly event: ExecEvent | string;
  readonly unit: number;
  readonly error: DetectorError;
}

/** A pass may meet a concurrent invocation's write of a host's state; so many passes, then the batch fails. */
const MAX_PASSES = 3;

/**
 * Detection, delivery and the write round, with the auditd events that straddle invocations: one read round
 * (records and the hosts' pending states), then passes of "reassemble, detect, deliver, write": the first
 * over the whole batch, a further one only for hosts whose state another invocation wrote in between (their
 * state is read again and this batch's parts merged into it; what completes only then is judged then).
 */
async function carryOver(
  events: readonly ExecEvent[],
  eventUnit: Map<string, number>,
  fragments: readonly BatchFragment[],
  exits: readonly ProcessExit[],
  deps: DetectionDeps,
  limits: DeliveryLimits,
  counters: Counters,
  fail: (unit: number, error: DetectorError) => void,
  redeliveredFrom: () => number | undefined,
  conditional: boolean,
): Promise<Delivered> {
  const pending: PendingReport = {
    ...newPendingCounters(),
    conflicts: 0,
    corruptStates: 0,
    rejudged: 0,
    waitedOut: 0,
    waitingDropped: 0,
  };
  let alreadyDelivered = 0;
  const published: Alert[] = [];
  const unmarked: { alert: Alert; error: DetectorError }[] = [];
  const poisoned: Poisoned[] = [];

  // Every host of the batch: its stored parts are merged, its waiting utilities judged again when due.
  const hosts = new Set<string>();
  for (const event of events) hosts.add(event.host.name);
  for (const { fragment } of fragments) hosts.add(fragment.host);
  const waiting = new Map<string, WaitingChanges>();
  const waitingOf = (host: string) => {
    let changes = waiting.get(host);
    if (changes === undefined) {
      changes = noWaitingChanges();
      waiting.set(host, changes);
    }
    return changes;
  };

  const planned = planBatch(
    { events, waiting: headEvents(fragments) },
    (deps.pids ?? deps.store.pids)?.planner(),
  );
  let read: BatchRead;
  try {
    read = await deps.store.read(planned.missing, [...hosts], { memoryOnly: planned.fresh });
  } catch (error) {
    // Nothing could be read: the whole batch goes again.
    fail(0, asDetectorError(error, "lineage store"));
    return { published, alreadyDelivered, unmarked, pending, poisoned };
  }
  let hostStates = decodeStates([...hosts], read.pending, () => pending.corruptStates++);
  // What the passes wrote, over what was read: a later pass resolves lineage against it.
  const known = new Map(read.records);
  const readKeys = new Set(planned.missing);
  const judged = new Set<string>();
  const snapshots = new Map<string, string>();
  let parts = fragments;
  let batchEvents = events;

  for (let pass = 1; ; pass++) {
    const reassembly = reassemble(hostStates.states, parts, limits.now(), deps.pendingLimits, judged);
    addPendingCounters(pending, reassembly.counters);
    const ready = readyInput(reassembly, counters);
    for (const [id, unit] of ready.units) eventUnit.set(id, unit);
    // An event id of auditd is its fragment key: a later pass must not judge these again.
    for (const item of reassembly.ready) judged.add(item.fragment.key);
    // Ordered by time and audit serial (planBatch): completed from stored parts or not, each in its place.
    // Utilities wait for lineage delivered after them only where delivery can be out of order (CloudWatch
    // Logs envelopes): a Kinesis shard gives a host's records in the order they were put.
    const input = {
      ...ready.input,
      events: [...batchEvents, ...ready.input.events],
      orphans: conditional,
    };
    // An event completed from stored parts was not known when the read round was planned: its own pid's
    // record may hold a later image written since (out of order), which must keep its place. Rare: one
    // more read, of those keys only.
    const unread = [...new Set(ready.input.events.map((e) => processKey(e.host.name, e.process.pid)))].filter(
      (key) => !readKeys.has(key),
    );
    if (unread.length > 0) {
      try {
        for (const [key, record] of await deps.store.getMany(unread))
          if (!known.has(key)) known.set(key, record);
      } catch (error) {
        fail(0, asDetectorError(error, "lineage store"));
        return { published, alreadyDelivered, unmarked, pending, poisoned };
      }
      for (const key of unread) readKeys.add(key);
    }

    let detection: BatchDetection;
    try {
      detection = await detectBatch(input, deps, counters, known, limits);
    } catch (error) {
      fail(0, asDetectorError(error, "lineage"));
      return { published, alreadyDelivered, unmarked, pending, poisoned };
    }
    for (const [id, snapshot] of encodeSnapshots(detection.snapshots)) snapshots.set(id, snapshot);

    const now = limits.now();
    for (const orphan of detection.orphans)
      waitingOf(orphan.host.name).set.set(orphan.source.eventId, waitingOrphan(orphan, now));
    for (const utility of detection.settled)
      waitingOf(utility.host.name).set.set(utility.source.eventId, waitingSettled(utility, now));
    let rejudged: { alerts: Alert[]; unjudged: Unjudged[] };
    try {
      // The stored waiting utilities once per invocation; this pass's new orphans every pass.
      rejudged = await judgeWaiting(
        pass === 1 ? reassembly.states : new Map(),
        detection,
        known,
        deps,
        counters,
        now,
        waitingOf,
        pending,
        limits,
      );
    } catch (error) {
      fail(0, asDetectorError(error, "lineage store"));
      return { published, alreadyDelivered, unmarked, pending, poisoned };
    }
    // A hit dedup could not record: retryable, its unit goes again (waiting utilities belong to unit 0);
    // not retryable (a value the store refuses), its record is set aside and the batch goes on.
    for (const { event, error } of [...detection.unjudged, ...rejudged.unjudged]) {
      const unit = eventUnit.get(event.source.eventId) ?? 0;
      if (error.retryable) fail(unit, error);
      else poisoned.push({ event, unit, error });
    }
    const ordered = [...detection.alerts, ...rejudged.alerts]
      .map((alert) => ({ alert, unit: eventUnit.get(alert.source.eventId) ?? 0 }))
      .sort((a, b) => a.unit - b.unit);
    const delivery = await deliverAlerts(ordered, deps, limits, redeliveredFrom());
    published.push(...delivery.published);
    unmarked.push(...delivery.unmarked);
    alreadyDelivered += delivery.alreadyDelivered;
    for (const { alert, unit, error } of delivery.poisoned)
      poisoned.push({ event: alert.source.eventId, unit, error });
    if (delivery.failed) fail(delivery.failed.unit, delivery.failed.error);

    // The write round, after the publishes (a redelivery from a failed one rebuilds the same records anyway):
    // the records first, then the states, so that a failed record write leaves the states as the redelivery
    // needs them.
    let conflicts: string[];
    try {
      const from = redeliveredFrom();
      const settled = new Map<string, HostPending>();
      for (const [host, state] of settleStates(reassembly, from, snapshots)) {
        const changes = waiting.get(host);
        // A redelivery of the whole batch judges its waiting utilities again: keep them as they were.
        const applied = applyWaiting(
          state,
          changes && from === 0 ? { removed: new Set(), set: changes.set } : changes,
        );
        pending.waitingDropped += applied.dropped;
        settled.set(host, applied.state);
      }
      ({ conflicts } = await deps.store.write(detection.records, pendingWrites(settled, hostStates), {
        conditional,
      }));
      for (const [key, record] of detection.records) known.set(key, record);
      if (pass === 1) await evictExits(exits, deps.store);
    } catch (error) {
      fail(0, asDetectorError(error, "lineage store"));
      return { published, alreadyDelivered, unmarked, pending, poisoned };
    }
    if (conflicts.length === 0) break;
    pending.conflicts += conflicts.length;
    if (pass >= MAX_PASSES) {
      fail(
        0,
        new DetectorError(
          `pending audit events of ${conflicts.length} hosts kept changing under this batch`,
          {
            retryable: true,
            context: { hosts: conflicts.length, passes: pass },
          },
        ),
      );
      break;
    }
    // Another invocation wrote these hosts' states since they were read: merge this batch's parts into theirs.
    const again = new Set(conflicts);
    try {
      hostStates = decodeStates(
        conflicts,
        await deps.store.readPending(conflicts),
        () => pending.corruptStates++,
      );
    } catch (error) {
      fail(0, asDetectorError(error, "lineage store"));
      return { published, alreadyDelivered, unmarked, pending, poisoned };
    }
    parts = fragments.filter((f) => again.has(f.fragment.host));
    batchEvents = [];
  }
  return { published, alreadyDelivered, unmarked, pending, poisoned };
}

/**
 * The host's waiting utilities that are due (lib/pipeline/waiting-utilities.ts), judged again on their lineage
 * walked through the store. Their alerts are delivered with the batch's, first (unit 0).
 */
async function judgeWaiting(
  states: ReadonlyMap<string, HostPending>,
  detection: BatchDetection,
  known: ReadonlyMap<string, ProcessRecord>,
  deps: DetectionDeps,
  counters: Counters,
  now: number,
  waitingOf: (host: string) => WaitingChanges,
  pending: PendingReport,
  limits: DeliveryLimits,
): Promise<{ alerts: Alert[]; unjudged: Unjudged[] }> {
  const oldest = oldestWritten(detection.records);
  // A new orphan is walked at once: judged from the lineage its head stored when its SYSCALL came (an
  // earlier invocation), it may have a parent in the store by now. Orphans are few, and this walk is the one
  // read they cost when their parent did arrive.
  const due: { entry: WaitingUtility; final: boolean; arrived: boolean }[] = detection.orphans.map(
    (event) => ({ entry: waitingOrphan(event, now), final: false, arrived: true }),
  );
  for (const [host, state] of states) {
    for (const d of dueWaiting(state, oldest.get(host), now, deps.pendingLimits.waitMs)) {
      // A settled utility that no late record reached has nothing new to be judged on.
      if (d.entry.settled === true && !d.arrived) waitingOf(host).removed.add(d.entry.event.source.eventId);
      else due.push(d);
    }
  }
  if (due.length === 0) return { alerts: [], unjudged: [] };
  const fetch = async (keys: readonly string[]) => {
    const found = new Map<string, ProcessRecord>();
    const rest: string[] = [];
    for (const key of keys) {
      const record = detection.records.get(key) ?? known.get(key);
      if (record === undefined) rest.push(key);
      else found.set(key, record);
    }
    if (rest.length > 0) for (const [key, record] of await deps.store.getMany(rest)) found.set(key, record);
    return found;
  };
  const walked = await walkLineage(
    due.map((d) => d.entry.event),
    fetch,
  );
  const emitted = new Set(detection.alerts.map((a) => a.id));
  const hits: Hit[] = [];
  for (const { entry, final } of due) {
    const { event } = entry;
    const id = event.source.eventId;
    const changes = waitingOf(event.host.name);
    const { lineage, missing } = walked.get(event)!;
    const verdict = evaluate(event, lineage, deps.rule);
    pending.rejudged++;
    if (verdict !== undefined) {
      hits.push({ event, lineage, verdict });
      changes.removed.add(id);
      changes.set.delete(id);
    } else if (final) {
      // It has waited long enough: done with, whatever stays unknown.
      if (missing !== undefined && entry.settled !== true) pending.waitedOut++;
      changes.removed.add(id);
      changes.set.delete(id);
    } else if (missing === undefined && entry.settled !== true) {
      // Its lineage now reaches init; the image its parent forked it from may still come late, as for any
      // utility judged on a known parent.
      changes.set.set(id, { ...entry, settled: true });
    }
    // Else it keeps waiting for what its lineage still misses.
  }
  return judgeHits(hits, deps.dedup, counters, emitted, limits);
}

function addPendingCounters(into: PendingReport, from: PendingCounters): void {
  into.completedAcross += from.completedAcross;
  into.judged += from.judged;
  into.late += from.late;
  into.trailing += from.trailing;
}
