import {
  Corrupt,
  optional,
  readArray,
  readNumber,
  readObject,
  readStored,
  readString,
} from "../stored-json.js";
import type { ExecEvent } from "../telemetry/exec-event.js";
import {
  type AuditFragment,
  decodeFragment,
  encodeFragment,
  fragmentState,
  mergeFragment,
} from "../telemetry/sources/auditd-fragment.js";

/**
 * auditd events whose records straddle invocations (DESIGN §5, reassembly across invocations).
 *
 * The kernel writes one exec as several records (SYSCALL, EXECVE…, CWD, PATH…, PROCTITLE, EOE); producers cut
 * the stream wherever their buffer fills, so an invocation often holds the first records of an event and the
 * next one the rest; through CloudWatch Logs the parts may also come out of order, or in two invocations at
 * once. What an invocation cannot complete it hands to the next through the table: one state item per host
 * holding the parts still waiting, read in the batch's one read round and written in its one write round.
 *
 * A part is merged with the stored parts of the same event (host + stamp + serial, never delivery order).
 * The event is judged as soon as it holds what the verdict reads (auditd-fragment.ts `fragmentState`), which
 * is usually in the next invocation. An exec whose SYSCALL came in this invocation but whose arguments or
 * paths did not is stored with its lineage as resolved now (`snapshot`): the invocation that completes it has
 * only the later records, without the pid, so it could not look the lineage up in the same read round. A part
 * whose rest has not come after `waitMs` is judged as it is (counted `judged`); what comes of it later is
 * counted `late` and dropped, as is any part of an event already completed from stored parts.
 *
 * Pure: the caller reads and writes the states (lib/triggers/detect-units.ts).
 */
export interface PendingEntry {
  readonly fragment: AuditFragment;
  /** The lineage of the exec when its SYSCALL was first seen: a ProcessRecord's stored JSON. */
  readonly snapshot?: string | undefined;
  /** When the first part was stored (epoch ms, wall clock). */
  readonly storedAt: number;
}

/**
 * A network utility that raised nothing while its parent was unknown (lib/pipeline/waiting-utilities.ts):
 * its verdict is taken again when the pids it waits for are delivered, or once after the wait.
 */
export interface WaitingUtility {
  readonly event: ExecEvent;
  readonly storedAt: number;
  /**
   * Judged on a lineage without gaps (lib/pipeline/waiting-utilities.ts): judged again only when an older
   * record arrives, and let go without a walk once the wait is over.
   */
  readonly settled?: true;
}

export interface HostPending {
  readonly entries: Map<string, PendingEntry>;
  /** By event id. */
  readonly waiting: Map<string, WaitingUtility>;
  /** Events completed or judged from stored parts (key, when), oldest first: their later parts are dropped. */
  readonly done: [key: string, at: number][];
}

export interface PendingLimits {
  /** How long a stored part waits for the rest of its event before the event is judged as it is. */
  readonly waitMs: number;
  /** Parts a host may hold; beyond, the oldest are judged at once. */
  readonly maxEntries: number;
  /** Completed keys remembered per host, and for how long (past the triggers' retries: 6 h of record age). */
  readonly maxDone: number;
  readonly doneRetentionMs: number;
  /** Encoded bytes a host's state may reach; beyond, the oldest parts are judged at once. */
  readonly maxStateBytes: number;
}

export const DEFAULT_PENDING_LIMITS: PendingLimits = {
  waitMs: 5 * 60_000,
  // A host holds a few parts at a time when its stream arrives in order; hundreds only when it arrives
  // scrambled (a backlog retried out of order), which these bounds still carry through.
  maxEntries: 256,
  maxDone: 128,
  doneRetentionMs: 6 * 3_600_000,
  // DynamoDB takes 400 KB per item (and bills a write per KB): room is left for the waiting heads' lineage,
  // added once the batch resolved it (MAX_RECORD_JSON_BYTES each, counted here in advance).
  maxStateBytes: 256 * 1024,
};

/** What a waiting head's stored lineage may add to the state (lib/lineage/record-codec.ts bounds it). */
const SNAPSHOT_BYTES = 3_584;

/** A part of an event in this batch, and where it starts (its first record). */
export interface BatchFragment {
  readonly fragment: AuditFragment;
  readonly line: number;
  readonly unit: number;
}

/** An event ready to judge. */
export interface ReadyEvent {
  readonly fragment: AuditFragment;
  /** Where the event is reported: the line of this batch's part; undefined when judged after the wait. */
  readonly line: number | undefined;
  /** The unit whose redelivery would bring the completing part again (0 for one judged after the wait). */
  readonly unit: number;
  readonly snapshot?: string | undefined;
  /** Parts of it were stored: it was completed (or judged) across invocations. */
  readonly stored: boolean;
  readonly judged: boolean;
}

export interface PendingCounters {
  /** Events completed from parts of several invocations. */
  completedAcross: number;
  /** Events judged as they were after waiting (or to keep a host's state bounded). */
  judged: number;
  /** Parts of events already completed or judged: dropped. */
  late: number;
  /** Records nothing could be done with (a trailing PROCTITLE or EOE of an event judged in-batch). */
  trailing: number;
}

export const newPendingCounters = (): PendingCounters => ({
  completedAcross: 0,
  judged: 0,
  late: 0,
  trailing: 0,
});

export interface Reassembly {
  readonly ready: ReadyEvent[];
  /** This batch's exec heads that wait for the rest: their lineage is resolved now and stored with them. */
  readonly waitingHeads: BatchFragment[];
  /** The new state of every host involved, before the redelivery rule (`settleStates`). */
  readonly states: Map<string, HostPending>;
  /** Stored entries this batch consumed, per host and key, to put back if their unit is redelivered. */
  readonly consumed: Map<string, Map<string, { readonly entry: PendingEntry; readonly unit: number }>>;
  readonly counters: PendingCounters;
}

const emptyState = (): HostPending => ({ entries: new Map(), waiting: new Map(), done: [] });

const copyFragment = (f: AuditFragment): AuditFragment =>
  mergeFragment({ ...f, records: 0, argChars: 0, args: [], chunked: undefined }, f);

/**
 * Merges this batch's open parts with the stored states of their hosts. `stored` holds every host read
 * (absent: none stored); hosts without parts in this batch are read only so that their waiting parts are
 * judged on time.
 */
export function reassemble(
  stored: ReadonlyMap<string, HostPending | undefined>,
  batch: readonly BatchFragment[],
  now: number,
  limits: PendingLimits = DEFAULT_PENDING_LIMITS,
  /** Keys this invocation already judged (an earlier pass, before a concurrent writer's state was merged). */
  alreadyJudged: ReadonlySet<string> = new Set(),
): Reassembly {
  const counters = newPendingCounters();
  const ready: ReadyEvent[] = [];
  const waitingHeads: BatchFragment[] = [];
  const states = new Map<string, HostPending>();
  const consumed = new Map<string, Map<string, { entry: PendingEntry; unit: number }>>();
  const stateOf = (host: string): HostPending => {
    let state = states.get(host);
    if (state === undefined) {
      const before = stored.get(host);
      state =
        before === undefined
          ? emptyState()
          : {
              entries: new Map(before.entries),
              waiting: new Map(before.waiting),
              done: before.done.filter(([, at]) => now - at < limits.doneRetentionMs),
            };
      states.set(host, state);
    }
    return state;
  };
  for (const host of stored.keys()) stateOf(host);

  for (const part of batch) {
    const { fragment, line, unit } = part;
    const state = stateOf(fragment.host);
    const key = fragment.key;
    if (state.done.some(([done]) => done === key)) {
      // The trailing PROCTITLE and EOE of an event judged from its other records come here routinely.
      if (fragmentState(fragment) === "trailing") counters.trailing++;
      else counters.late++;
      continue;
    }
    const before = state.entries.get(key);
    if (alreadyJudged.has(key)) {
      if (before !== undefined) {
        state.entries.delete(key);
        remember(state, key, now, limits);
        consumedOf(consumed, fragment.host).set(key, { entry: before, unit });
      }
      continue;
    }
    const merged =
      before === undefined ? copyFragment(fragment) : mergeFragment(copyFragment(before.fragment), fragment);
    const verdict = fragmentState(merged);
    if (verdict === "complete" || verdict === "sufficient") {
      if (before !== undefined) {
        state.entries.delete(key);
        remember(state, key, now, limits);
        consumedOf(consumed, fragment.host).set(key, { entry: before, unit });
        counters.completedAcross++;
      }
      ready.push({
        fragment: merged,
        line,
        unit,
        snapshot: before?.snapshot,
        stored: before !== undefined,
        judged: false,
      });
      continue;
    }
    if (verdict === "trailing" && before === undefined) {
      counters.trailing++;
      continue;
    }
    if (before !== undefined && !consumedOf(consumed, fragment.host).has(key))
      consumedOf(consumed, fragment.host).set(key, { entry: before, unit });
    state.entries.set(key, {
      fragment: merged,
      snapshot: before?.snapshot,
      storedAt: before?.storedAt ?? now,
    });
    if (verdict === "head" && before?.snapshot === undefined)
      waitingHeads.push({ fragment: merged, line, unit });
  }

  for (const [host, state] of states) {
    // Oldest first, so that the caps below judge what has waited longest.
    const waiting = [...state.entries].sort((a, b) => a[1].storedAt - b[1].storedAt);
    const heads = waitingHeads.filter((h) => h.fragment.host === host).length;
    let size = Buffer.byteLength(encodeHostPending(state)) + heads * SNAPSHOT_BYTES;
    let count = state.entries.size;
    for (const [key, entry] of waiting) {
      const overdue = now - entry.storedAt >= limits.waitMs;
      if (!overdue && count <= limits.maxEntries && size <= limits.maxStateBytes) break;
      // A head judged now whose lineage was never resolved (this batch's own, over a cap) is resolved with
      // the batch: it is in waitingHeads, which the caller resolves before judging.
      state.entries.delete(key);
      count--;
      size -= Buffer.byteLength(JSON.stringify(encodeEntry(entry)));
      remember(state, key, now, limits);
      counters.judged++;
      ready.push({
        fragment: entry.fragment,
        line: undefined,
        unit: 0,
        snapshot: entry.snapshot,
        stored: true,
        judged: true,
      });
      const head = waitingHeads.findIndex((h) => h.fragment.key === key && h.fragment.host === host);
      if (head >= 0) waitingHeads.splice(head, 1);
    }
  }
  return { ready, waitingHeads, states, consumed, counters };
}

function consumedOf(
  consumed: Map<string, Map<string, { entry: PendingEntry; unit: number }>>,
  host: string,
): Map<string, { entry: PendingEntry; unit: number }> {
  let map = consumed.get(host);
  if (map === undefined) {
    map = new Map();
    consumed.set(host, map);
  }
  return map;
}

function remember(state: HostPending, key: string, now: number, limits: PendingLimits): void {
  state.done.push([key, now]);
  if (state.done.length > limits.maxDone) state.done.splice(0, state.done.length - limits.maxDone);
}

/**
 * The states to write once the batch's alerts went out. Parts consumed by a unit that will be redelivered
 * (`redeliveredFrom`: Kinesis retries from the first failed record, CloudWatch Logs the whole envelope) are
 * put back as they were: the redelivery brings the completing part again and must find them, or the event
 * (and its alert, if its publish is what failed) would be lost. `snapshots` are the lineages resolved for
 * this batch's waiting heads.
 */
export function settleStates(
  reassembly: Reassembly,
  redeliveredFrom: number | undefined,
  snapshots: ReadonlyMap<string, string>,
): Map<string, HostPending> {
  const out = new Map<string, HostPending>();
  for (const [host, state] of reassembly.states) {
    const entries = new Map(state.entries);
    const waiting = new Map(state.waiting);
    const done = [...state.done];
    for (const [key, entry] of entries) {
      if (entry.snapshot === undefined && snapshots.has(key))
        entries.set(key, { ...entry, snapshot: snapshots.get(key) });
    }
    if (redeliveredFrom !== undefined) {
      for (const [key, { entry, unit }] of reassembly.consumed.get(host) ?? []) {
        if (unit < redeliveredFrom) continue;
        entries.set(key, entry);
        const at = done.findIndex(([done]) => done === key);
        if (at >= 0) done.splice(at, 1);
      }
    }
    out.set(host, { entries, waiting, done });
  }
  return out;
}

/*
 * JSON form of a host's state: {v, e: [{f fragment, s snapshot, at storedAt}], w: [{x event, at storedAt, c settled}],
 * d: [[done key, at]]}.
 */
const STATE_VERSION = 1;

function encodeEntry(entry: PendingEntry): Record<string, unknown> {
  const out: Record<string, unknown> = { f: encodeFragment(entry.fragment), at: entry.storedAt };
  if (entry.snapshot !== undefined) out["s"] = entry.snapshot;
  return out;
}

export function encodeHostPending(state: HostPending): string {
  return JSON.stringify({
    v: STATE_VERSION,
    e: [...state.entries.values()].map(encodeEntry),
    w: [...state.waiting.values()].map((w) => ({ x: w.event, at: w.storedAt, ...(w.settled && { c: 1 }) })),
    d: state.done,
  });
}

/** A host's state from its stored JSON; undefined (counted by the caller) for anything else. */
export function decodeHostPending(json: string, host: string): HostPending | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  return readStored(value, (v) => readHostPending(v, host));
}

function readHostPending(value: unknown, host: string): HostPending {
  const state = readObject(value);
  if (state["v"] !== STATE_VERSION) throw new Corrupt();
  const entries = new Map<string, PendingEntry>();
  for (const item of readArray(state["e"])) {
    const entry = readObject(item);
    const fragment = decodeFragment(entry["f"]);
    if (fragment === undefined || fragment.host !== host) throw new Corrupt();
    entries.set(fragment.key, {
      fragment,
      snapshot: optional(entry["s"], readString),
      storedAt: readNumber(entry["at"]),
    });
  }
  const waiting = new Map<string, WaitingUtility>();
  for (const item of readArray(state["w"])) {
    const entry = readObject(item);
    const event = readWaitingEvent(entry["x"], host);
    const waited = { event, storedAt: readNumber(entry["at"]) };
    waiting.set(event.source.eventId, entry["c"] === 1 ? { ...waited, settled: true } : waited);
  }
  const done = readArray(state["d"]).map((pair): [string, number] => {
    const [key, at] = readArray(pair);
    return [readString(key), readNumber(at)];
  });
  return { entries, waiting, done };
}

/** A waiting utility's event as the pipeline wrote it, checked for what the rule reads. */
function readWaitingEvent(value: unknown, host: string): ExecEvent {
  const event = readObject(value);
  const process = readObject(event["process"]);
  const source = readObject(event["source"]);
  if (readObject(event["host"])["name"] !== host) throw new Corrupt();
  readNumber(event["time"]);
  readString(source["eventId"]);
  readNumber(process["pid"]);
  readNumber(process["ppid"]);
  readString(process["executable"]);
  readArray(process["args"]).forEach(readString);
  return event as unknown as ExecEvent;
}

export const isEmptyState = (state: HostPending): boolean =>
  state.entries.size === 0 && state.waiting.size === 0 && state.done.length === 0;
