import type { PendingWrite, StoredPending } from "../lineage/lineage-store.js";
import type { ProcessRecord } from "../lineage/process-record.js";
import { deserializeRecord, serializeRecord } from "../lineage/record-codec.js";
import { type Counters, countSkip } from "../pipeline/counters.js";
import {
  type BatchFragment,
  decodeHostPending,
  encodeHostPending,
  type HostPending,
  isEmptyState,
  type Reassembly,
} from "../pipeline/pending-events.js";
import type { BatchInput } from "../pipeline/process-batch.js";
import type { ExecEvent } from "../telemetry/exec-event.js";
import { buildFragment } from "../telemetry/sources/auditd-fragment.js";

/**
 * The glue between a trigger's batch and lib/pipeline/pending-events.ts: the stored states as read, the
 * events ready to judge as pipeline input, and the states to write back.
 */
export interface HostStates {
  /** The decoded state per host read (undefined: none stored, or unreadable and replaced). */
  readonly states: Map<string, HostPending | undefined>;
  /** What was read, to write only what changed and only over the version read. */
  readonly stored: Map<string, StoredPending | undefined>;
}

/** Decodes the states read; an unreadable one (counted) is treated as empty and overwritten. */
export function decodeStates(
  hosts: readonly string[],
  read: ReadonlyMap<string, StoredPending>,
  onCorrupt: (host: string) => void,
): HostStates {
  const states = new Map<string, HostPending | undefined>();
  const stored = new Map<string, StoredPending | undefined>();
  for (const host of hosts) {
    const item = read.get(host);
    stored.set(host, item);
    if (item === undefined) {
      states.set(host, undefined);
      continue;
    }
    const state = decodeHostPending(item.json, host);
    if (state === undefined) onCorrupt(host);
    states.set(host, state);
  }
  return { states, stored };
}

/** What the pipeline gets of a reassembly: events, their units and lineage snapshots, waiting heads. */
export interface ReadyInput {
  readonly input: Required<Omit<BatchInput, "orphans">>;
  /** The unit of each event by event id (for the delivery order and a failure's position). */
  readonly units: Map<string, number>;
}

export function readyInput(reassembly: Reassembly, counters: Counters): ReadyInput {
  const events: ExecEvent[] = [];
  const snapshots = new Map<string, ProcessRecord>();
  const units = new Map<string, number>();
  for (const ready of reassembly.ready) {
    const output = buildFragment(ready.fragment, ready.line);
    if (output.kind === "skipped") {
      countSkip(counters, ready.judged ? `${output.reason} (judged after waiting)` : output.reason);
      continue;
    }
    if (output.kind !== "event") continue;
    const event = output.event;
    events.push(event);
    units.set(event.source.eventId, ready.unit);
    if (ready.snapshot !== undefined) {
      const snapshot = deserializeRecord(ready.snapshot, event.host.name, event.process.pid);
      // An unreadable snapshot: the lineage is looked up as for any event (what the read round has of it).
      if (snapshot !== undefined) snapshots.set(event.source.eventId, snapshot);
    }
  }
  const waiting: ExecEvent[] = [];
  for (const head of reassembly.waitingHeads) {
    const output = buildFragment(head.fragment, head.line);
    if (output.kind === "event") waiting.push(output.event);
  }
  return { input: { events, snapshots, waiting }, units };
}

/** The exec heads among a batch's open parts, as events: their lineage keys belong in the read round. */
export function headEvents(fragments: readonly BatchFragment[]): ExecEvent[] {
  const heads: ExecEvent[] = [];
  for (const { fragment, line } of fragments) {
    if (fragment.syscall?.verdict !== "exec") continue;
    const output = buildFragment(fragment, line);
    if (output.kind === "event") heads.push(output.event);
  }
  return heads;
}

/** Lineage of waiting heads as stored with them, by event key (= event id). */
export function encodeSnapshots(snapshots: ReadonlyMap<string, ProcessRecord>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, record] of snapshots) out.set(id, serializeRecord(record));
  return out;
}

/** The writes for the hosts whose state changed, each over the version read. */
export function pendingWrites(
  settled: ReadonlyMap<string, HostPending>,
  hostStates: HostStates,
): PendingWrite[] {
  const writes: PendingWrite[] = [];
  for (const [host, state] of settled) {
    const before = hostStates.stored.get(host);
    const json = isEmptyState(state) ? undefined : encodeHostPending(state);
    if (json === before?.json) continue;
    writes.push({ host, json, version: before?.version });
  }
  return writes;
}
