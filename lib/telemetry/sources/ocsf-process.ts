import type { DecodeContext, DecodeOutput, JsonDecoder, ProcessExit, RawRecord } from "../decoder.js";
import { malformed, skipped } from "../decoder.js";
import type { ExecAncestor, ExecEvent, ExecParent, ExecProcess } from "../exec-event.js";
import {
  fieldReason,
  getArr,
  getIdString,
  getInt,
  getObj,
  getStr,
  getStrArray,
  isObj,
  type JsonObject,
  MAX_ARGS,
  toEpochMsScaled,
  toInt,
} from "./json-access.js";

/**
 * OCSF Process Activity (class_uid 1007), versions 1.1 to 1.5: `activity_id` 1 Launch is an exec, 2 Terminate
 * ends a process. Attribute names come from the OCSF schema (objects/process.json, process_entity.json) and
 * the OCSF article "Representing Process Parentage" (ocsf/ocsf-docs), whose sample is in
 * test/fixtures/samples/upstream/ocsf/:
 *
 *   process.{pid, uid, cmd_line, created_time, working_directory, file.path, path (1.4+), user, auid,
 *            container (container profile)}
 *   process.parent_process  the parent, a full process object; may nest further parent_process objects
 *   process.ancestry[]      (1.4+) process entities {pid, uid, cmd_line, created_time, path?}: "the first
 *                           array element is the direct parent ... sorted from newest to oldest"
 *   process.lineage[]       (deprecated in 1.4) paths of the ancestors, order not normative
 *   actor.process           the creator: on Linux always the parent, on Windows it can differ from it
 *   device.{hostname, name, uid}, time (timestamp_t, epoch ms), metadata.uid (event id), status_id
 */

const PROCESS_ACTIVITY = 1007;
const LAUNCH = 1;
const TERMINATE = 2;
const STATUS_FAILURE = 2;
// OCSF type_uid is class_uid * 100 + activity_id: a producer that omits activity_id still says it there.
const TYPE_UID_BASE = PROCESS_ACTIVITY * 100;

// Bounds the work a hostile record can cause: the lineage keeps 16 levels anyway (lib/lineage).
const MAX_NESTED_PARENTS = 16;
const MAX_ANCESTRY = 64;

// Keeps a hostile value from blowing up a reason string that ends up in logs.
const quote = (text: string): string => JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);

const nonEmpty = (text: string | undefined): string | undefined => (text === "" ? undefined : text);

export interface SplitCommandLine {
  args: string[];
  truncated: boolean;
}

/**
 * Splits a command line into argv. OCSF keeps only the joined `cmd_line`, written by Windows producers with
 * Windows quoting (`"C:\Program Files\x.exe" -a`) and by Linux producers with shell quoting: double and
 * single quotes group, a backslash escapes a quote or a space, and any other backslash is kept as is (a
 * Windows path separator). Lossy by nature: the joined line no longer says where an argument ended. One pass,
 * no regex: linear on any input, and an unterminated quote just runs to the end.
 */
export const splitCommandLine = (line: string): SplitCommandLine => {
  const args: string[] = [];
  let current = "";
  let started = false;
  let open: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (open === "'") {
      if (c === "'") open = undefined;
      else current += c;
      continue;
    }
    if (c === "\\") {
      const next = line[i + 1];
      if (next === '"' || (open === undefined && (next === "'" || next === " "))) {
        current += next;
        started = true;
        i++;
      } else {
        current += c;
        started = true;
      }
      continue;
    }
    if (c === '"') {
      open = open === '"' ? undefined : '"';
      started = true;
      continue;
    }
    if (open === undefined && c === "'") {
      open = "'";
      started = true;
      continue;
    }
    if (open === undefined && (c === " " || c === "\t" || c === "\n" || c === "\r")) {
      if (started) {
        if (args.length === MAX_ARGS) return { args, truncated: true };
        args.push(current);
        current = "";
        started = false;
      }
      continue;
    }
    current += c;
    started = true;
  }
  if (started) {
    if (args.length === MAX_ARGS) return { args, truncated: true };
    args.push(current);
  }
  return { args, truncated: false };
};

/** A process or process entity, as far as lineage needs it. */
interface Node {
  pid?: number;
  uid?: string;
  executable?: string;
  args?: string[];
  cwd?: string;
}

/** `cmd_line` "" means unavailable (OCSF: "the empty string '' is to be used"), not an empty argv. */
const argsOf = (proc: JsonObject): SplitCommandLine | undefined => {
  const line = getStr(proc, "cmd_line");
  return line === undefined || line.trim() === "" ? undefined : splitCommandLine(line);
};

/** The image path: `file.path`, else the 1.4 process entity `path`. */
const pathOf = (proc: JsonObject): string | undefined =>
  nonEmpty(getStr(getObj(proc, "file"), "path")) ?? nonEmpty(getStr(proc, "path"));

/** A process for lineage: the path, else argv[0] of the command line, else the bare name. */
const nodeOf = (proc: JsonObject): Node => {
  const node: Node = {};
  const pid = getInt(proc, "pid");
  if (pid !== undefined) node.pid = pid;
  const uid = nonEmpty(getStr(proc, "uid"));
  if (uid !== undefined) node.uid = uid;
  const split = argsOf(proc);
  if (split !== undefined) node.args = split.args;
  const executable =
    pathOf(proc) ??
    nonEmpty(split?.args[0]) ??
    nonEmpty(getStr(getObj(proc, "file"), "name")) ??
    nonEmpty(getStr(proc, "name"));
  if (executable !== undefined) node.executable = executable;
  const cwd = nonEmpty(getStr(proc, "working_directory"));
  if (cwd !== undefined) node.cwd = cwd;
  return node;
};

/** Two descriptions of one process: the producer's uid when both have one, else the pid. */
const sameProcess = (a: Node, b: Node): boolean => {
  if (a.uid !== undefined && b.uid !== undefined) return a.uid === b.uid;
  return a.pid !== undefined && a.pid === b.pid;
};

const fillGaps = (node: Node, other: Node): void => {
  if (node.executable === undefined && other.executable !== undefined) node.executable = other.executable;
  if (node.args === undefined && other.args !== undefined) node.args = other.args;
  if (node.pid === undefined && other.pid !== undefined) node.pid = other.pid;
  if (node.cwd === undefined && other.cwd !== undefined) node.cwd = other.cwd;
};

/**
 * `lineage` is a list of paths whose order OCSF never fixed; its one example, `['/usr/sbin/sshd',
 * '/usr/bin/bash', '/usr/bin/whoami']`, runs from the root down to the process itself. The process's own
 * path at either end tells the order; without it, the example's order is assumed.
 */
const lineageNearestFirst = (paths: readonly string[], own: string): string[] => {
  const list = paths.filter((p) => p !== "").slice(0, MAX_ANCESTRY + 1);
  if (list.length === 0) return list;
  if (list[0] === own && list[list.length - 1] !== own) return list.slice(1);
  if (list[list.length - 1] === own) list.pop();
  return list.reverse();
};

type Activity = { id: number } | { reason: string };

const activityOf = (value: JsonObject): Activity => {
  const raw = value["activity_id"];
  if (raw !== undefined) {
    const id = toInt(raw);
    return id === undefined ? { reason: "ocsf: activity_id is not a number" } : { id };
  }
  const typeUid = toInt(value["type_uid"]);
  if (typeUid !== undefined && typeUid >= TYPE_UID_BASE && typeUid < TYPE_UID_BASE + 100) {
    return { id: typeUid - TYPE_UID_BASE };
  }
  const name = getStr(value, "activity_name");
  if (name === "Launch") return { id: LAUNCH };
  if (name === "Terminate") return { id: TERMINATE };
  return { reason: "ocsf: activity_id is missing" };
};

/** Event time: `time` (epoch ms), else the datetime profile's `time_dt`. Required by OCSF. */
const readTime = (value: JsonObject): number | string => {
  for (const key of ["time", "time_dt"]) {
    const raw = value[key];
    if (raw === undefined) continue;
    return toEpochMsScaled(raw) ?? `ocsf: ${key} is not a timestamp`;
  }
  return "ocsf: time is missing";
};

const hostOf = (value: JsonObject, ctx: DecodeContext): { name: string; id?: string } => {
  const device = getObj(value, "device");
  const id = nonEmpty(getIdString(device, "uid"));
  const name = nonEmpty(getStr(device, "hostname")) ?? nonEmpty(getStr(device, "name")) ?? id;
  if (name === undefined) return { name: ctx.defaultHost };
  return id === undefined ? { name } : { name, id };
};

const containerOf = (proc: JsonObject, value: JsonObject): ExecEvent["container"] => {
  const container = getObj(proc, "container") ?? getObj(value, "container");
  const id = nonEmpty(getStr(container, "uid"));
  if (id === undefined) return undefined;
  const imageObj = getObj(container, "image");
  const name = nonEmpty(getStr(imageObj, "name"));
  if (name === undefined) return { id };
  const tag = nonEmpty(getStr(imageObj, "tag"));
  // The name may carry its tag or digest already (`nginx:1.27`, `nginx@sha256:…`); a registry port
  // (`registry:5000/nginx`) is not a tag.
  const last = name.slice(name.lastIndexOf("/") + 1);
  const tagged = last.includes(":") || last.includes("@");
  return { id, image: tag === undefined || tagged ? name : `${name}:${tag}` };
};

type Lineage = { nodes: Node[] } | { reason: string };

/**
 * Parent first: `process.parent_process` and the parents nested in it, else `actor.process` (the creator,
 * which is the parent wherever the OS does not let the two differ); then `process.ancestry`, skipping the
 * entries already known (its first element is the parent itself); then, only when nothing but the parent is
 * known, the deprecated `process.lineage` paths.
 */
const readLineage = (value: JsonObject, proc: JsonObject, own: string): Lineage => {
  const nodes: Node[] = [];
  const rawParent = proc["parent_process"];
  if (rawParent !== undefined && rawParent !== null && !isObj(rawParent)) {
    return { reason: "ocsf: process.parent_process is not an object" };
  }
  const actorProc = getObj(getObj(value, "actor"), "process");
  let ancestrySource: JsonObject = proc;
  let next = getObj(proc, "parent_process");
  if (next !== undefined) {
    if (next["pid"] !== undefined && getInt(next, "pid") === undefined) {
      return { reason: "ocsf: process.parent_process.pid is not a number" };
    }
  } else if (actorProc !== undefined) {
    next = actorProc;
    // The creator's own ancestry starts at our grandparent: still new entries after the parent.
    if (getArr(proc, "ancestry") === undefined) ancestrySource = actorProc;
  }
  for (let depth = 0; next !== undefined && depth < MAX_NESTED_PARENTS; depth++) {
    nodes.push(nodeOf(next));
    next = getObj(next, "parent_process");
  }

  // Where the creator is the parent (Linux, and most Windows launches), it may know what the parent lacks.
  const parent = nodes[0];
  if (parent !== undefined && actorProc !== undefined && getObj(proc, "parent_process") !== undefined) {
    const actor = nodeOf(actorProc);
    if (sameProcess(parent, actor)) fillGaps(parent, actor);
  }

  const ancestry = getArr(ancestrySource, "ancestry");
  if (ancestry !== undefined) {
    const known = nodes.length;
    const end = Math.min(ancestry.length, MAX_ANCESTRY);
    for (let i = 0; i < end; i++) {
      const entry = ancestry[i];
      if (!isObj(entry)) continue;
      const node = nodeOf(entry);
      let duplicate: Node | undefined;
      for (let k = 0; k < known && duplicate === undefined; k++) {
        if (sameProcess(nodes[k]!, node)) duplicate = nodes[k];
      }
      if (duplicate !== undefined) {
        // A producer may name the parent by pid and uid only and describe it in the ancestry.
        fillGaps(duplicate, node);
        continue;
      }
      // A pid-only entry (a parent that has exited) names no file: nothing to look for.
      if (node.executable === undefined) continue;
      nodes.push(node);
    }
  } else if (nodes.length <= 1) {
    const paths = getStrArray(proc, "lineage");
    if (paths !== undefined) {
      const ordered = lineageNearestFirst(paths, own);
      const skipFirst = nodes[0]?.executable !== undefined && ordered[0] === nodes[0].executable;
      for (let i = skipFirst ? 1 : 0; i < ordered.length; i++) nodes.push({ executable: ordered[i]! });
    }
  }
  return { nodes };
};

const exitOf = (proc: JsonObject, host: string, time: number): ProcessExit | undefined => {
  const pid = getInt(proc, "pid");
  if (pid === undefined) return undefined;
  const exit: ProcessExit = { host, pid, time: toEpochMsScaled(proc["terminated_time"]) ?? time };
  const uid = nonEmpty(getStr(proc, "uid"));
  if (uid !== undefined) exit.entityId = uid;
  return exit;
};

const decodeOcsf = (value: unknown, record: RawRecord, ctx: DecodeContext): DecodeOutput => {
  if (!isObj(value)) return malformed(record, "ocsf: record is not a JSON object");
  const classUid = toInt(value["class_uid"]);
  if (classUid === undefined)
    return malformed(record, `ocsf: ${fieldReason(value, "class_uid", "class_uid", "a number")}`);
  if (classUid !== PROCESS_ACTIVITY)
    return skipped(record, `ocsf: class_uid ${classUid} is not Process Activity (1007)`);

  const activity = activityOf(value);
  if ("reason" in activity) return malformed(record, activity.reason);
  const proc = getObj(value, "process");
  if (proc === undefined)
    return malformed(record, `ocsf: ${fieldReason(value, "process", "process", "an object")}`);
  const time = readTime(value);
  if (typeof time === "string") return malformed(record, time);
  const host = hostOf(value, ctx);

  if (activity.id === TERMINATE) {
    const out = skipped(record, "ocsf: process terminate");
    const exit = exitOf(proc, host.name, time);
    if (exit !== undefined) out.exit = exit;
    return out;
  }
  if (activity.id !== LAUNCH) {
    const name = getStr(value, "activity_name");
    return skipped(
      record,
      `ocsf: activity ${activity.id}${name === undefined ? "" : ` (${quote(name)})`} is not a launch`,
    );
  }
  if (toInt(value["status_id"]) === STATUS_FAILURE) return skipped(record, "ocsf: failed launch");

  const pid = getInt(proc, "pid");
  if (pid === undefined)
    return malformed(record, `ocsf: ${fieldReason(proc, "pid", "process.pid", "a number")}`);
  const rawCmd = proc["cmd_line"];
  if (rawCmd !== undefined && rawCmd !== null && typeof rawCmd !== "string")
    return malformed(record, "ocsf: process.cmd_line is not a string");
  const split = argsOf(proc);
  const executable =
    pathOf(proc) ??
    nonEmpty(getStr(getObj(proc, "file"), "name")) ??
    nonEmpty(getStr(proc, "name")) ??
    nonEmpty(split?.args[0]);
  if (executable === undefined) return malformed(record, "ocsf: process.file.path is missing");

  const lineage = readLineage(value, proc, executable);
  if ("reason" in lineage) return malformed(record, lineage.reason);
  const [first, ...rest] = lineage.nodes;
  const parentNode = first?.pid === undefined ? undefined : first;

  const process: ExecProcess = {
    pid,
    ppid: parentNode?.pid ?? 0,
    executable,
    args: split?.args ?? [],
  };
  if (split?.truncated === true) process.argsTruncated = true;
  const cwd = nonEmpty(getStr(proc, "working_directory"));
  if (cwd !== undefined) process.cwd = cwd;
  const start = toEpochMsScaled(proc["created_time"]) ?? toEpochMsScaled(proc["created_time_dt"]);
  // 0 is what a mapper writes for "unknown"; as a start it would make every older record look reused.
  if (start !== undefined && start > 0) process.start = start;
  const entityId = nonEmpty(getStr(proc, "uid"));
  if (entityId !== undefined) process.entityId = entityId;

  const eventId = nonEmpty(getStr(getObj(value, "metadata"), "uid"));
  const event: ExecEvent = {
    host,
    user: {},
    process,
    time,
    source: { format: "ocsf", eventId: eventId ?? `${host.name}:${pid}:${time}` },
  };
  const container = containerOf(proc, value);
  if (container !== undefined) event.container = container;

  // The creator's user is the new process's unless the launch changed it (setuid): a fallback only.
  const userObj = getObj(proc, "user") ?? getObj(getObj(value, "actor"), "user");
  const userId = getIdString(userObj, "uid");
  if (userId !== undefined) event.user.id = userId;
  const userName = nonEmpty(getStr(userObj, "name"));
  if (userName !== undefined) event.user.name = userName;
  const auid = getIdString(proc, "auid");
  if (auid !== undefined) event.user.auditId = auid;

  if (parentNode !== undefined) {
    const parent: ExecParent = { pid: parentNode.pid! };
    if (parentNode.executable !== undefined) parent.executable = parentNode.executable;
    if (parentNode.args !== undefined) parent.args = parentNode.args;
    if (parentNode.cwd !== undefined) parent.cwd = parentNode.cwd;
    if (parentNode.uid !== undefined) parent.entityId = parentNode.uid;
    event.parent = parent;
  }
  // Without a pid the first node cannot be the parent, but its file still belongs to the lineage.
  const beyond = parentNode === undefined ? lineage.nodes : rest;
  const ancestors: ExecAncestor[] = [];
  for (const node of beyond) {
    if (node.executable === undefined) continue;
    const ancestor: ExecAncestor = { executable: node.executable };
    if (node.pid !== undefined) ancestor.pid = node.pid;
    if (node.args !== undefined) ancestor.args = node.args;
    if (node.cwd !== undefined) ancestor.cwd = node.cwd;
    ancestors.push(ancestor);
  }
  if (ancestors.length > 0) event.ancestors = ancestors;

  return { kind: "event", event, line: record.line };
};

/** OCSF Process Activity: `class_uid` 1007, as a number or a numeric string. */
export const ocsfProcessDecoder: JsonDecoder = {
  format: "ocsf",
  matches: (value) => isObj(value) && toInt(value["class_uid"]) === PROCESS_ACTIVITY,
  decode: (value, record, ctx) => {
    try {
      return decodeOcsf(value, record, ctx);
    } catch (error) {
      // Nothing above should throw on parsed JSON; this keeps a bug from failing a whole batch (DESIGN §7).
      return malformed(
        record,
        `ocsf: cannot decode: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  },
};
