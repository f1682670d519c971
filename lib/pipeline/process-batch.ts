import type { Alert } from "../alerts/alert.js";
import type { DedupLimits, DedupStore } from "../alerts/dedup-store.js";
import { eventTag } from "../lineage/event-tag.js";
import type { Lineage } from "../lineage/lineage.js";
import type { LineageStore } from "../lineage/lineage-store.js";
import { isLongLived } from "../lineage/long-lived.js";
import type { PidAllocations } from "../lineage/pid-allocation.js";
import {
  asAncestor,
  execBefore,
  MAX_CHAIN,
  type ProcessRecord,
  processKey,
} from "../lineage/process-record.js";
import {
  imageOf,
  imageTime,
  incarnation,
  recordOf,
  resolveLineage,
  resolveRecord,
} from "../lineage/resolve-lineage.js";
import { rewind } from "../lineage/rewind.js";
import { sameProcess } from "../lineage/same-process.js";
import type { CompiledRule } from "../rule/compile-rule.js";
import { evaluate } from "../rule/evaluate.js";
import { identifyUtility } from "../rule/identify-utility.js";
import type { ProcessExit } from "../telemetry/decoder.js";
import type { ExecEvent } from "../telemetry/exec-event.js";
import type { Counters } from "./counters.js";
import { type Hit, judgeHits, type Unjudged } from "./judge-hits.js";

export interface BatchDeps {
  readonly store: LineageStore;
  readonly dedup: DedupStore;
  readonly rule: CompiledRule;
  /**
   * The hosts' pid allocators as this container (or replay) has traced them, across batches: a stored record
   * of a pid the allocator has come past since is an earlier holder's (lib/lineage/pid-allocation.ts).
   * Without it, records are trusted as the session and time guards allow.
   */
  readonly pids?: PidAllocations;
}

/** What a batch found: the alerts to deliver (in event order) and the records it learned, to write. */
export interface BatchDetection {
  readonly alerts: Alert[];
  readonly records: ReadonlyMap<string, ProcessRecord>;
  /** The lineage resolved for each waiting head (BatchInput.waiting), by event id: to store with it. */
  readonly snapshots: ReadonlyMap<string, ProcessRecord>;
  /** Network utilities that raised nothing while their parent was unknown: they may wait for it. */
  readonly orphans: readonly ExecEvent[];
  /**
   * Network utilities that raised nothing on a lineage without gaps. Out of order, the image their parent
   * forked them from may still come (a parent's `exec` delivered after its child): they may wait for that.
   */
  readonly settled: readonly ExecEvent[];
  /** Hits whose dedup could not be recorded (lib/pipeline/judge-hits.ts): retryable, or poison. */
  readonly unjudged: readonly Unjudged[];
}

/**
 * One batch through lineage, the rule and dedup (DESIGN §5), then its records written in one `putMany`.
 * Returns the alerts to publish, in event order. The CLI's replay and tests; the triggers deliver the alerts
 * between detecting and writing (lib/triggers/detect-units.ts).
 */
export async function processBatch(
  events: readonly ExecEvent[],
  deps: BatchDeps,
  counters: Counters,
  exits: readonly ProcessExit[] = [],
): Promise<Alert[]> {
  const { alerts, records, unjudged } = await detectBatch({ events }, deps, counters);
  // The CLI's stores never fail a sighting; a replay stops rather than lose an alert if one ever did.
  if (unjudged.length > 0) throw unjudged[0]!.error;
  await writeBatch(records, exits, deps.store);
  return alerts;
}

/**
 * What a batch learned, written in one `putMany`; then the processes that exited are evicted, after the
 * batch's execs: a child that exec'd before its parent exited has already copied its lineage.
 */
export async function writeBatch(
  records: ReadonlyMap<string, ProcessRecord>,
  exits: readonly ProcessExit[],
  store: LineageStore,
): Promise<void> {
  if (records.size > 0) await store.putMany(records);
  await evictExits(exits, store);
}

/** Processes that exited, evicted from a store that keeps them in memory (the DynamoDB store lets TTL work). */
export async function evictExits(exits: readonly ProcessExit[], store: LineageStore): Promise<void> {
  if (exits.length > 0 && store.evict) {
    await store.evict(
      exits.map((e) => ({ key: processKey(e.host, e.pid), time: e.time, entityId: e.entityId })),
    );
  }
}

/** A batch's events, and the auditd events whose records straddle invocations (lib/pipeline/pending-events.ts). */
export interface BatchInput {
  readonly events: readonly ExecEvent[];
  /**
   * Report the utilities judged on a lineage that ends at an unknown parent (BatchDetection.orphans): the
   * functions keep them waiting for out-of-order deliveries; a replay reads its input in order.
   */
  readonly orphans?: boolean;
  /** Lineage resolved in the invocation that saw the event's SYSCALL, by event id: nothing to look up. */
  readonly snapshots?: ReadonlyMap<string, ProcessRecord>;
  /** Exec heads waiting for the rest of their records: lineage resolved in order, not judged, not written. */
  readonly waiting?: readonly ExecEvent[];
}

interface Planned {
  readonly event: ExecEvent;
  readonly kind: "event" | "snapshot" | "waiting";
  readonly own: string;
  readonly parent: string | undefined;
  /** The event's eventTag, made once: its record, the rewind and the late-image test all compare it. */
  readonly tag: string;
  /**
   * Whether an earlier event of the batch wrote the own (parent) key: then its record is the batch's, else the
   * store's. Known here already, so resolving looks in one Map, not two.
   */
  readonly ownInBatch: boolean;
  readonly parentInBatch: boolean;
}

/**
 * The batch in the order it is resolved (by host, then time) and the keys it cannot resolve itself: a pid's
 * own earlier image or its parent, unless an earlier event of this batch writes that key first. `fresh`: the
 * own keys of processes whose pid the host's allocator handed out since it has been traced
 * (PidAllocations.planner): no earlier image of theirs can be in a store that was not in the container's
 * memory (lib/lineage/tiered-store.ts). Most events' own keys are.
 */
export function planBatch(
  input: BatchInput,
  traced?: ReturnType<PidAllocations["planner"]>,
): { ordered: Planned[]; missing: string[]; fresh: Set<string> } {
  const waiting =
    input.waiting === undefined || input.waiting.length === 0 ? undefined : new Set(input.waiting);
  const all = waiting === undefined ? input.events : [...input.events, ...input.waiting!];
  const ordered: Planned[] = [];
  const produced = new Set<string>();
  const missing = new Set<string>();
  const fresh = new Set<string>();
  // Without a traced allocator nothing is fresh: the keys needed are not tracked either.
  const needed = traced === undefined ? undefined : new Set<string>();
  for (const event of all.length > 1 ? orderByHostAndTime(all) : all) {
    const host = event.host.name;
    const own = processKey(host, event.process.pid);
    const parent = event.process.ppid > 0 ? processKey(host, event.process.ppid) : undefined;
    const kind = waiting?.has(event)
      ? "waiting"
      : input.snapshots?.has(event.source.eventId)
        ? "snapshot"
        : "event";
    // A snapshot carries its lineage; its own key is still read, since a later image of its process may have
    // been written since (out of order) and must keep its place (detectBatch, late images).
    const ownFresh = traced?.own(host, event.process.pid, event.time) === true;
    const ownInBatch = produced.has(own);
    if (!ownInBatch) {
      missing.add(own);
      if (needed !== undefined) (ownFresh ? fresh : needed).add(own);
    }
    const parentInBatch = parent !== undefined && produced.has(parent);
    if (kind !== "snapshot" && parent !== undefined && !parentInBatch) {
      missing.add(parent);
      if (needed !== undefined)
        (traced?.parent(host, event.process.ppid, event.process.pid) === true ? fresh : needed).add(parent);
    }
    // A waiting head writes no record yet: its children and later images come after its last record.
    if (kind !== "waiting") produced.add(own);
    ordered.push({
      event,
      kind,
      own,
      parent,
      tag: eventTag(event.source.eventId),
      ownInBatch,
      parentInBatch,
    });
  }
  // A key another event needs from the table is read from it.
  if (needed !== undefined) for (const key of needed) fresh.delete(key);
  return { ordered, missing: [...missing], fresh };
}

/**
 * One batch through lineage, the rule and dedup (DESIGN §5): order by host and time, resolve from the batch
 * itself first, then from what the store holds (read here in one `getMany`, or passed in by a trigger that
 * read it in its own round), evaluate. Nothing is written. Returns the alerts, the records learned and the
 * lineage resolved for each waiting head.
 */
export async function detectBatch(
  batch: BatchInput,
  deps: BatchDeps,
  counters: Counters,
  read?: ReadonlyMap<string, ProcessRecord>,
  limits?: DedupLimits,
): Promise<BatchDetection> {
  const pids = deps.pids ?? deps.store.pids;
  const { ordered, missing } = planBatch(batch);
  const stored: ReadonlyMap<string, ProcessRecord> =
    read ?? (missing.length > 0 ? await deps.store.getMany(missing) : new Map());
  // What an earlier attempt of these same events wrote is peeled off: a retry gives the first attempt's verdict.
  const fetched = rewindAll(stored, ordered);
  // What this batch wrote wins over what the store returned: no copy of the store's answer per batch.
  const written = new Map<string, ProcessRecord>();
  // A record of a pid the host's allocator has come past since its process was last seen alive belongs to an
  // earlier holder (lib/lineage/pid-allocation.ts), unless its kind outlives such a pass.
  const lookup = (key: string | undefined, inBatch: boolean, event: ExecEvent, pid: number) => {
    if (key === undefined) return undefined;
    const record = inBatch ? written.get(key) : fetched.get(key);
    if (
      record === undefined ||
      pids === undefined ||
      !pids.superseded(event.host.name, pid, record.time, event.time) ||
      isLongLived(record)
    )
      return record;
    return undefined;
  };

  const hits: Hit[] = [];
  const snapshots = new Map<string, ProcessRecord>();
  const orphans: ExecEvent[] = [];
  const settled: ExecEvent[] = [];
  for (const { event, kind, own, parent, tag, ownInBatch, parentInBatch } of ordered) {
    const { pid, ppid } = event.process;
    pids?.observe(event.host.name, pid, event.time);
    const parentRecord = lookup(parent, parentInBatch, event, ppid);
    if (kind === "waiting") {
      const record = resolveRecord(event, lookup(own, ownInBatch, event, pid), parentRecord, tag);
      sawParent(pids, event, parentRecord, record);
      snapshots.set(event.source.eventId, record);
      continue;
    }
    counters.execEvents++;
    let lineage: Lineage;
    const previous = lookup(own, ownInBatch, event, pid);
    const later = previous !== undefined && laterImageOf(previous, event, tag) ? previous : undefined;
    if (kind === "snapshot" && later === undefined) {
      // The snapshot is a record, and so the lineage the event was resolved with.
      lineage = batch.snapshots!.get(event.source.eventId)!;
      written.set(own, recordOf(event, lineage, tag));
    } else {
      if (later === undefined) {
        // The record is the event's lineage (resolveRecord): judged on it, nothing copied.
        const record = resolveRecord(event, previous, parentRecord, tag);
        sawParent(pids, event, parentRecord, record);
        lineage = record;
        written.set(own, record);
      } else {
        // Delivered after a later image of its own process (out of order: `exec wget` judged before its
        // loader's exec). The record keeps the later image, with this one slotted into its exec chain, and
        // the later image is judged again with it.
        const late = lateImage(event, later, parentRecord);
        lineage = late.lineage;
        written.set(own, late.record);
        const again = rejudgeLater(late.record, event, deps.rule);
        if (again !== undefined) hits.push(again);
      }
    }

    const verdict = evaluate(event, lineage, deps.rule);
    if (verdict === undefined) {
      // A utility whose parent's record is not known yet may be an orphan of out-of-order delivery (its
      // parent's exec comes later; a parent the telemetry names carries no script): it waits for it
      // (lib/pipeline/waiting-utilities.ts). Only then is the utility test repeated.
      // One whose lineage is known may still miss the parent's image it was forked from, delivered later.
      if (batch.orphans === true && identifyUtility(event.process, deps.rule.utilities))
        (lineage.incomplete === true ? orphans : settled).push(event);
      continue;
    }
    hits.push({ event, lineage, verdict });
  }
  // One dedup round for the batch: a key's sightings in one update (lib/pipeline/judge-hits.ts).
  const { alerts, unjudged } = await judgeHits(hits, deps.dedup, counters, new Set(), limits);
  return { alerts, records: written, snapshots, orphans, settled, unjudged };
}

/** The parent's record was taken for the event's parent: its process was alive, forking, at the event's time. */
function sawParent(
  pids: PidAllocations | undefined,
  event: ExecEvent,
  parentRecord: ProcessRecord | undefined,
  record: ProcessRecord,
): void {
  if (pids !== undefined && parentRecord !== undefined && record.ancestors[0] === asAncestor(parentRecord))
    pids.seen(event.host.name, event.process.ppid, event.time);
}

/** `record` holds a later image of the event's own process (lib/lineage/same-process.ts), exec'd after it. */
function laterImageOf(record: ProcessRecord, event: ExecEvent, tag: string): boolean {
  // In order (the common case) the record is older: one comparison, nothing allocated.
  if (record.time < event.time) return false;
  return (
    !execBefore(record, imageTime(event)) &&
    record.by !== tag &&
    // The later image may have been re-parented since (its parent, if it is a reaper, is its first ancestor
    // when it was resolved under it).
    sameProcess(incarnation(event), record, record.ancestors[0]?.executable)
  );
}

/**
 * An earlier image delivered after the record of a later one: its own lineage (the images before it, the
 * parent's), and the record with it slotted into the chain.
 */
function lateImage(
  event: ExecEvent,
  later: ProcessRecord,
  parentRecord: ProcessRecord | undefined,
): { lineage: Lineage; record: ProcessRecord } {
  const at = imageTime(event);
  const images = [imageOf(later), ...later.chain];
  const before = images.filter((image) => execBefore(image, at));
  const after = images.slice(1).filter((image) => !before.includes(image));
  const resolved = resolveLineage(event, undefined, parentRecord);
  const lineage: Lineage = { ...resolved.lineage, chain: before.slice(0, MAX_CHAIN) };
  const own = imageOf(recordOf(event, lineage));
  return { lineage, record: { ...later, chain: [...after, own, ...before].slice(0, MAX_CHAIN) } };
}

/** The record's current image judged again as its event, now that an earlier image is in its chain. */
function rejudgeLater(record: ProcessRecord, late: ExecEvent, rule: CompiledRule) {
  if (record.eventId === undefined) return undefined;
  const event: ExecEvent = {
    host: { name: record.host },
    user: {
      ...(record.user?.id !== undefined && { id: record.user.id }),
      ...(record.user?.name !== undefined && { name: record.user.name }),
    },
    process: {
      pid: record.pid,
      ppid: record.ppid,
      executable: record.executable,
      args: [...record.args],
      ...(record.invokedPath !== undefined && { invokedPath: record.invokedPath }),
      ...(record.script !== undefined && { script: record.script }),
      ...(record.cwd !== undefined && { cwd: record.cwd }),
      ...(record.sessionId !== undefined && { sessionId: record.sessionId }),
    },
    time: record.time,
    source: {
      format: late.source.format,
      eventId: record.eventId,
      ...(record.seq !== undefined && { sequence: record.seq }),
    },
  };
  const lineage: Lineage = { chain: record.chain, ancestors: record.ancestors };
  const verdict = evaluate(event, lineage, rule);
  return verdict === undefined ? undefined : { event, lineage, verdict };
}

function rewindAll(
  stored: ReadonlyMap<string, ProcessRecord>,
  planned: readonly Planned[],
): ReadonlyMap<string, ProcessRecord> {
  if (stored.size === 0) return stored;
  // A record this batch's events wrote is no older than the batch's first event: older ones (all of them, in
  // order) need no tag computed.
  let earliest = Number.POSITIVE_INFINITY;
  for (const { event } of planned) if (event.time < earliest) earliest = event.time;
  let ownTags: Set<string> | undefined;
  let out: Map<string, ProcessRecord> | undefined;
  for (const [key, record] of stored) {
    if (record.time < earliest) continue;
    if (ownTags === undefined) {
      ownTags = new Set();
      for (const { tag } of planned) ownTags.add(tag);
    }
    const before = rewind(record, ownTags);
    if (before === record) continue;
    out ??= new Map(stored);
    if (before === undefined) out.delete(key);
    else out.set(key, before);
  }
  return out ?? stored;
}

/**
 * The order of a stable sort by host, then time, without a string comparison per pair of events: a batch
 * holds a few hosts, and a host's events mostly arrive in time order already (then they are not sorted).
 */
function orderByHostAndTime(events: readonly ExecEvent[]): ExecEvent[] {
  const byHost = new Map<string, ExecEvent[]>();
  for (const event of events) {
    const list = byHost.get(event.host.name);
    if (list === undefined) byHost.set(event.host.name, [event]);
    else list.push(event);
  }
  const ordered: ExecEvent[] = [];
  // Host names are distinct: the default sort (UTF-16 code units) is the order `<` gives.
  for (const host of [...byHost.keys()].sort()) {
    const list = byHost.get(host)!;
    if (!inTimeOrder(list)) list.sort(byTime);
    for (const event of list) ordered.push(event);
  }
  return ordered;
}

function inTimeOrder(events: readonly ExecEvent[]): boolean {
  for (let i = 1; i < events.length; i++) if (byTime(events[i]!, events[i - 1]!) < 0) return false;
  return true;
}

/**
 * By time, then by the source's own sequence where it has one (the audit serial): execs of one millisecond
 * are common (`exec wget` right after its loader's exec), and a batch may hold them out of stream order when
 * one was completed from parts stored by an earlier invocation.
 */
function byTime(a: ExecEvent, b: ExecEvent): number {
  return a.time - b.time || (a.source.sequence ?? 0) - (b.source.sequence ?? 0);
}
