import type { Alert } from "../alerts/alert.js";
import type { AlertPublisher } from "../alerts/alert-publisher.js";
import { asDetectorError, type DeliveryLimits, deliverAlerts } from "../alerts/deliver-alerts.js";
import type { DeliveryClaims } from "../alerts/delivery-claims.js";
import { DetectorError } from "../errors.js";
import type { BatchRead } from "../lineage/lineage-store.js";
import { type ProcessRecord, processKey } from "../lineage/process-record.js";
import { walkLineage } from "../lineage/walk-lineage.js";
import { type Counters, countSkip, newCounters } from "../pipeline/counters.js";
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
  judge,
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
import { createRecordDecoder, type RecordDecoder } from "../telemetry/decode-records.js";
import type { DecodeOutput, ProcessExit } from "../telemetry/decoder.js";
import type { ExecEvent } from "../telemetry/exec-event.js";
import { createDocumentJoiner, flushDocumentJoiner, frameText } from "../telemetry/framing.js";
import type { OpenedPayload } from "../telemetry/transport.js";
import { decodeStates, encodeSnapshots, headEvents, pendingWrites, readyInput } from "./carry-over.js";

/**
 * One delivery unit of a trigger: a Kinesis record, or a CloudWatch Logs invocation's envelope. Failures
 * are reported per unit, so that Kinesis can retry from the first failed record and nothing before it twice.
 */
export interface DeliveryUnit {
  /** Kinesis sequence number, or the CloudWatch Logs envelope's first event id. */
  readonly id: string;
  /** Partition key or log stream. */
  readonly origin: string;
  readonly payload: OpenedPayload;
  /** The raw transport bytes, set aside whole when the payload cannot be opened. */
  readonly raw: Buffer;
}

export interface DetectionDeps extends BatchDeps {
  /** How long a part of an audit event waits for the rest, and how much a host may hold. */
  readonly pendingLimits: PendingLimits;
  readonly publisher: AlertPublisher;
  /** Exactly one publish per alert id, whatever the redeliveries (lib/alerts/delivery-claims.ts). */
  readonly claims: DeliveryClaims;
  readonly quarantine: QuarantineSink;
  readonly trigger: QuarantinedRecord["source"]["trigger"];
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
): Promise<DetectionReport> {
  const counters = newCounters();
  const quarantined: QuarantinedRecord[] = [];
  const quarantineUnit: number[] = [];
  const errors: DetectorError[] = [];
  let failedFrom: number | undefined;
  const fail = (unit: number, error: DetectorError) => {
    failedFrom = failedFrom === undefined ? unit : Math.min(failedFrom, unit);
    errors.push(error);
  };

  // Decoders per default host: an auditd event's lines may span several records of one partition key.
  const decoders = new Map<string, RecordDecoder>();
  const decoderFor = (host: string) => {
    let decoder = decoders.get(host);
    if (decoder === undefined) {
      // What this invocation cannot complete goes to the next through the table, not judged half-built.
      decoder = createRecordDecoder("auto", { defaultHost: host }, { deferIncomplete: true });
      decoders.set(host, decoder);
    }
    return decoder;
  };
  // Lines are numbered across the batch so that each output can be traced back to its unit.
  const unitStarts: { line: number; unit: number; messageLine: number }[] = [];
  let nextLine = 1;
  const outputs: DecodeOutput[] = [];

  units.forEach((unit, index) => {
    if (unit.payload.kind === "control") return;
    if (unit.payload.kind === "error") {
      counters.records++;
      counters.malformed++;
      quarantined.push({
        reason: unit.payload.reason,
        raw: unit.raw,
        source: { trigger: deps.trigger, id: unit.id, origin: unit.origin },
      });
      quarantineUnit.push(index);
      return;
    }
    for (const message of unit.payload.messages) {
      const framed = frameText(message.text, nextLine);
      unitStarts.push({ line: nextLine, unit: index, messageLine: nextLine });
      nextLine += framed.length;
      const join = createDocumentJoiner();
      const decoder = decoderFor(message.defaultHost);
      for (const record of [...join(framed), ...flushDocumentJoiner(join)]) {
        if (record.text.length === 0 && record.error === undefined) continue;
        counters.records++;
        decoder.push(record, outputs);
      }
    }
  });
  const openParts = [...decoders.values()].flatMap((decoder) => decoder.takeOpen());

  const unitOfLine = (line: number): { unit: number; local: number } => {
    let lo = 0;
    let hi = unitStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (unitStarts[mid]!.line <= line) lo = mid;
      else hi = mid - 1;
    }
    const start = unitStarts[lo]!;
    return { unit: start.unit, local: line - start.messageLine + 1 };
  };

  const events: ExecEvent[] = [];
  const exits: ProcessExit[] = [];
  const eventUnit = new Map<string, number>();
  for (const output of outputs) {
    if (output.kind === "event") {
      events.push(output.event);
      eventUnit.set(output.event.source.eventId, unitOfLine(output.line).unit);
    } else if (output.kind === "skipped") {
      countSkip(counters, output.reason);
      if (output.exit) exits.push(output.exit);
    } else {
      counters.malformed++;
      const { unit, local } = unitOfLine(output.line);
      const u = units[unit]!;
      quarantined.push({
        reason: output.reason,
        raw: Buffer.from(output.raw, "utf8"),
        source: { trigger: deps.trigger, id: u.id, line: local, origin: u.origin },
      });
      quarantineUnit.push(unit);
    }
  }

  const fragments: BatchFragment[] = openParts.map((fragment) => ({
    fragment,
    line: fragment.line,
    unit: unitOfLine(fragment.line).unit,
  }));
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

  if (quarantined.length > 0) {
    try {
      // In input order: transport errors are found while opening, line errors while decoding.
      const order = quarantined
        .map((_, i) => i)
        .sort((a, b) => quarantineUnit[a]! - quarantineUnit[b]! || a - b);
      await deps.quarantine.put(order.map((i) => quarantined[i]!));
    } catch (error) {
      fail(Math.min(...quarantineUnit), asDetectorError(error, "quarantine"));
    }
  }
  return { counters, failedFrom, errors, quarantined, ...carried };
}

type Delivered = Pick<DetectionReport, "published" | "alreadyDelivered" | "unmarked" | "pending">;

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

  const planned = planBatch({ events, waiting: headEvents(fragments) });
  let read: BatchRead;
  try {
    read = await deps.store.read(planned.missing, [...hosts]);
  } catch (error) {
    // Nothing could be read: the whole batch goes again.
    fail(0, asDetectorError(error, "lineage store"));
    return { published, alreadyDelivered, unmarked, pending };
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
    const input = { ...ready.input, events: [...batchEvents, ...ready.input.events], orphans: true };
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
        return { published, alreadyDelivered, unmarked, pending };
      }
      for (const key of unread) readKeys.add(key);
    }

    let detection: BatchDetection;
    try {
      detection = await detectBatch(input, deps, counters, known);
    } catch (error) {
      fail(0, asDetectorError(error, "lineage"));
      return { published, alreadyDelivered, unmarked, pending };
    }
    for (const [id, snapshot] of encodeSnapshots(detection.snapshots)) snapshots.set(id, snapshot);

    const now = limits.now();
    for (const orphan of detection.orphans)
      waitingOf(orphan.host.name).set.set(orphan.source.eventId, waitingOrphan(orphan, now));
    for (const utility of detection.settled)
      waitingOf(utility.host.name).set.set(utility.source.eventId, waitingSettled(utility, now));
    let rejudged: Alert[] = [];
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
      );
    } catch (error) {
      fail(0, asDetectorError(error, "lineage store"));
      return { published, alreadyDelivered, unmarked, pending };
    }
    const ordered = [...detection.alerts, ...rejudged]
      .map((alert) => ({ alert, unit: eventUnit.get(alert.source.eventId) ?? 0 }))
      .sort((a, b) => a.unit - b.unit);
    const delivery = await deliverAlerts(ordered, deps, limits);
    published.push(...delivery.published);
    unmarked.push(...delivery.unmarked);
    alreadyDelivered += delivery.alreadyDelivered;
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
      return { published, alreadyDelivered, unmarked, pending };
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
      return { published, alreadyDelivered, unmarked, pending };
    }
    parts = fragments.filter((f) => again.has(f.fragment.host));
    batchEvents = [];
  }
  return { published, alreadyDelivered, unmarked, pending };
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
): Promise<Alert[]> {
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
  if (due.length === 0) return [];
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
  const alerts: Alert[] = [];
  for (const { entry, final } of due) {
    const { event } = entry;
    const id = event.source.eventId;
    const changes = waitingOf(event.host.name);
    const { lineage, missing } = walked.get(event)!;
    const verdict = evaluate(event, lineage, deps.rule);
    pending.rejudged++;
    if (verdict !== undefined) {
      const alert = await judge(event, lineage, verdict, deps, counters, emitted);
      if (alert !== undefined) alerts.push(alert);
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
  return alerts;
}

function addPendingCounters(into: PendingReport, from: PendingCounters): void {
  into.completedAcross += from.completedAcross;
  into.judged += from.judged;
  into.late += from.late;
  into.trailing += from.trailing;
}
