import { canonicalPath } from "../paths.js";
import type { ExecEvent } from "../telemetry/exec-event.js";
import { eventTag } from "./event-tag.js";
import { HeldRecord } from "./held-record.js";
import { scriptArgument } from "./interpreter.js";
import type { Lineage } from "./lineage.js";
import { loginMayLink } from "./login-programs.js";
import {
  asAncestor,
  capArgs,
  MAX_CHAIN,
  MAX_DEPTH,
  type ProcessImage,
  type ProcessNode,
  type ProcessRecord,
  prependAncestor,
} from "./process-record.js";
import { type Incarnation, sameProcess, sameSession } from "./same-process.js";

/**
 * An event's lineage from the latest known records of its own pid (`previous`) and of its parent pid
 * (`parentRecord`), and the record this event leaves behind for its children and later images. Pure: the
 * caller looks the records up (in-batch first, then what the store returned).
 */
export function resolveLineage(
  event: ExecEvent,
  previous: ProcessRecord | undefined,
  parentRecord: ProcessRecord | undefined,
  tag: string = eventTag(event.source.eventId),
): { lineage: Lineage; record: ProcessRecord } {
  const record = resolveRecord(event, previous, parentRecord, tag);
  return { lineage: lineageOf(record), record };
}

/** The lineage a record was written with (its own object, for whoever keeps it apart from the record). */
export const lineageOf = (record: ProcessRecord): Lineage =>
  record.incomplete === true
    ? { chain: record.chain, ancestors: record.ancestors, incomplete: true }
    : { chain: record.chain, ancestors: record.ancestors };

/**
 * resolveLineage's record alone: the record is the event's lineage too (its chain, ancestors and
 * `incomplete` are the lineage's), so the batch's hot path judges the event on it and allocates neither a
 * lineage object nor a pair per exec.
 */
export function resolveRecord(
  event: ExecEvent,
  previous: ProcessRecord | undefined,
  parentRecord: ProcessRecord | undefined,
  tag: string = eventTag(event.source.eventId),
): ProcessRecord {
  const { process } = event;
  // A process exists from its start (fork) if the source knows it, else at least from this exec.
  const since = process.start ?? event.time;

  // Exec chain: the previous image of this pid, if it is the same process (lib/lineage/same-process.ts), and
  // not an earlier holder of the pid.
  const parentExecutable =
    parentRecord?.executable ?? (event.parent?.pid === process.ppid ? event.parent.executable : undefined);
  const continued = previous !== undefined && sameProcess(previous, incarnation(event), parentExecutable);
  const chain: readonly ProcessImage[] = continued
    ? [imageOf(previous), ...previous.chain].slice(0, MAX_CHAIN)
    : NO_IMAGES;

  // Parent: a record newer than this process's own start is not its parent but a later holder of the pid.
  let ancestors: readonly ProcessNode[];
  // Whether the lineage ends at a parent nobody has delivered yet (an orphan of out-of-order delivery, or of
  // a parent older than the telemetry): utilities below it may wait for it (lib/pipeline/waiting-utilities.ts).
  let incomplete: boolean;
  if (continued && previous.ppid !== process.ppid && previous.ancestors.length > 0) {
    // Re-parented since its last exec: the ancestry that started it says more than init or a reaper does.
    ancestors = previous.ancestors;
    incomplete = previous.incomplete === true;
  } else if (
    parentRecord !== undefined &&
    parentRecord.time <= since &&
    sameSession(parentRecord.sessionId, process.sessionId) &&
    loginMayLink(parentRecord, process.sessionId, since) &&
    sameEntity(parentRecord.entityId, event.parent?.entityId)
  ) {
    // The parent record is its own node (a record is a ProcessNode), or the node its holder keeps for its
    // children: sharing it costs no copy per event.
    ancestors = mergeTelemetry(childAncestors(parentRecord), event);
    incomplete = parentRecord.incomplete === true && parentRecord.ancestors.length < MAX_DEPTH - 1;
  } else if (continued && previous.ancestors.length > 0) {
    ancestors = previous.ancestors;
    incomplete = previous.incomplete === true;
  } else {
    ancestors = mergeTelemetry(NO_NODES, event);
    // Ancestors the telemetry carries (Tetragon, OCSF, Datadog) are its own complete account; a parent it
    // names by executable alone (laurel PPID) is not.
    incomplete = process.ppid > 1 && (event.ancestors?.length ?? 0) === 0;
  }
  if (ancestors.length > MAX_DEPTH) ancestors = ancestors.slice(0, MAX_DEPTH);
  const user = sharedUser(event.user, parentRecord?.user) ?? sharedUser(event.user, previous?.user);
  return recordWith(event, chain, ancestors, incomplete, tag, user ?? event.user);
}

/**
 * `kin` (a parent's or an earlier image's user) when it says exactly what `user` says: a record per exec then
 * holds no user object of its own (a host runs as a handful of users; the CLI holds tens of thousands of records).
 */
function sharedUser(
  user: ExecEvent["user"],
  kin: ProcessRecord["user"] | ExecEvent["user"],
): ProcessRecord["user"] | undefined {
  if (kin === undefined || kin === user) return kin;
  const other = kin as ExecEvent["user"];
  return other.id === user.id && other.name === user.name && other.auditId === user.auditId ? kin : undefined;
}

/**
 * The record an event leaves behind, from its lineage: resolved now (resolveLineage), or resolved when its
 * first records came in an earlier invocation and stored with them (lib/pipeline/pending-events.ts). `tag`:
 * the event's eventTag, when the caller has it already.
 */
export function recordOf(
  event: ExecEvent,
  { chain, ancestors, incomplete }: Lineage,
  tag: string = eventTag(event.source.eventId),
): ProcessRecord {
  return recordWith(event, chain, ancestors, incomplete === true, tag, event.user);
}

function recordWith(
  event: ExecEvent,
  chain: readonly ProcessImage[],
  ancestors: readonly ProcessNode[],
  incomplete: boolean,
  tag: string,
  user: ProcessRecord["user"],
): ProcessRecord {
  const { process } = event;
  const cwd = process.cwd;
  const scriptRaw = process.script ?? scriptArgument(process.executable, process.args, process.invokedPath);
  const script = scriptRaw === undefined ? undefined : (canonicalPath(scriptRaw, cwd) ?? scriptRaw);
  return new HeldRecord(
    {
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
      by: tag,
      eventId: event.source.eventId,
      user,
      chain,
      incomplete: incomplete ? true : undefined,
    },
    ancestors,
  );
}

/** When the telemetry names the parent's image id (Tetragon parent_exec_id), a record of another id is not it. */
function sameEntity(recorded: string | undefined, named: string | undefined): boolean {
  return recorded === undefined || named === undefined || recorded === named;
}

/** What the event tells of its process's identity, for sameProcess. */
export const incarnation = (event: ExecEvent): Incarnation => ({
  ppid: event.process.ppid,
  time: event.time,
  seq: event.source.sequence,
  start: event.process.start,
  sessionId: event.process.sessionId,
});

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
  const { parent, ancestors } = event;
  const named = parent?.executable !== undefined ? 1 : 0;
  // Counted first: most events' parents are known to the store, and then nothing the telemetry carries is
  // built (an ECS event names its parent every time).
  if (named + (ancestors?.length ?? 0) <= known.length) return known;
  const merged = known.slice();
  if (named === 1 && merged.length === 0)
    merged.push(node(parent!.pid, { ...parent!, executable: parent!.executable! }, event.time));
  for (let i = merged.length - named; i < (ancestors?.length ?? 0); i++) {
    const a = ancestors![i]!;
    merged.push(node(a.pid ?? 0, a, event.time));
  }
  return merged;
}

/**
 * The empty chain and ancestry, shared: most processes have no earlier image, and a record per exec should
 * not cost an empty array of its own (the CLI holds tens of thousands). Never written to (readonly).
 */
const NO_IMAGES: readonly ProcessImage[] = [];
const NO_NODES: readonly ProcessNode[] = [];

/**
 * The ancestors of a child of `parent`: its node, then its own ancestors. A held record makes the list once
 * and its children share it (a shell's or a cron daemon's many children), as they share its node.
 */
function childAncestors(parent: ProcessRecord): readonly ProcessNode[] {
  return parent instanceof HeldRecord
    ? parent.childAncestors
    : prependAncestor(asAncestor(parent), parent.ancestors);
}

/**
 * A process the telemetry names. Its script is placed against its own working directory when the telemetry
 * gives one (`bash ./x.sh`), never against the child's, which may have moved on since.
 */
function node(
  pid: number,
  carried: {
    readonly executable: string;
    readonly args?: readonly string[] | undefined;
    readonly cwd?: string | undefined;
  },
  time: number,
): ProcessNode {
  const { executable, cwd } = carried;
  const args = carried.args ?? [];
  const raw = args.length > 1 ? scriptArgument(executable, args) : undefined;
  const script = raw === undefined ? undefined : (canonicalPath(raw, cwd) ?? raw);
  return {
    pid,
    executable,
    args: capArgs(args),
    script,
    time,
    chain: NO_IMAGES,
    ...(cwd !== undefined && { cwd }),
  };
}
