import { normalizePath } from "../paths.js";
import type { ExecEvent } from "../telemetry/exec-event.js";
import { eventTag } from "./event-tag.js";
import { scriptArgument } from "./interpreter.js";
import type { Lineage } from "./lineage.js";
import {
  capArgs,
  execBefore,
  MAX_CHAIN,
  MAX_DEPTH,
  type ProcessImage,
  type ProcessNode,
  type ProcessRecord,
} from "./process-record.js";

/**
 * An event's lineage from the latest known records of its own pid (`previous`) and of its parent pid
 * (`parentRecord`), and the record this event leaves behind for its children and later images. Pure: the
 * caller looks the records up (in-batch first, then what the store returned).
 */
export function resolveLineage(
  event: ExecEvent,
  previous: ProcessRecord | undefined,
  parentRecord: ProcessRecord | undefined,
): { lineage: Lineage; record: ProcessRecord } {
  const { process } = event;
  // A process exists from its start (fork) if the source knows it, else at least from this exec.
  const since = process.start ?? event.time;

  // Exec chain: the previous image of this pid, if it is the same process. A record from before this
  // process started, or under another parent, belongs to an earlier holder of the pid (PID reuse).
  const sameProcess =
    previous !== undefined &&
    (previous.time < event.time || execBefore(previous, imageTime(event))) &&
    previous.ppid === process.ppid &&
    (process.start === undefined || previous.time >= process.start) &&
    sameSession(previous.sessionId, process.sessionId);
  const chain: readonly ProcessImage[] = sameProcess
    ? [imageOf(previous), ...previous.chain].slice(0, MAX_CHAIN)
    : [];

  // Parent: a record newer than this process's own start is not its parent but a later holder of the pid.
  let ancestors: readonly ProcessNode[];
  // Whether the lineage ends at a parent nobody has delivered yet (an orphan of out-of-order delivery, or of
  // a parent older than the telemetry): utilities below it may wait for it (lib/pipeline/waiting-utilities.ts).
  let incomplete: boolean;
  if (
    parentRecord !== undefined &&
    parentRecord.time <= since &&
    sameSession(parentRecord.sessionId, process.sessionId) &&
    sameEntity(parentRecord.entityId, event.parent?.entityId)
  ) {
    // The parent record is its own node: a record is a ProcessNode, and sharing it costs no copy per event.
    ancestors = mergeTelemetry(prepend(parentRecord, parentRecord.ancestors), event);
    incomplete = parentRecord.incomplete === true && parentRecord.ancestors.length < MAX_DEPTH - 1;
  } else if (sameProcess && previous.ancestors.length > 0) {
    ancestors = previous.ancestors;
    incomplete = previous.incomplete === true;
  } else {
    ancestors = mergeTelemetry([], event);
    // Ancestors the telemetry carries (Tetragon, OCSF, Datadog) are its own complete account; a parent it
    // names by executable alone (laurel PPID) is not.
    incomplete = process.ppid > 1 && (event.ancestors?.length ?? 0) === 0;
  }
  if (ancestors.length > MAX_DEPTH) ancestors = ancestors.slice(0, MAX_DEPTH);
  const lineage = incomplete ? { chain, ancestors, incomplete } : { chain, ancestors };
  return { lineage, record: recordOf(event, lineage) };
}

/**
 * The record an event leaves behind, from its lineage: resolved now (resolveLineage), or resolved when its
 * first records came in an earlier invocation and stored with them (lib/pipeline/pending-events.ts).
 */
export function recordOf(event: ExecEvent, lineage: Lineage): ProcessRecord {
  const { process } = event;
  const cwd = process.cwd;
  const scriptRaw = process.script ?? scriptArgument(process.executable, process.args, process.invokedPath);
  const script = scriptRaw === undefined ? undefined : (normalizePath(scriptRaw, cwd) ?? scriptRaw);
  return {
    host: event.host.name,
    pid: process.pid,
    ppid: process.ppid,
    start: process.start,
    sessionId: process.sessionId,
    entityId: process.entityId,
    executable: process.executable,
    invokedPath: process.invokedPath,
    script,
    args: capArgs(process.args),
    cwd,
    time: event.time,
    seq: event.source.sequence,
    by: eventTag(event.source.eventId),
    eventId: event.source.eventId,
    user: event.user,
    chain: lineage.chain,
    ancestors: lineage.ancestors,
    ...(lineage.incomplete === true && { incomplete: true }),
  };
}

/** The audit session id of a process that never logged in. */
export const UNSET_SESSION = "4294967295";

/**
 * A process keeps its audit session across fork and exec; the session changes only from unset to a new one,
 * at login (pam_loginuid), and never back. So an older record from another session is not this process or
 * its parent but an earlier holder of the pid: auditd logs no fork and no start time, and pids wrap (every
 * 32768 forks on hosts that keep the old pid_max).
 */
function sameSession(older: string | undefined, newer: string | undefined): boolean {
  return older === undefined || newer === undefined || older === newer || older === UNSET_SESSION;
}

/** When the telemetry names the parent's image id (Tetragon parent_exec_id), a record of another id is not it. */
function sameEntity(recorded: string | undefined, named: string | undefined): boolean {
  return recorded === undefined || named === undefined || recorded === named;
}

/** When an event's image was exec'd, for execBefore. */
export const imageTime = (event: ExecEvent): { time: number; seq?: number | undefined } => ({
  time: event.time,
  seq: event.source.sequence,
});

export function imageOf(record: ProcessImage): ProcessImage {
  return {
    executable: record.executable,
    invokedPath: record.invokedPath,
    script: record.script,
    args: record.args,
    cwd: record.cwd,
    time: record.time,
    seq: record.seq,
    by: record.by,
  };
}

/**
 * Lineage carried by the telemetry (laurel PPID, ECS parent, Tetragon/OCSF ancestors) fills what the store
 * does not know: the parent when there is no record of it, and ancestors beyond the stored depth.
 */
function mergeTelemetry(known: readonly ProcessNode[], event: ExecEvent): readonly ProcessNode[] {
  const { parent } = event;
  if (parent === undefined && event.ancestors === undefined) return known;
  const carried: ProcessNode[] = [];
  if (parent?.executable !== undefined) {
    carried.push(node(parent.pid, parent.executable, parent.args ?? [], event.time));
  }
  for (const a of event.ancestors ?? [])
    carried.push(node(a.pid ?? 0, a.executable, a.args ?? [], event.time));
  if (carried.length <= known.length) return known;
  return [...known, ...carried.slice(known.length)];
}

/** [first, ...rest] capped at MAX_DEPTH, in one allocation. */
function prepend(first: ProcessNode, rest: readonly ProcessNode[]): ProcessNode[] {
  const length = Math.min(rest.length + 1, MAX_DEPTH);
  const out: ProcessNode[] = new Array(length);
  out[0] = first;
  for (let i = 1; i < length; i++) out[i] = rest[i - 1]!;
  return out;
}

function node(pid: number, executable: string, args: readonly string[], time: number): ProcessNode {
  const script = args.length > 1 ? scriptArgument(executable, args) : undefined;
  return { pid, executable, args: capArgs(args), script, time, chain: [] };
}
