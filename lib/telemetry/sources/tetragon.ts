import { Buffer } from "node:buffer";
import { basename } from "../../paths.js";
import type { DecodeContext, DecodeOutput, JsonDecoder, RawRecord } from "../decoder.js";
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
  toEpochMs,
} from "./json-access.js";

/**
 * Tetragon (cilium/tetragon) JSON export: one `GetEventsResponse` per line, `{"process_exec": {process, parent,
 * ancestors?}, "node_name", "time"}` (the `tetra getevents -o json` output and the export file are the same
 * protobuf JSON). `process_exec` becomes an ExecEvent; `process_exit` lets lineage evict the exited image;
 * every other event type is skipped.
 *
 * Mapping decisions:
 * - argv[0]. Tetragon's `arguments` leaves argv[0] out (the BPF side reads the args after it), while
 *   ExecEvent.args is the whole argv. The basename of `binary` stands in for it: that is what a shell passes
 *   for a command typed by name, and what the rule and the interpreter parser read argv[0] for. An
 *   `exec -a` disguise is invisible to Tetragon anyway.
 * - Exec without fork. When a process execs without cloning first, Tetragon reports the earlier image as the
 *   `parent`, with the same pid (the docs' `bash -c "curl …"` sample). That image is not a parent: it is an
 *   earlier image of the same process, which resolve-lineage chains from the stored record of the pid (the
 *   earlier image's own process_exec, exported before this one). So the kernel parent, the earlier image's
 *   own parent, becomes `parent` and `ppid` (from `ancestors` when present, else the pid encoded in the
 *   earlier image's `parent_exec_id`), which is what the stored record of the earlier image has as its ppid,
 *   and `start` is left out: Tetragon's `start_time` is the time of this exec, not of the process, and would
 *   make resolve-lineage reject the earlier image as older than the process. Known gap: when the earlier
 *   image's own exec was never seen (it predates the sensor or the store's TTL), the event has no field that
 *   could carry it without calling it a parent, so lineage misses it.
 * - Times. `time` (RFC 3339 with nanoseconds) is the event time, else `process.start_time`; both are cut to the
 *   millisecond. `start` is `start_time` for a cloned process, where it is the fork's exec, and the PID-reuse
 *   guard lineage wants.
 */

/** Event types of GetEventsResponse (current and retired ones), so that `auto` recognises a line by its key. */
const EVENT_TYPES: ReadonlySet<string> = new Set([
  "process_exec",
  "process_exit",
  "process_kprobe",
  "process_tracepoint",
  "process_uprobe",
  "process_usdt",
  "process_lsm",
  "process_loader",
  "process_throttle",
  "rate_limit_info",
  "test",
  "process_dns",
  "process_connect",
  "process_listen",
  "process_accept",
  "process_close",
  "tls",
]);

// An unknown future event type still looks like one: `process_<word>` holding an object.
const PROCESS_EVENT = /^process_[a-z0-9_]{1,40}$/;

// Beyond this the argument string is cut (and the cut flagged): Tetragon's own buffers keep far less, and the
// quote parser allocates per character.
const MAX_ARGUMENTS_TEXT = 256 * 1024;

// exec_id is base64 of `node:ktime:pid`; node names are DNS names, far below this.
const MAX_EXEC_ID = 512;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

// RFC 3339 as protobuf JSON writes a Timestamp: always with a zone, so that a zone-less string is never read
// in the decoding machine's local time.
const ZONED = /(?:[Zz]|[+-]\d{2}:\d{2})$/;
const timestampMs = (value: unknown): number | undefined =>
  typeof value === "string" && ZONED.test(value) ? toEpochMs(value) : undefined;

const nonEmpty = (text: string | undefined): string | undefined => (text === "" ? undefined : text);

const QUOTE = 34; // "
const SPACE = 32;

/**
 * The argv Tetragon's `arguments` string stands for. Tetragon (pkg/process ArgsDecoder) joins the arguments
 * with single spaces and wraps an argument that holds a space in plain double quotes, escaping nothing, and
 * writes a stray leading space when the first argument is the quoted one. Quotes are therefore only syntax at
 * the start of an argument, and single quotes and backslashes are never syntax: read as a shell would, they
 * would corrupt real arguments (`grep '\d'` arrives as `\d`). The encoding is ambiguous when a quoted argument
 * holds `" ` itself; the closing quote chosen is the first one after a space that leaves an even number of
 * quotes inside (`-c "nslookup "x" 1.1.1.1"` is one argument), else the first one after a space.
 * Linear time whatever the input.
 */
export function splitTetragonArgs(text: string): { args: string[]; truncated: boolean } {
  let truncated = false;
  let s = text;
  if (s.length > MAX_ARGUMENTS_TEXT) {
    s = s.slice(0, MAX_ARGUMENTS_TEXT);
    truncated = true;
  }
  const n = s.length;
  if (n === 0) return { args: [], truncated };
  if (s.indexOf('"') < 0) {
    const args = s.split(" ");
    if (args.length > MAX_ARGS) return { args: args.slice(0, MAX_ARGS), truncated: true };
    return { args, truncated };
  }

  // Candidate closing quotes: a `"` followed by a space or the end. nextEven/nextOdd[k] is the first candidate at
  // or after k with an even/odd number of quotes before it, nextAny[k] the first candidate at all; -1 when none.
  const parity = new Uint8Array(n + 1);
  for (let k = 0; k < n; k++) parity[k + 1] = parity[k]! ^ (s.charCodeAt(k) === QUOTE ? 1 : 0);
  const nextEven = new Int32Array(n + 1);
  const nextOdd = new Int32Array(n + 1);
  const nextAny = new Int32Array(n + 1);
  nextEven[n] = -1;
  nextOdd[n] = -1;
  nextAny[n] = -1;
  for (let k = n - 1; k >= 0; k--) {
    const candidate = s.charCodeAt(k) === QUOTE && (k + 1 === n || s.charCodeAt(k + 1) === SPACE);
    const odd = parity[k] === 1;
    nextEven[k] = candidate && !odd ? k : nextEven[k + 1]!;
    nextOdd[k] = candidate && odd ? k : nextOdd[k + 1]!;
    nextAny[k] = candidate ? k : nextAny[k + 1]!;
  }
  // nextSpace[k]: the first space at or after k, n when none.
  const nextSpace = new Int32Array(n + 1);
  nextSpace[n] = n;
  for (let k = n - 1; k >= 0; k--) nextSpace[k] = s.charCodeAt(k) === SPACE ? k : nextSpace[k + 1]!;

  const args: string[] = [];
  // Tetragon writes ` "a b" c` when argv[1] holds a space.
  let i = s.charCodeAt(0) === SPACE && s.charCodeAt(1) === QUOTE ? 1 : 0;
  while (i <= n) {
    if (args.length === MAX_ARGS) return { args, truncated: true };
    if (i < n && s.charCodeAt(i) === QUOTE) {
      // Tetragon quotes an argument only when it holds a space, so the closing quote comes after one.
      const space = nextSpace[i + 1]!;
      if (space < n) {
        let close = (parity[i + 1] === 1 ? nextOdd : nextEven)[space + 1]!;
        if (close < 0) close = nextAny[space + 1]!;
        if (close >= 0) {
          args.push(s.slice(i + 1, close));
          i = close + 2;
          continue;
        }
      }
    }
    const end = nextSpace[i]!;
    args.push(s.slice(i, end));
    i = end + 1;
  }
  return { args, truncated };
}

/** The pid encoded in an exec_id (base64 of `node:ktime:pid`), or undefined when it is not one. */
export function pidFromExecId(execId: string | undefined): number | undefined {
  if (execId === undefined || execId.length > MAX_EXEC_ID || !BASE64.test(execId)) return undefined;
  const decoded = Buffer.from(execId, "base64").toString("latin1");
  const colon = decoded.lastIndexOf(":");
  if (colon < 0 || decoded.lastIndexOf(":", colon - 1) < 0) return undefined;
  const digits = decoded.slice(colon + 1);
  if (digits.length === 0 || digits.length > 10 || !/^\d+$/.test(digits)) return undefined;
  const pid = Number(digits);
  return pid <= 0xffffffff ? pid : undefined;
}

const pidOf = (proc: JsonObject): number | undefined =>
  getInt(proc, "pid") ?? pidFromExecId(nonEmpty(getStr(proc, "exec_id")));

/** argv of a Tetragon Process: the binary's basename, then its split `arguments`. */
const argvOf = (binary: string, proc: JsonObject): { args: string[]; truncated: boolean } => {
  const raw = getStr(proc, "arguments");
  const split = raw === undefined ? { args: [], truncated: false } : splitTetragonArgs(raw);
  const args = [basename(binary)];
  for (const arg of split.args) {
    if (args.length === MAX_ARGS) return { args, truncated: true };
    args.push(arg);
  }
  return { args, truncated: split.truncated };
};

const parentFrom = (proc: JsonObject, pid: number): ExecParent => {
  const parent: ExecParent = { pid };
  const binary = nonEmpty(getStr(proc, "binary"));
  if (binary !== undefined) {
    parent.executable = binary;
    parent.args = argvOf(binary, proc).args;
  }
  const cwd = nonEmpty(getStr(proc, "cwd"));
  if (cwd !== undefined) parent.cwd = cwd;
  const entityId = nonEmpty(getStr(proc, "exec_id"));
  if (entityId !== undefined) parent.entityId = entityId;
  return parent;
};

const ancestorFrom = (proc: JsonObject): ExecAncestor | undefined => {
  const binary = nonEmpty(getStr(proc, "binary"));
  // An ancestor Tetragon knows only by pid (flag `unknown`) has no executable to look at.
  if (binary === undefined) return undefined;
  const ancestor: ExecAncestor = { executable: binary, args: argvOf(binary, proc).args };
  const pid = pidOf(proc);
  if (pid !== undefined) ancestor.pid = pid;
  const cwd = nonEmpty(getStr(proc, "cwd"));
  if (cwd !== undefined) ancestor.cwd = cwd;
  return ancestor;
};

/**
 * `ancestors` beyond the immediate parent, nearest first (Tetragon walks parent_exec_id upwards). Entries that
 * are not objects are dropped; a list that names the parent itself first, or that runs from init down, is
 * put in order by following the exec ids.
 */
const ancestorObjects = (exec: JsonObject, parentObj: JsonObject | undefined): JsonObject[] => {
  const raw = getArr(exec, "ancestors");
  if (raw === undefined) return [];
  const list: JsonObject[] = [];
  for (const entry of raw) if (isObj(entry)) list.push(entry);
  if (list.length === 0) return list;
  const parentId = nonEmpty(getStr(parentObj, "exec_id"));
  const grandId = nonEmpty(getStr(parentObj, "parent_exec_id"));
  if (parentId !== undefined && getStr(list[0], "exec_id") === parentId) list.shift();
  if (
    list.length > 1 &&
    grandId !== undefined &&
    getStr(list[0], "exec_id") !== grandId &&
    getStr(list[list.length - 1], "exec_id") === grandId
  ) {
    list.reverse();
  }
  return list;
};

const containerIdOf = (raw: string): string => {
  // `containerd://…`, `docker://…`, `cri-o://…`: the runtime prefix is not part of the id other sources give.
  const scheme = raw.indexOf("://");
  return scheme < 0 ? raw : raw.slice(scheme + 3);
};

type Lineage = { ppid: number; parent?: ExecParent; ancestors: ExecAncestor[]; execWithoutFork: boolean };

const lineageOf = (
  pid: number,
  proc: JsonObject,
  parentObj: JsonObject | undefined,
  exec: JsonObject,
): Lineage => {
  const above = ancestorObjects(exec, parentObj);
  const ancestors = (list: readonly JsonObject[]): ExecAncestor[] => {
    const out: ExecAncestor[] = [];
    for (const entry of list) {
      const ancestor = ancestorFrom(entry);
      if (ancestor !== undefined) out.push(ancestor);
    }
    return out;
  };
  const parentPid = parentObj === undefined ? undefined : pidOf(parentObj);

  if (parentObj !== undefined && parentPid === pid) {
    // Exec without fork: `parent` is this process's earlier image. The kernel parent is the nearest
    // ancestor under another pid (an earlier image may itself have exec'd without fork).
    let k = 0;
    while (k < above.length && pidOf(above[k]!) === pid) k++;
    const kernelParent = above[k];
    if (kernelParent !== undefined) {
      const ppid = pidOf(kernelParent);
      if (ppid !== undefined) {
        return {
          ppid,
          parent: parentFrom(kernelParent, ppid),
          ancestors: ancestors(above.slice(k + 1)),
          execWithoutFork: true,
        };
      }
    }
    const grandId = nonEmpty(getStr(parentObj, "parent_exec_id"));
    const grandPid = pidFromExecId(grandId);
    if (grandId !== undefined && grandPid !== undefined && grandPid !== pid) {
      return {
        ppid: grandPid,
        parent: { pid: grandPid, entityId: grandId },
        ancestors: [],
        execWithoutFork: true,
      };
    }
    // Several execs without fork and no ancestors: the kernel parent is not in the event.
    return { ppid: 0, ancestors: [], execWithoutFork: true };
  }

  if (parentObj !== undefined && parentPid !== undefined) {
    const parent = parentFrom(parentObj, parentPid);
    const named = nonEmpty(getStr(proc, "parent_exec_id"));
    if (parent.entityId === undefined && named !== undefined) parent.entityId = named;
    return { ppid: parentPid, parent, ancestors: ancestors(above), execWithoutFork: false };
  }
  // No parent object (Tetragon had none cached): parent_exec_id still names it.
  const named = nonEmpty(getStr(proc, "parent_exec_id"));
  const namedPid = pidFromExecId(named);
  if (named !== undefined && namedPid !== undefined) {
    return {
      ppid: namedPid,
      parent: { pid: namedPid, entityId: named },
      ancestors: ancestors(above),
      execWithoutFork: false,
    };
  }
  return { ppid: 0, ancestors: ancestors(above), execWithoutFork: false };
};

const flagWords = (proc: JsonObject): readonly string[] | undefined => getStr(proc, "flags")?.split(" ");

const decodeExec = (value: JsonObject, exec: JsonObject, host: string, record: RawRecord): DecodeOutput => {
  const proc = getObj(exec, "process");
  if (proc === undefined)
    return malformed(
      record,
      `tetragon: ${fieldReason(exec, "process", "process_exec.process", "an object")}`,
    );
  const pid = getInt(proc, "pid");
  if (pid === undefined)
    return malformed(record, `tetragon: ${fieldReason(proc, "pid", "process_exec.process.pid", "a number")}`);
  const binary = nonEmpty(getStr(proc, "binary"));
  if (binary === undefined)
    return malformed(
      record,
      `tetragon: ${fieldReason(proc, "binary", "process_exec.process.binary", "a non-empty string")}`,
    );
  const rawArguments = proc["arguments"];
  if (rawArguments !== undefined && typeof rawArguments !== "string")
    return malformed(record, "tetragon: process_exec.process.arguments is not a string");
  const rawParent = exec["parent"];
  if (rawParent !== undefined && !isObj(rawParent))
    return malformed(record, "tetragon: process_exec.parent is not an object");
  const parentObj = getObj(exec, "parent");

  const startRaw = proc["start_time"];
  const start = timestampMs(startRaw);
  let time: number | undefined;
  if (value["time"] !== undefined) {
    time = timestampMs(value["time"]);
    if (time === undefined) return malformed(record, "tetragon: time is not a date");
  } else if (startRaw !== undefined) {
    // The repo's testdata has an event without top-level `time`: the exec's own start is the event.
    time = start;
    if (time === undefined)
      return malformed(record, "tetragon: process_exec.process.start_time is not a date");
  } else {
    return malformed(record, "tetragon: time and process_exec.process.start_time are missing");
  }

  const argv = argvOf(binary, proc);
  const flags = flagWords(proc);
  const lineage = lineageOf(pid, proc, parentObj, exec);

  const process: ExecProcess = { pid, ppid: lineage.ppid, executable: binary, args: argv.args };
  if (argv.truncated || flags?.includes("truncArgs")) process.argsTruncated = true;
  const cwd = nonEmpty(getStr(proc, "cwd"));
  if (cwd !== undefined) process.cwd = cwd;
  // An exec without `clone` replaced an earlier image: its start_time is this exec, not the process start.
  const forked = flags === undefined || flags.includes("clone") || flags.includes("procFS");
  if (start !== undefined && forked && !lineage.execWithoutFork) process.start = start;
  const execId = nonEmpty(getStr(proc, "exec_id"));
  if (execId !== undefined) process.entityId = execId;

  const event: ExecEvent = {
    host: { name: host },
    user: {},
    process,
    time,
    source: {
      format: "tetragon",
      // exec_id names this image for good (node, boot-relative exec time, pid), so a redelivery keeps its id.
      eventId: execId ?? `${host}:${pid}:${time}:${binary}`,
    },
  };

  const container = getObj(getObj(proc, "pod"), "container");
  const podContainerId = nonEmpty(getStr(container, "id"));
  const containerId =
    podContainerId === undefined ? nonEmpty(getStr(proc, "docker")) : containerIdOf(podContainerId);
  if (containerId !== undefined && containerId !== "") {
    const image = nonEmpty(getStr(getObj(container, "image"), "name"));
    event.container = image === undefined ? { id: containerId } : { id: containerId, image };
  }

  const uid = getIdString(proc, "uid");
  if (uid !== undefined) event.user.id = uid;
  // `user.name` only with --username-metadata=unix, for host processes.
  const userName = nonEmpty(getStr(getObj(proc, "user"), "name"));
  if (userName !== undefined) event.user.name = userName;
  const auid = getIdString(proc, "auid");
  if (auid !== undefined) event.user.auditId = auid;

  if (lineage.parent !== undefined) event.parent = lineage.parent;
  if (lineage.ancestors.length > 0) event.ancestors = lineage.ancestors;
  return { kind: "event", event, line: record.line };
};

const decodeExit = (value: JsonObject, exit: JsonObject, host: string, record: RawRecord): DecodeOutput => {
  const proc = getObj(exit, "process");
  const pid = getInt(proc, "pid");
  // Nothing to evict without a pid or a time; still not an exec, so skipped rather than malformed.
  if (pid === undefined) return skipped(record, "tetragon process_exit without process.pid");
  const time = timestampMs(value["time"]) ?? timestampMs(exit["time"]) ?? timestampMs(proc?.["start_time"]);
  if (time === undefined) return skipped(record, "tetragon process_exit without time");
  const out = skipped(record, "tetragon process_exit");
  out.exit = { host, pid, time };
  const execId = nonEmpty(getStr(proc, "exec_id"));
  if (execId !== undefined) out.exit.entityId = execId;
  return out;
};

/** The event type key of a response: a known one, else a `process_*` key holding an object. */
const eventTypeOf = (value: JsonObject): string | undefined => {
  let unknown: string | undefined;
  for (const key in value) {
    if (EVENT_TYPES.has(key)) return key;
    if (unknown === undefined && PROCESS_EVENT.test(key) && isObj(value[key])) unknown = key;
  }
  return unknown;
};

const decodeTetragon = (value: unknown, record: RawRecord, ctx: DecodeContext): DecodeOutput => {
  if (!isObj(value)) return malformed(record, "tetragon: record is not a JSON object");
  const type = eventTypeOf(value);
  if (type === undefined)
    return malformed(record, "tetragon: no event in the record (process_exec, process_exit, …)");
  const host = nonEmpty(getStr(value, "node_name")) ?? ctx.defaultHost;
  const body = value[type];
  if (type === "process_exec") {
    if (!isObj(body)) return malformed(record, "tetragon: process_exec is not an object");
    return decodeExec(value, body, host, record);
  }
  if (type === "process_exit") {
    if (!isObj(body)) return malformed(record, "tetragon: process_exit is not an object");
    return decodeExit(value, body, host, record);
  }
  // The type is a known key or matched PROCESS_EVENT: short and plain, safe to name.
  return skipped(record, `tetragon ${type}`);
};

export const tetragonDecoder: JsonDecoder = {
  format: "tetragon",
  matches: (value) => {
    if (!isObj(value)) return false;
    if (typeof value["node_name"] !== "string" && typeof value["time"] !== "string") return false;
    let events = 0;
    for (const key in value) if (EVENT_TYPES.has(key) && isObj(value[key])) events++;
    return events === 1;
  },
  decode: (value, record, ctx) => {
    try {
      return decodeTetragon(value, record, ctx);
    } catch (error) {
      // Nothing above should throw on parsed JSON; this keeps a bug from failing a whole batch (DESIGN §7).
      return malformed(
        record,
        `tetragon: cannot decode: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  },
};
