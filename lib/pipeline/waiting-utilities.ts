import type { ProcessRecord } from "../lineage/process-record.js";
import type { ExecEvent } from "../telemetry/exec-event.js";
import type { HostPending, WaitingUtility } from "./pending-events.js";

/**
 * Network utilities whose parent was unknown when they were judged (DESIGN §5, out-of-order delivery).
 *
 * CloudWatch Logs may run a stream's envelopes in any order (a failed one is retried a minute later, after
 * the ones behind it), so a child's exec can be judged before its parent's. Lineage is copied down when a
 * record is written, so the child would never see the `/tmp` script above it. A utility that raised nothing
 * while its parent was unknown is therefore kept with its host's pending state: when a later batch writes a
 * record for the pid it waits for, or once it has waited `waitMs`, its lineage is rebuilt by walking the
 * stored records parent by parent (lib/lineage/walk-lineage.ts) and the rule runs again. It waits again for
 * the next missing ancestor, until its lineage ends at init or the wait is over. Utilities are few: waiting
 * costs a few bytes of a state item that is written anyway.
 *
 * A utility judged on a known parent waits too (`settled`), for the one thing that can still change its
 * verdict: the parent's image it was forked from, delivered after it (`bash -c 'exec sh /tmp/x'`: the child
 * of sh is judged under bash when sh's exec comes later). It is judged again only when a batch writes a record
 * older than it, and let go without a walk when the wait is over, so in-order streams pay no reads for it.
 */
export interface WaitingChanges {
  /** Judged again and done with (an alert, a suppression, or a lineage without gaps): ids. */
  readonly removed: Set<string>;
  /** Added by this batch. */
  readonly set: Map<string, WaitingUtility>;
}

export const noWaitingChanges = (): WaitingChanges => ({ removed: new Set(), set: new Map() });

/** Utilities a host keeps waiting; beyond, the oldest are dropped (counted). */
export const MAX_WAITING = 64;

/**
 * The waiting utilities of a host to judge again: this batch wrote a record older than the utility (a late
 * process, the signature of out-of-order delivery: in order, a batch's records are newer than what waits),
 * or it waited long enough.
 */
export function dueWaiting(
  state: HostPending,
  oldestWritten: number | undefined,
  now: number,
  waitMs: number,
): { readonly entry: WaitingUtility; readonly final: boolean; readonly arrived: boolean }[] {
  const due: { entry: WaitingUtility; final: boolean; arrived: boolean }[] = [];
  for (const entry of state.waiting.values()) {
    const final = now - entry.storedAt >= waitMs;
    const arrived = oldestWritten !== undefined && oldestWritten <= entry.event.time;
    if (final || arrived) due.push({ entry, final, arrived });
  }
  return due;
}

/** The time of the oldest record a batch wrote, per host. */
export function oldestWritten(written: ReadonlyMap<string, ProcessRecord>): Map<string, number> {
  const oldest = new Map<string, number>();
  for (const record of written.values()) {
    const before = oldest.get(record.host);
    if (before === undefined || record.time < before) oldest.set(record.host, record.time);
  }
  return oldest;
}

/** `changes` applied to a host's waiting utilities, keeping at most MAX_WAITING (the newest). */
export function applyWaiting(
  state: HostPending,
  changes: WaitingChanges | undefined,
): { state: HostPending; dropped: number } {
  if (changes === undefined || (changes.removed.size === 0 && changes.set.size === 0))
    return { state, dropped: 0 };
  const waiting = new Map(state.waiting);
  for (const id of changes.removed) waiting.delete(id);
  for (const [id, entry] of changes.set) {
    const before = waiting.get(id);
    // A redelivered orphan keeps the time it first started waiting.
    waiting.set(
      id,
      before === undefined ? entry : { ...entry, storedAt: Math.min(before.storedAt, entry.storedAt) },
    );
  }
  let dropped = 0;
  if (waiting.size > MAX_WAITING) {
    // Settled utilities go first: an orphan's alert is likelier to be missing than a settled one's.
    const oldest = [...waiting.values()].sort(
      (a, b) => Number(b.settled === true) - Number(a.settled === true) || a.storedAt - b.storedAt,
    );
    for (const entry of oldest.slice(0, waiting.size - MAX_WAITING)) {
      waiting.delete(entry.event.source.eventId);
      dropped++;
    }
  }
  return { state: { ...state, waiting }, dropped };
}

/** An orphan as it starts waiting. */
export const waitingOrphan = (event: ExecEvent, now: number): WaitingUtility => ({ event, storedAt: now });

/** A utility judged on a lineage without gaps as it starts waiting for a late parent image. */
export const waitingSettled = (event: ExecEvent, now: number): WaitingUtility => ({
  event,
  storedAt: now,
  settled: true,
});
