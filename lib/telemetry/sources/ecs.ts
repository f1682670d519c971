import type { DecodeContext, DecodeOutput, JsonDecoder, RawRecord } from "../decoder.js";
import { malformed, skipped } from "../decoder.js";
import type { ExecEvent, ExecParent, ExecProcess } from "../exec-event.js";
import {
  fieldReason,
  getIdString,
  getInt,
  getObj,
  getStr,
  getStrArray,
  getStrList,
  isObj,
  type JsonObject,
  MAX_ARGS,
  splitOnSpaces,
  toEpochMs,
} from "./json-access.js";

/**
 * Elastic Common Schema process events: Auditbeat (auditd module, system/process dataset), Elastic Agent /
 * Elastic Defend, and go-libaudit's `aucoalesce` output that Auditbeat is built on (numbers as strings,
 * `process.exe`/`ppid`/`cwd`, `summary.action`, `user.ids`, ECS hints under `ecs.event`).
 */

const EXEC_ACTIONS: ReadonlySet<string> = new Set(["executed", "exec", "execve", "process_started", "start"]);

// Keeps a hostile value from blowing up a reason string that ends up in logs.
const quote = (text: string): string => JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);

const nonEmpty = (text: string | undefined): string | undefined => (text === "" ? undefined : text);

/** `undefined` when the document is an exec, else why it is skipped. */
const whyNotExec = (value: JsonObject, event: JsonObject | undefined): string | undefined => {
  const action = getStr(event, "action") ?? getStr(getObj(value, "summary"), "action");
  // Elastic Defend reports a fork as a process "start" too; only an exec loads a new image.
  if (action === "fork") return "ecs: a fork is not an exec";
  const auditd = getObj(value, "auditd");
  // Auditbeat nests the audit fields under `auditd`; aucoalesce has them at the top level.
  const auditFields = auditd ?? value;
  const syscall = getStr(getObj(auditFields, "data"), "syscall");
  let exec =
    (action !== undefined && EXEC_ACTIONS.has(action)) || syscall === "execve" || syscall === "execveat";
  if (!exec) {
    const hints = getObj(getObj(value, "ecs"), "event");
    const types = [...getStrList(event, "type"), ...getStrList(hints, "type")];
    const categories = [...getStrList(event, "category"), ...getStrList(hints, "category")];
    exec = types.includes("start") && categories.includes("process");
  }
  if (!exec) {
    return `ecs: ${action === undefined ? "event without action" : `event.action ${quote(action)}`} is not an exec`;
  }
  const result = getStr(auditFields, "result");
  if (result === "fail" || result === "failure" || getStr(event, "outcome") === "failure") {
    return "ecs: failed execve";
  }
  return undefined;
};

type Args = { args: string[]; truncated: boolean } | string;

const readArgs = (proc: JsonObject): Args => {
  const raw = proc["args"];
  if (raw !== undefined) {
    if (!Array.isArray(raw)) return "ecs: process.args is not an array";
    const end = Math.min(raw.length, MAX_ARGS);
    // Of its exact length, as lineage may keep it (a list grown by push keeps room for seventeen): the parsed
    // array itself when it is all strings and not cut, the common case, else a copy.
    let args: string[] | undefined = end < raw.length ? (raw.slice(0, end) as string[]) : undefined;
    for (let i = 0; i < end; i++) {
      const entry: unknown = raw[i];
      if (typeof entry === "string") continue;
      if (typeof entry !== "number") return `ecs: process.args[${i}] is not a string`;
      args ??= raw.slice(0, end) as string[];
      args[i] = String(entry);
    }
    return { args: args ?? (raw as string[]), truncated: raw.length > MAX_ARGS };
  }
  // Without an args array, the command line split on spaces is the best left: lossy for arguments that hold
  // spaces, and `title` is the kernel proctitle, capped at 128 bytes (argc below flags that cut).
  const line = getStr(proc, "command_line") ?? getStr(proc, "title");
  if (line === undefined) return { args: [], truncated: false };
  return splitOnSpaces(line);
};

/** `process.executable`, else aucoalesce `process.exe`, else the bare `process.name`. */
const readExecutable = (proc: JsonObject): string | { reason: string } => {
  for (const key of ["executable", "exe", "name"]) {
    const raw = proc[key];
    if (raw === undefined) continue;
    if (typeof raw !== "string") return { reason: `ecs: process.${key} is not a string` };
    if (raw !== "") return raw;
  }
  return { reason: "ecs: process.executable is missing" };
};

/** Epoch ms: `@timestamp`, else `event.created`, else 0; a value that is present but no date is an error. */
const readTime = (value: JsonObject, event: JsonObject | undefined): number | string => {
  const stamp = value["@timestamp"];
  if (stamp !== undefined) return toEpochMs(stamp) ?? "ecs: @timestamp is not a date";
  const created = event?.["created"];
  if (created !== undefined) return toEpochMs(created) ?? "ecs: event.created is not a date";
  // Documentation samples (Auditbeat `_meta/execve.json`) carry no time at all. Decoding them at time 0 keeps
  // the event: lineage then treats it as older than anything else, which loses only PID-reuse protection.
  return 0;
};

const decodeEcs = (value: unknown, record: RawRecord, ctx: DecodeContext): DecodeOutput => {
  if (!isObj(value)) return malformed(record, "ecs: record is not a JSON object");
  const proc = getObj(value, "process");
  if (proc === undefined)
    return malformed(record, `ecs: ${fieldReason(value, "process", "process", "an object")}`);
  const rawEvent = value["event"];
  if (rawEvent !== undefined && !isObj(rawEvent)) return malformed(record, "ecs: event is not an object");
  const event = getObj(value, "event");

  const notExec = whyNotExec(value, event);
  if (notExec !== undefined) return skipped(record, notExec);

  const pid = getInt(proc, "pid");
  if (pid === undefined)
    return malformed(record, `ecs: ${fieldReason(proc, "pid", "process.pid", "a number")}`);

  const rawParent = proc["parent"];
  if (rawParent !== undefined && !isObj(rawParent))
    return malformed(record, "ecs: process.parent is not an object");
  const parentObj = getObj(proc, "parent");
  // ECS makes the parent optional; 0 stands for "unknown" (no process but init has parent 0), so the event
  // still gets evaluated for the utility's own location.
  let ppid = 0;
  let ppidKnown = false;
  if (parentObj?.["pid"] !== undefined) {
    const parsed = getInt(parentObj, "pid");
    if (parsed === undefined) return malformed(record, "ecs: process.parent.pid is not a number");
    ppid = parsed;
    ppidKnown = true;
  } else if (proc["ppid"] !== undefined) {
    const parsed = getInt(proc, "ppid");
    if (parsed === undefined) return malformed(record, "ecs: process.ppid is not a number");
    ppid = parsed;
    ppidKnown = true;
  }

  const executable = readExecutable(proc);
  if (typeof executable !== "string") return malformed(record, executable.reason);

  const read = readArgs(proc);
  if (typeof read === "string") return malformed(record, read);

  const time = readTime(value, event);
  if (typeof time === "string") return malformed(record, time);

  const auditFields = getObj(value, "auditd") ?? value;
  const hostObj = getObj(value, "host");
  const hostId = nonEmpty(getStr(hostObj, "id"));
  const host =
    nonEmpty(getStr(hostObj, "name")) ?? nonEmpty(getStr(hostObj, "hostname")) ?? hostId ?? ctx.defaultHost;

  const process: ExecProcess = { pid, ppid, executable, args: read.args };
  const argc = getInt(proc, "args_count") ?? getInt(getObj(auditFields, "data"), "argc");
  if (read.truncated || (argc !== undefined && argc > read.args.length)) process.argsTruncated = true;
  const cwd = getStr(proc, "working_directory") ?? getStr(proc, "cwd");
  if (cwd !== undefined) process.cwd = cwd;
  const start = toEpochMs(proc["start"]);
  if (start !== undefined) process.start = start;
  const entityId = nonEmpty(getStr(proc, "entity_id"));
  if (entityId !== undefined) process.entityId = entityId;

  const eventId = nonEmpty(getStr(event, "id"));
  const sequence = getInt(auditFields, "sequence");
  const source: ExecEvent["source"] = {
    format: "ecs",
    // Without `event.id`, the fields that identify one exec; the audit sequence separates two execs of one
    // pid in the same millisecond. The executable goes last: it may hold ':'.
    eventId: eventId ?? `${host}:${pid}:${time}${sequence === undefined ? "" : `:${sequence}`}:${executable}`,
  };

  const out: ExecEvent = { host: { name: host }, user: {}, process, time, source };
  if (hostId !== undefined) out.host.id = hostId;

  const containerObj = getObj(value, "container");
  const containerId = nonEmpty(getStr(containerObj, "id"));
  if (containerId !== undefined) {
    const image = nonEmpty(getStr(getObj(containerObj, "image"), "name"));
    out.container = image === undefined ? { id: containerId } : { id: containerId, image };
  }

  const userObj = getObj(value, "user");
  const userId = getIdString(userObj, "id") ?? getIdString(getObj(userObj, "ids"), "uid");
  if (userId !== undefined) out.user.id = userId;
  const userName = getStr(userObj, "name") ?? getStr(getObj(userObj, "names"), "uid");
  if (userName !== undefined) out.user.name = userName;
  const auditId = getIdString(getObj(userObj, "audit"), "id") ?? getIdString(getObj(userObj, "ids"), "auid");
  if (auditId !== undefined) out.user.auditId = auditId;
  const session = getIdString(auditFields, "session");
  if (session !== undefined) process.sessionId = session;

  if (ppidKnown) {
    const parent: ExecParent = { pid: ppid };
    const parentExe = nonEmpty(getStr(parentObj, "executable"));
    if (parentExe !== undefined) parent.executable = parentExe;
    const parentArgs = getStrArray(parentObj, "args");
    if (parentArgs !== undefined) parent.args = parentArgs.slice(0, MAX_ARGS);
    const parentCwd = nonEmpty(getStr(parentObj, "working_directory"));
    if (parentCwd !== undefined) parent.cwd = parentCwd;
    const parentEntityId = nonEmpty(getStr(parentObj, "entity_id"));
    if (parentEntityId !== undefined) parent.entityId = parentEntityId;
    out.parent = parent;
  }
  // `process.Ext.ancestry` (Elastic Defend) holds entity ids only, no executables: nothing to use here.

  return { kind: "event", event: out, line: record.line };
};

export const ecsDecoder: JsonDecoder = {
  format: "ecs",
  matches: (value) =>
    isObj(value) &&
    isObj(value["process"]) &&
    (value["@timestamp"] !== undefined ||
      value["ecs"] !== undefined ||
      value["event"] !== undefined ||
      value["auditd"] !== undefined),
  decode: (value, record, ctx) => {
    try {
      return decodeEcs(value, record, ctx);
    } catch (error) {
      // Nothing above should throw on parsed JSON; this keeps a bug from failing a whole batch (DESIGN §7).
      return malformed(
        record,
        `ecs: cannot decode: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  },
};
