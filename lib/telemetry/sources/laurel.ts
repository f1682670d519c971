import type { DecodeContext, DecodeOutput, JsonDecoder, RawRecord } from "../decoder.js";
import { malformed, skipped } from "../decoder.js";
import type { ExecEvent, ExecParent, ExecProcess } from "../exec-event.js";
import {
  fieldReason,
  getArr,
  getIdString,
  getInt,
  getNum,
  getObj,
  getStr,
  isObj,
  type JsonObject,
  MAX_ARGS,
  toInt,
} from "./json-access.js";

/**
 * Laurel (threathunters-io/laurel) writes one JSON object per audit event: `ID` "SEC.MS:SERIAL", `SYSCALL`
 * (with `PPID`, `PID`, `SCRIPT` enrichment), `EXECVE.ARGV`, `CWD`, `PATH[]`, `PROCTITLE.ARGV`, and `NODE`
 * when auditd names the host.
 */

// Exec syscall numbers per audit arch (AUDIT_ARCH_*): the same number means another syscall elsewhere
// (59 is pipe2 on aarch64), so the number is only trusted together with its arch.
const EXEC_SYSCALLS: ReadonlyMap<string, ReadonlySet<number>> = new Map([
  ["0xc000003e", new Set([59, 322])], // x86_64: execve, execveat
  ["0xc00000b7", new Set([221, 281])], // aarch64
  ["0x40000003", new Set([11, 358])], // i386, also 32-bit programs on x86_64
]);
const X86_64 = "0xc000003e";

// The kernel cuts PROCTITLE at 128 bytes (MAX_PROCTITLE_AUDIT_LEN).
const PROCTITLE_LIMIT = 128;

const utf8Decoder = new TextDecoder("utf-8");
const utf8Encoder = new TextEncoder();

const hexValue = (c: number): number => {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
};

/**
 * Undoes laurel's byte-string encoding: control bytes, `%`, `+` and bytes that are not valid UTF-8 are
 * written `%xx` (laurel json-format.md; `chmod +x` arrives as `chmod %2bx`). Decoded so that arguments and
 * paths read the same as from raw auditd; bytes that are not UTF-8 become U+FFFD.
 */
export const unescapeLaurel = (text: string): string => {
  if (!text.includes("%")) return text;
  const src = utf8Encoder.encode(text);
  const out = new Uint8Array(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x25 && i + 2 < src.length) {
      const hi = hexValue(src[i + 1]!);
      const lo = hexValue(src[i + 2]!);
      if (hi >= 0 && lo >= 0) {
        out[n++] = hi * 16 + lo;
        i += 2;
        continue;
      }
    }
    out[n++] = c;
  }
  return utf8Decoder.decode(out.subarray(0, n));
};

/** Epoch ms from an ID "SEC.MS:SERIAL"; `undefined` when the ID has another shape. */
const parseId = (id: string): number | undefined => {
  const colon = id.indexOf(":");
  const dot = id.indexOf(".");
  if (colon < 0 || dot < 0 || dot > colon || colon - dot !== 4 || id.length > 40) return undefined;
  const sec = toInt(id.slice(0, dot));
  const ms = toInt(id.slice(dot + 1, colon));
  const serial = toInt(id.slice(colon + 1));
  if (sec === undefined || ms === undefined || serial === undefined) return undefined;
  return sec * 1000 + ms;
};

/** The audit serial of an ID already checked by parseId. */
const serialOf = (id: string): number => Number(id.slice(id.indexOf(":") + 1));

type SyscallVerdict = { exec: true } | { exec: false; what: string };

const classifySyscall = (sys: JsonObject): SyscallVerdict | string => {
  // Translated name (`[translate] universal`, or drop-raw which removes the number): authoritative.
  const name = getStr(sys, "SYSCALL");
  if (name !== undefined) {
    return name === "execve" || name === "execveat" ? { exec: true } : { exec: false, what: name };
  }
  const number = getNum(sys, "syscall");
  if (number === undefined) return `laurel: ${fieldReason(sys, "syscall", "SYSCALL.syscall", "a number")}`;
  // Laurel always writes `arch`; without it, assume the common case rather than drop every exec.
  const arch = getStr(sys, "arch") ?? X86_64;
  const execs = EXEC_SYSCALLS.get(arch.toLowerCase());
  if (execs?.has(number)) return { exec: true };
  return { exec: false, what: `${number} (arch ${arch})` };
};

type Args = { args: string[]; truncated: boolean } | string;

/** ARGV entries: strings (escaped), numbers, and `{skipped_args, skipped_bytes}` where laurel cut the middle. */
const readArgv = (argv: readonly unknown[], path: string): Args => {
  const args: string[] = [];
  let truncated = argv.length > MAX_ARGS;
  const end = Math.min(argv.length, MAX_ARGS);
  for (let i = 0; i < end; i++) {
    const entry = argv[i];
    if (typeof entry === "string") args.push(unescapeLaurel(entry));
    else if (typeof entry === "number" || typeof entry === "boolean") args.push(String(entry));
    else if (isObj(entry) && typeof entry["skipped_args"] === "number") truncated = true;
    else return `laurel: ${path}[${i}] is not a string`;
  }
  return { args, truncated };
};

const readArgs = (value: JsonObject): Args => {
  const execve = getObj(value, "EXECVE");
  if (execve !== undefined) {
    const argv = execve["ARGV"];
    if (argv !== undefined) {
      if (!Array.isArray(argv)) return "laurel: EXECVE.ARGV is not an array";
      const read = readArgv(argv, "EXECVE.ARGV");
      if (typeof read === "string") return read;
      const argc = getInt(execve, "argc");
      return { args: read.args, truncated: read.truncated || (argc !== undefined && argc > argv.length) };
    }
    // `[transform] execve-argv = ["string"]`: one space-joined string, so arguments holding spaces split.
    const joined = getStr(execve, "ARGV_STR");
    if (joined !== undefined) {
      const args = unescapeLaurel(joined).split(" ").slice(0, MAX_ARGS);
      const argc = getInt(execve, "argc");
      return { args, truncated: argc !== undefined && argc > args.length };
    }
  }
  // No EXECVE record (lost, or filtered upstream). PROCTITLE is the best left, but it is capped by the kernel
  // and can show the command line from before the exec (the wrapper's own execs in the captured sample).
  const proctitle = getArr(getObj(value, "PROCTITLE"), "ARGV");
  if (proctitle !== undefined) {
    const read = readArgv(proctitle, "PROCTITLE.ARGV");
    if (typeof read === "string") return read;
    let bytes = 0;
    for (const arg of read.args) bytes += arg.length + 1;
    return { args: read.args, truncated: read.truncated || bytes >= PROCTITLE_LIMIT };
  }
  return { args: [], truncated: true };
};

/** PATH item 0 is the file handed to execve (the script for a shebang, the symlink for an alias). */
const invokedPathOf = (value: JsonObject): string | undefined => {
  const paths = getArr(value, "PATH");
  if (paths === undefined) return undefined;
  for (const item of paths) {
    if (isObj(item) && toInt(item["item"]) === 0) {
      const name = getStr(item, "name");
      return name === undefined || name === "" ? undefined : unescapeLaurel(name);
    }
  }
  return undefined;
};

/**
 * An audit record type as laurel names its keys (`SYSCALL`, `USER_AUTH`, `DAEMON_START`, `ANOM_ABEND`…): upper
 * case, digits and underscores. `ID` and `NODE` are laurel's own fields, not records.
 */
const RECORD_TYPE = /^[A-Z][A-Z0-9_]{1,39}$/;

/** The record types of a laurel event other than SYSCALL (at most 8), in the order laurel wrote them. */
const recordTypesOf = (value: JsonObject): string[] => {
  const types: string[] = [];
  for (const key of Object.keys(value)) {
    if (key !== "ID" && key !== "NODE" && key !== "SYSCALL" && RECORD_TYPE.test(key)) types.push(key);
    if (types.length >= 8) break;
  }
  return types;
};

const decodeLaurel = (value: unknown, record: RawRecord, ctx: DecodeContext): DecodeOutput => {
  if (!isObj(value)) return malformed(record, "laurel: record is not a JSON object");
  const id = getStr(value, "ID");
  if (id === undefined) return malformed(record, `laurel: ${fieldReason(value, "ID", "ID", "a string")}`);
  const time = parseId(id);
  if (time === undefined)
    return malformed(record, `laurel: ID ${JSON.stringify(id.slice(0, 40))} is not SEC.MS:SERIAL`);
  const rawSys = value["SYSCALL"];
  if (rawSys === undefined) {
    // laurel writes every audit event, not only syscalls: daemon starts and rotations, PAM logins, crashes.
    // None is an exec; each is counted under its type (the first record's) so that the summary says what came.
    const types = recordTypesOf(value);
    if (types.length === 0) return malformed(record, "laurel: event has no audit record");
    return skipped(record, `laurel: ${types[0]} event (not an exec)`);
  }
  const sys = getObj(value, "SYSCALL");
  if (sys === undefined)
    return malformed(record, `laurel: ${fieldReason(value, "SYSCALL", "SYSCALL", "an object")}`);

  const verdict = classifySyscall(sys);
  if (typeof verdict === "string") return malformed(record, verdict);
  if (!verdict.exec) return skipped(record, `laurel: syscall ${verdict.what} is not an exec`);
  if (getStr(sys, "success") === "no") return skipped(record, "laurel: failed execve");

  const pid = getInt(sys, "pid");
  if (pid === undefined)
    return malformed(record, `laurel: ${fieldReason(sys, "pid", "SYSCALL.pid", "a number")}`);
  const ppid = getInt(sys, "ppid");
  if (ppid === undefined)
    return malformed(record, `laurel: ${fieldReason(sys, "ppid", "SYSCALL.ppid", "a number")}`);
  const rawExe = getStr(sys, "exe");
  if (rawExe === undefined)
    return malformed(record, `laurel: ${fieldReason(sys, "exe", "SYSCALL.exe", "a string")}`);
  const executable = unescapeLaurel(rawExe);

  const read = readArgs(value);
  if (typeof read === "string") return malformed(record, read);

  const node = getStr(value, "NODE");
  const host = node !== undefined && node !== "" ? unescapeLaurel(node) : ctx.defaultHost;

  const process: ExecProcess = { pid, ppid, executable, args: read.args };
  if (read.truncated) process.argsTruncated = true;
  const invokedPath = invokedPathOf(value);
  if (invokedPath !== undefined && invokedPath !== executable) process.invokedPath = invokedPath;
  const cwd = getStr(getObj(value, "CWD"), "cwd");
  if (cwd !== undefined) process.cwd = unescapeLaurel(cwd);
  const script = getStr(sys, "SCRIPT");
  if (script !== undefined) process.script = unescapeLaurel(script);
  // Laurel keys a process by the event of its exec, so PID/PPID.EVENT_ID link a child to its parent's exec.
  const pidInfo = getObj(sys, "PID");
  const selfEventId = getStr(pidInfo, "EVENT_ID");
  if (selfEventId !== undefined) process.entityId = `${host}:${selfEventId}`;

  const event: ExecEvent = {
    host: { name: host },
    user: {},
    process,
    time,
    source: { format: "laurel", eventId: `${host}:${id}`, sequence: serialOf(id) },
  };

  const containerId = getStr(getObj(pidInfo, "container"), "id");
  if (containerId !== undefined && containerId !== "") event.container = { id: containerId };

  const uid = getIdString(sys, "uid");
  if (uid !== undefined) event.user.id = uid;
  const auid = getIdString(sys, "auid");
  if (auid !== undefined) event.user.auditId = auid;
  const ses = getIdString(sys, "ses");
  if (ses !== undefined) event.process.sessionId = ses;
  const userName = getStr(sys, "UID");
  // "unknown(1005)" is what the translation writes for a uid without a name: not a name.
  if (userName !== undefined && !userName.startsWith("unknown(")) event.user.name = userName;

  // PPID.ppid is the grandparent's pid, but its executable is unknown: no ancestor is invented from it.
  const ppidInfo = getObj(sys, "PPID");
  if (ppidInfo !== undefined) {
    const parent: ExecParent = { pid: ppid };
    const parentExe = getStr(ppidInfo, "exe");
    if (parentExe !== undefined) parent.executable = unescapeLaurel(parentExe);
    const parentEventId = getStr(ppidInfo, "EVENT_ID");
    if (parentEventId !== undefined) parent.entityId = `${host}:${parentEventId}`;
    event.parent = parent;
  }

  return { kind: "event", event, line: record.line };
};

export const laurelDecoder: JsonDecoder = {
  format: "laurel",
  // An `ID` of laurel's SEC.MS:SERIAL shape and at least one audit record key: no other source looks so.
  matches: (value) =>
    isObj(value) &&
    typeof value["ID"] === "string" &&
    (isObj(value["SYSCALL"]) || (parseId(value["ID"]) !== undefined && recordTypesOf(value).length > 0)),
  decode: (value, record, ctx) => {
    try {
      return decodeLaurel(value, record, ctx);
    } catch (error) {
      // Nothing above should throw on parsed JSON; this keeps a bug from failing a whole batch (DESIGN §7).
      return malformed(
        record,
        `laurel: cannot decode: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  },
};
