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
  isObj,
  type JsonObject,
  MAX_ARGS,
  toEpochMsScaled,
} from "./json-access.js";

/**
 * Datadog Workload Protection (Cloud Workload Security, CWS) events as the agent serialises them
 * (DataDog/datadog-agent pkg/security/serializers; JSON schema docs/cloud-workload-security/
 * backend_linux.schema.json), read from a logs export: the event at the top level with the log's reserved
 * attributes (`host`, `service`, …) beside it, or nested under `attributes` (log archives) or
 * `attributes.attributes` (Logs API v2). Facts from the agent's source that shape this decoder:
 *
 * - `process.args` excludes argv[0], which comes separately as `process.argv0`.
 * - `process.ancestors` is nearest first and `process.parent` is a copy of `ancestors[0]`. An exec links the
 *   new image to the previous image of the same pid, so `ancestors[0]` is usually the process itself before
 *   its exec: the fork of its parent (same pid as the process, `is_thread`, the parent's executable) whose
 *   args the serialiser emptied because they duplicate the next entry's; the parent proper comes next. A
 *   fork that never exec'd (a subshell) is a real ancestor running its parent's image.
 * - For a script run through its shebang, `executable` is the script and `interpreter` the interpreter.
 * - A fileless image (memfd) has no `executable.path`, and `executable.name` is `memfd:<name>`.
 * - Times are RFC 3339 strings with nanoseconds; `fork_time` is the process start, `exec_time` the image's.
 */

// Bounds the work a hostile record can cause: the lineage keeps 16 levels anyway (lib/lineage).
const MAX_ANCESTORS = 64;
const MAX_TAGS = 256;
const MEMFD = "memfd:";

// Keeps a hostile value from blowing up a reason string that ends up in logs.
const quote = (text: string): string => JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);

const nonEmpty = (text: string | undefined): string | undefined => (text === "" ? undefined : text);

interface Located {
  /** The CWS event: the object holding `evt` and `process`. */
  event: JsonObject;
  /** Outer log envelopes, innermost first: where the log's `host` and `timestamp` live. */
  envelopes: JsonObject[];
}

const locate = (value: unknown): Located | undefined => {
  if (!isObj(value)) return undefined;
  if (isObj(value["evt"])) return { event: value, envelopes: [] };
  const attributes = getObj(value, "attributes");
  if (isObj(attributes?.["evt"])) return { event: attributes, envelopes: [value] };
  const inner = getObj(attributes, "attributes");
  if (attributes !== undefined && isObj(inner?.["evt"]))
    return { event: inner, envelopes: [attributes, value] };
  return undefined;
};

/** The first string among `keys` on the event, then on each envelope outwards. */
const firstString = (where: Located, keys: readonly string[]): string | undefined => {
  for (const owner of [where.event, ...where.envelopes]) {
    for (const key of keys) {
      const text = nonEmpty(getStr(owner, key));
      if (text !== undefined) return text;
    }
  }
  return undefined;
};

/** Datadog tags (`image_name:nginx`) as an array or the intake's comma-separated `ddtags`. */
const tagValue = (where: Located, name: string): string | undefined => {
  const prefix = `${name}:`;
  for (const owner of [where.event, ...where.envelopes]) {
    const raw = owner["tags"] ?? owner["ddtags"];
    const tags = typeof raw === "string" ? raw.split(",", MAX_TAGS) : Array.isArray(raw) ? raw : undefined;
    if (tags === undefined) continue;
    const end = Math.min(tags.length, MAX_TAGS);
    for (let i = 0; i < end; i++) {
      const tag: unknown = tags[i];
      if (typeof tag === "string" && tag.startsWith(prefix) && tag.length > prefix.length) {
        return tag.slice(prefix.length);
      }
    }
  }
  return undefined;
};

/** Event time: the event's `date`, else the log's timestamp; present but not a time is an error. */
const readTime = (where: Located, proc: JsonObject): number | string => {
  for (const owner of [where.event, ...where.envelopes]) {
    for (const key of ["date", "@timestamp", "timestamp"]) {
      const raw = owner[key];
      if (raw === undefined) continue;
      return toEpochMsScaled(raw) ?? `datadog: ${key} is not a date`;
    }
  }
  // An export stripped of its envelope still knows when the image was loaded.
  return toEpochMsScaled(proc["exec_time"]) ?? "datadog: date is missing";
};

/** A file's path; a fileless image has none, but its name (`memfd:x`) still says what it is. */
const filePath = (file: JsonObject | undefined): string | undefined => {
  const path = nonEmpty(getStr(file, "path"));
  if (path !== undefined) return path;
  const name = getStr(file, "name");
  return name?.startsWith(MEMFD) ? name : undefined;
};

type Argv = { args: string[]; truncated: boolean } | { reason: string };

/** argv[0] then the rest: our `args` is the whole argv (as auditd logs it); CWS splits argv[0] off. */
const readArgv = (proc: JsonObject, path: string): Argv => {
  const argv0 = getStr(proc, "argv0");
  const key = proc["args"] !== undefined ? "args" : "argv";
  const raw = proc[key];
  const args: string[] = [];
  let truncated = proc["args_truncated"] === true || proc["argv_truncated"] === true;
  if (raw !== undefined && raw !== null) {
    if (!Array.isArray(raw)) return { reason: `datadog: ${path}.${key} is not an array` };
    // An argv[0] that is absent beside real arguments was empty: "" keeps the others in their places. With
    // no arguments either, nothing is known (the serialiser empties a fork's copy of its parent's argv).
    if ((argv0 !== undefined && argv0 !== "") || raw.length > 0) args.push(argv0 ?? "");
    const end = Math.min(raw.length, MAX_ARGS - 1);
    for (let i = 0; i < end; i++) {
      const entry: unknown = raw[i];
      if (typeof entry === "string") args.push(entry);
      else if (typeof entry === "number") args.push(String(entry));
      else return { reason: `datadog: ${path}.${key}[${i}] is not a string` };
    }
    if (raw.length > end) truncated = true;
  } else if (argv0 !== undefined && argv0 !== "") {
    args.push(argv0);
  }
  return { args, truncated };
};

/** An ancestor as CWS serialises it, reduced to what lineage uses. */
interface Node {
  pid?: number;
  ppid?: number;
  comm?: string;
  executable?: string;
  args?: string[];
  execMs?: number;
  forkClone: boolean;
}

const nodeOf = (entry: JsonObject): Node => {
  const node: Node = { forkClone: entry["is_thread"] === true };
  const pid = getInt(entry, "pid");
  if (pid !== undefined) node.pid = pid;
  const ppid = getInt(entry, "ppid");
  if (ppid !== undefined) node.ppid = ppid;
  const comm = getStr(entry, "comm");
  if (comm !== undefined) node.comm = comm;
  // The executable is the script for a shebang exec: the file to look at in an ancestor.
  const executable = filePath(getObj(entry, "executable"));
  if (executable !== undefined) node.executable = executable;
  const argv = readArgv(entry, "ancestor");
  // The serialiser empties the args of a fork that shares them with the next ancestor: unknown, not none.
  if ("args" in argv && argv.args.length > 0) node.args = argv.args;
  const execMs = toEpochMsScaled(entry["exec_time"]);
  if (execMs !== undefined) node.execMs = execMs;
  return node;
};

/**
 * Ancestors nearest first, with the agent's fork entries resolved. A fork entry runs the image of the entry
 * after it (its parent) under its own pid. When that pid is the one of the entry before it (or of the process
 * itself), it is that process before its exec: not an ancestor, dropped (or, when the list ends there, it
 * stands for the parent it copies, whose pid is its ppid). Otherwise it is a fork that never exec'd, such as
 * a subshell: a real ancestor, running its parent's image and argv.
 */
const readAncestors = (proc: JsonObject, ownPid: number): Node[] => {
  const raw = getArr(proc, "ancestors");
  const all: Node[] = [];
  if (raw !== undefined) {
    const end = Math.min(raw.length, MAX_ANCESTORS);
    for (let i = 0; i < end; i++) {
      const entry = raw[i];
      if (isObj(entry)) all.push(nodeOf(entry));
    }
  } else {
    const parent = getObj(proc, "parent");
    if (parent !== undefined) all.push(nodeOf(parent));
  }
  const nodes: Node[] = [];
  let nearerPid: number | undefined = ownPid;
  for (let i = 0; i < all.length; i++) {
    const node = all[i]!;
    const next = all[i + 1];
    const parentNext = next !== undefined && node.ppid !== undefined && node.ppid === next.pid;
    // Agents without `is_thread` still show the fork: emptied args, and the comm and pid of its parent next.
    const fork =
      node.forkClone ||
      (node.args === undefined && parentNext && node.comm !== undefined && node.comm === next!.comm);
    if (!fork) {
      nodes.push(node);
      nearerPid = node.pid;
      continue;
    }
    if (node.pid === undefined || node.pid === nearerPid) {
      if (next !== undefined && (node.ppid === undefined || parentNext)) continue;
      const stand: Node = { forkClone: false };
      if (node.ppid !== undefined) stand.pid = node.ppid;
      if (node.executable !== undefined) stand.executable = node.executable;
      if (node.execMs !== undefined) stand.execMs = node.execMs;
      nodes.push(stand);
      nearerPid = stand.pid;
      continue;
    }
    const subshell: Node = { ...node, forkClone: false };
    if (subshell.args === undefined && parentNext && next!.args !== undefined) subshell.args = next!.args;
    nodes.push(subshell);
    nearerPid = node.pid;
  }
  return nodes;
};

/**
 * An image's id. CWS has none, but a pid with its exec time names one image: a fork keeps the exec time of
 * its parent, under another pid, and the next exec changes it.
 */
const imageId = (host: string, pid: number, execMs: number | undefined): string | undefined =>
  execMs === undefined ? undefined : `${host}:${pid}:${execMs}`;

const exitOf = (proc: JsonObject, host: string, time: number): ProcessExit | undefined => {
  const pid = getInt(proc, "pid");
  if (pid === undefined) return undefined;
  const exit: ProcessExit = { host, pid, time: toEpochMsScaled(proc["exit_time"]) ?? time };
  const id = imageId(host, pid, toEpochMsScaled(proc["exec_time"]));
  if (id !== undefined) exit.entityId = id;
  return exit;
};

const FAILED_OUTCOMES: ReadonlySet<string> = new Set(["error", "refused", "failure", "fail"]);

const decodeDatadog = (value: unknown, record: RawRecord, ctx: DecodeContext): DecodeOutput => {
  if (!isObj(value)) return malformed(record, "datadog: record is not a JSON object");
  const where = locate(value);
  if (where === undefined)
    return malformed(record, `datadog: ${fieldReason(value, "evt", "evt", "an object")}`);
  const { event } = where;
  const evt = getObj(event, "evt")!;
  const name = getStr(evt, "name");
  if (name === undefined)
    return malformed(record, `datadog: ${fieldReason(evt, "name", "evt.name", "a string")}`);
  const proc = getObj(event, "process");
  if (proc === undefined)
    return malformed(record, `datadog: ${fieldReason(event, "process", "process", "an object")}`);
  const time = readTime(where, proc);
  if (typeof time === "string") return malformed(record, time);
  const host = firstString(where, ["host", "hostname"]) ?? tagValue(where, "host") ?? ctx.defaultHost;

  if (name === "exit") {
    const out = skipped(record, "datadog: process exit");
    const exit = exitOf(proc, host, time);
    if (exit !== undefined) out.exit = exit;
    return out;
  }
  if (name !== "exec") return skipped(record, `datadog: evt.name ${quote(name)} is not an exec`);
  const outcome = getStr(evt, "outcome");
  if (outcome !== undefined && FAILED_OUTCOMES.has(outcome.toLowerCase()))
    return skipped(record, "datadog: failed exec");

  const pid = getInt(proc, "pid");
  if (pid === undefined)
    return malformed(record, `datadog: ${fieldReason(proc, "pid", "process.pid", "a number")}`);
  const rawPpid = proc["ppid"];
  const ownPpid = getInt(proc, "ppid");
  if (rawPpid !== undefined && rawPpid !== null && ownPpid === undefined)
    return malformed(record, "datadog: process.ppid is not a number");
  const rawExe = proc["executable"];
  if (rawExe !== undefined && rawExe !== null && !isObj(rawExe))
    return malformed(record, "datadog: process.executable is not an object");
  const rawAncestors = proc["ancestors"];
  if (rawAncestors !== undefined && rawAncestors !== null && !Array.isArray(rawAncestors))
    return malformed(record, "datadog: process.ancestors is not an array");

  const exeFile = getObj(proc, "executable");
  const file = filePath(exeFile);
  const interpreter = filePath(getObj(proc, "interpreter"));
  // Without a resolved path (`path_resolution_error`), the basename still names the utility.
  const executable =
    interpreter ?? file ?? nonEmpty(getStr(exeFile, "name")) ?? nonEmpty(getStr(proc, "comm"));
  if (executable === undefined) return malformed(record, "datadog: process.executable.path is missing");

  const argv = readArgv(proc, "process");
  if ("reason" in argv) return malformed(record, argv.reason);

  const nodes = readAncestors(proc, pid);
  // Earlier images of this very pid (a script that exec'd the utility) are not its parent. The event has no
  // field for them, so they stay in the ancestors, nearest first, and the parent is left unnamed.
  const execChain = nodes[0]?.pid === pid;
  const parentNode = !execChain && nodes[0]?.pid !== undefined ? nodes[0] : undefined;

  const process: ExecProcess = {
    pid,
    ppid: ownPpid ?? parentNode?.pid ?? 0,
    executable,
    args: argv.args,
  };
  if (argv.truncated) process.argsTruncated = true;
  if (interpreter !== undefined && file !== undefined && file !== interpreter) {
    process.invokedPath = file;
    process.script = file;
  }
  const forkMs = toEpochMsScaled(proc["fork_time"]);
  const execMs = toEpochMsScaled(proc["exec_time"]);
  // The process began at its fork; the exec came later. The earlier of the two guards against PID reuse.
  const start = forkMs !== undefined && execMs !== undefined ? Math.min(forkMs, execMs) : (forkMs ?? execMs);
  if (start !== undefined && start > 0) process.start = start;
  const entityId = imageId(host, pid, execMs);
  if (entityId !== undefined) process.entityId = entityId;

  const logId = firstString(where, ["_id", "id"]);
  const out: ExecEvent = {
    host: { name: host },
    user: {},
    process,
    time,
    source: {
      format: "datadog",
      // Without the log's id, the fields that identify one exec; the executable last, as it may hold ':'.
      eventId: logId ?? `${host}:${pid}:${execMs ?? time}:${executable}`,
    },
  };

  const containerId =
    nonEmpty(getStr(getObj(proc, "container"), "id")) ?? nonEmpty(getStr(getObj(event, "container"), "id"));
  if (containerId !== undefined) {
    const image = tagValue(where, "image_name");
    const tag = tagValue(where, "image_tag");
    out.container =
      image === undefined
        ? { id: containerId }
        : { id: containerId, image: tag === undefined ? image : `${image}:${tag}` };
  }

  const credentials = getObj(proc, "credentials");
  const userId = getIdString(proc, "uid") ?? getIdString(credentials, "uid");
  if (userId !== undefined) out.user.id = userId;
  const userName =
    nonEmpty(getStr(proc, "user")) ??
    nonEmpty(getStr(credentials, "user")) ??
    nonEmpty(getStr(getObj(event, "usr"), "id"));
  if (userName !== undefined) out.user.name = userName;
  const auid = getIdString(credentials, "auid");
  if (auid !== undefined) out.user.auditId = auid;

  if (parentNode !== undefined) {
    const parent: ExecParent = { pid: parentNode.pid! };
    if (parentNode.executable !== undefined) parent.executable = parentNode.executable;
    if (parentNode.args !== undefined) parent.args = parentNode.args;
    const parentId = imageId(host, parentNode.pid!, parentNode.execMs);
    if (parentId !== undefined) parent.entityId = parentId;
    out.parent = parent;
  }
  const ancestors: ExecAncestor[] = [];
  for (let i = parentNode === undefined ? 0 : 1; i < nodes.length; i++) {
    const node = nodes[i]!;
    if (node.executable === undefined) continue;
    const ancestor: ExecAncestor = { executable: node.executable };
    if (node.pid !== undefined) ancestor.pid = node.pid;
    if (node.args !== undefined) ancestor.args = node.args;
    ancestors.push(ancestor);
  }
  if (ancestors.length > 0) out.ancestors = ancestors;

  return { kind: "event", event: out, line: record.line };
};

/**
 * A CWS event: `evt.name` beside a `process` with a pid and an `executable` or `ancestors`. Any event name,
 * so that `exit` and the other kinds are recognised, then skipped and counted rather than reported as of no
 * known format. ECS has `event`, never `evt`.
 */
export const datadogCwsDecoder: JsonDecoder = {
  format: "datadog",
  matches: (value) => {
    const where = locate(value);
    if (where === undefined) return false;
    const proc = getObj(where.event, "process");
    return (
      typeof getObj(where.event, "evt")?.["name"] === "string" &&
      proc?.["pid"] !== undefined &&
      (isObj(proc["executable"]) || Array.isArray(proc["ancestors"]))
    );
  },
  decode: (value, record, ctx) => {
    try {
      return decodeDatadog(value, record, ctx);
    } catch (error) {
      // Nothing above should throw on parsed JSON; this keeps a bug from failing a whole batch (DESIGN §7).
      return malformed(
        record,
        `datadog: cannot decode: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  },
};
