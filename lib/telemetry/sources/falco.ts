import { Buffer } from "node:buffer";
import type { DecodeContext, DecodeOutput, JsonDecoder, RawRecord } from "../decoder.js";
import { malformed, skipped } from "../decoder.js";
import type { ExecAncestor, ExecEvent, ExecParent, ExecProcess } from "../exec-event.js";
import { getObj, getStr, isObj, type JsonObject, MAX_ARGS, toInt } from "./json-access.js";

/**
 * Falco JSON alerts (`json_output: true` on stdout or a file, and what falcosidekick forwards): `rule`,
 * `priority`, `output`, `time` (RFC 3339 with nanoseconds), `hostname` (Falco ≥ 0.32), `source`, `tags`, and
 * `output_fields`, which holds exactly the fields the rule's output names, nothing else. The stock rules name
 * neither `proc.pid` nor `proc.ppid`: Falco has to be told to emit them (rule outputs or `append_output`),
 * with `proc.exepath`, `proc.cmdline`, `proc.pexepath`, `proc.pcmdline`, and `proc.aexepath[n]` for ancestors.
 *
 * Which alerts are execs. With `evt.type` in the output, exactly the execve/execveat exit events (what the
 * stock `spawned_process` macro selects). Without it, an alert is taken for a spawn when its rule name or a
 * tag mentions spawn, exec (which covers `mitre_execution`), launch or shell, and the output names no `fd.*`
 * or `evt.arg*` field: those belong to file and network events ("Contact K8S API Server From Container"
 * names the process but reports a connection). A non-spawn alert misread as one would be harmless (the
 * process's own exec already told lineage the same thing); a spawn missed is a lost detection.
 *
 * A spawn alert whose output lacks `proc.pid` or every executable field is a configuration gap, not a broken
 * record: it is skipped with a reason that names the missing fields and the fields to configure (the stock
 * alerts in the upstream samples are all like that), while a field of the wrong type is malformed.
 */

const NA = "<NA>";
const EXEC_TYPES: ReadonlySet<string> = new Set(["execve", "execveat"]);
const SPAWN_WORDS = /spawn|exec|launch|shell/i;
// The falco drivers read at most this many bytes of argv, NULs included (MAX_PROC_ARG_ENV); a command line
// that fills it was cut, and Falco writes no marker.
const FALCO_ARGS_LIMIT = 4096;
// Ancestors beyond the parent that lineage keeps (process-record MAX_DEPTH): proc.aexepath[2] … [17].
const MAX_ANCESTOR_INDEX = 17;
const ANCESTOR_FIELD = /^proc\.a(exepath|exe|name|pid|cmdline)\[(\d{1,2})\]$/;
const CONFIGURE =
  "configure the rule output (or append_output) to include proc.pid, proc.ppid, proc.exepath, proc.cmdline, " +
  "proc.pexepath and proc.pcmdline";

// Keeps a hostile value from blowing up a reason string that ends up in logs.
const quote = (text: string): string => JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);

/** A field's value; Falco writes `<NA>` (older versions), null or "" for a field without a value. */
const fieldOf = (fields: JsonObject, key: string): unknown => {
  const value = fields[key];
  return value === null || value === NA || value === "" ? undefined : value;
};

const strOf = (fields: JsonObject, key: string): string | undefined => {
  const value = fieldOf(fields, key);
  return typeof value === "string" ? value : undefined;
};

/** A non-negative integer field; -1 (`user.loginuid` unset) and other negatives count as absent. */
const intOf = (fields: JsonObject, key: string): number | undefined => toInt(fieldOf(fields, key));

// --- Times --------------------------------------------------------------------------------------------------

/** An epoch as exact nanoseconds (decimal string) and as milliseconds. */
export interface EpochTime {
  ns: string;
  ms: number;
}

const NS_PER_MS = 1_000_000n;
// Past the year 275760 Date cannot represent it; nothing real is.
const MAX_MS = 8.64e15;
const DECIMAL = /^(\d{1,20})(?:\.(\d{1,30}))?$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,30}))?(Z|z|[+-]\d{2}:?\d{2})$/;

const fromNs = (ns: bigint): EpochTime | undefined => {
  const ms = Number(ns / NS_PER_MS);
  return ms > MAX_MS ? undefined : { ns: ns.toString(), ms };
};

const scaledFraction = (fraction: string | undefined, digits: number): bigint =>
  digits === 0 || fraction === undefined ? 0n : BigInt(fraction.slice(0, digits).padEnd(digits, "0"));

/**
 * A decimal epoch in seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude (seconds
 * below 1e11, i.e. before the year 5138; ms below 1e14; µs below 1e17; else ns). BigInt throughout: a
 * nanosecond epoch is past 2^53, so a float would change its last digits and, near a millisecond boundary,
 * the millisecond.
 */
export function epochFromDecimal(text: string): EpochTime | undefined {
  const m = DECIMAL.exec(text);
  if (m === null) return undefined;
  const whole = BigInt(m[1]!);
  let scale: bigint;
  let digits: number;
  if (whole < 100_000_000_000n) [scale, digits] = [1_000_000_000n, 9];
  else if (whole < 100_000_000_000_000n) [scale, digits] = [1_000_000n, 6];
  else if (whole < 100_000_000_000_000_000n) [scale, digits] = [1_000n, 3];
  else [scale, digits] = [1n, 0];
  return fromNs(whole * scale + scaledFraction(m[2], digits));
}

/** RFC 3339 with up to nanoseconds (Falco `time`), exactly. */
export function epochFromIso(text: string): EpochTime | undefined {
  if (text.length > 64) return undefined;
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return undefined;
  let ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const zone = m[8]!;
  if (zone !== "Z" && zone !== "z") {
    const sign = zone[0] === "-" ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return fromNs(BigInt(ms) * NS_PER_MS + scaledFraction(m[7], 9));
}

// `"evt.time": 1685022245478445995` in the raw text: a key (a quote inside a JSON string is escaped, so an
// unescaped `"evt.time"` followed by a colon can only be a key). Linear: no nested quantifiers.
const RAW_NUMBER: Readonly<Record<string, RegExp>> = {
  "evt.time": /"evt\.time"\s*:\s*(\d{1,30})(?![\d.eE])/g,
  "evt.rawtime": /"evt\.rawtime"\s*:\s*(\d{1,30})(?![\d.eE])/g,
};

/**
 * The digits a JSON number was written with. JSON.parse turns a nanosecond epoch into the nearest double,
 * which has lost its last digits; the record's text still has them.
 */
const rawDigits = (text: string, key: string, parsed: number): string | undefined => {
  const pattern = RAW_NUMBER[key];
  if (pattern === undefined) return undefined;
  for (const m of text.matchAll(pattern)) if (Number(m[1]) === parsed) return m[1];
  return undefined;
};

/** An epoch field as Falco may write it: ns as a number or string, seconds with a fraction, or RFC 3339. */
const epochOf = (value: unknown, key: string, record: RawRecord): EpochTime | undefined => {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) return undefined;
    if (Number.isSafeInteger(value)) return epochFromDecimal(String(value));
    if (Number.isInteger(value)) {
      return epochFromDecimal(rawDigits(record.text, key, value) ?? BigInt(value).toString());
    }
    return epochFromDecimal(String(value));
  }
  if (typeof value !== "string" || value.length > 64) return undefined;
  return epochFromDecimal(value) ?? epochFromIso(value);
};

// --- Arguments ----------------------------------------------------------------------------------------------

type Args = { args: string[]; truncated: boolean };

/** Falco joins arguments with single spaces and quotes nothing: splitting on spaces is all there is. */
const splitSpaces = (text: string, into: string[]): boolean => {
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf(" ", start);
    if (end < 0) end = text.length;
    if (end > start) {
      if (into.length === MAX_ARGS) return true;
      into.push(text.slice(start, end));
    }
    start = end + 1;
  }
  return false;
};

/**
 * argv from `proc.args` (argv after argv[0]) or `proc.cmdline` (`proc.name` + " " + `proc.args`, where
 * `proc.name` is the comm: the basename cut at 15 bytes). argv[0] is `proc.exe` (the real argv[0]) when the
 * output has it, else the cmdline's first word.
 */
const argvOf = (
  cmdline: string | undefined,
  argsField: string | undefined,
  name: string | undefined,
  argv0Field: string | undefined,
): Args => {
  const args: string[] = [];
  let rest: string;
  let first: string | undefined;
  if (argsField !== undefined) {
    first = argv0Field ?? name;
    rest = argsField;
  } else if (cmdline !== undefined) {
    if (name !== undefined && (cmdline === name || cmdline.startsWith(`${name} `))) {
      first = name;
      rest = cmdline.slice(name.length + 1);
    } else {
      const space = cmdline.indexOf(" ");
      first = space < 0 ? cmdline : cmdline.slice(0, space);
      rest = space < 0 ? "" : cmdline.slice(space + 1);
    }
    if (argv0Field !== undefined) first = argv0Field;
  } else {
    return { args: argv0Field !== undefined ? [argv0Field] : [], truncated: false };
  }
  if (first !== undefined && first !== "") args.push(first);
  let truncated = splitSpaces(rest, args);
  const bytes = Buffer.byteLength(first ?? "") + 1 + Buffer.byteLength(rest) + 1;
  if (rest.length > 0 && bytes >= FALCO_ARGS_LIMIT) truncated = true;
  return { args, truncated };
};

// --- Which alerts are execs ---------------------------------------------------------------------------------

/** `undefined` when the alert reports a process spawn, else why it is skipped. */
const whyNotExec = (value: JsonObject, fields: JsonObject, rule: string): string | undefined => {
  const source = getStr(value, "source");
  if (source !== undefined && source !== "syscall") return `falco: source ${quote(source)} is not syscall`;
  const type = fieldOf(fields, "evt.type");
  if (type !== undefined) {
    if (typeof type !== "string" || !EXEC_TYPES.has(type))
      return `falco: evt.type ${typeof type === "string" ? quote(type) : `of type ${typeof type}`} is not an exec`;
    if (fieldOf(fields, "evt.dir") === ">") return "falco: execve enter event";
    const res = fieldOf(fields, "evt.res");
    const rawres = fieldOf(fields, "evt.rawres");
    if (
      (typeof res === "string" && res !== "SUCCESS") ||
      (rawres !== undefined && rawres !== 0 && rawres !== "0")
    )
      return "falco: failed execve";
    return undefined;
  }
  for (const key in fields) {
    if (key.startsWith("fd.") || key.startsWith("evt.arg"))
      return `falco: rule ${quote(rule)} reports a file or network event (${quote(key)}), not a process spawn`;
  }
  if (SPAWN_WORDS.test(rule)) return undefined;
  const tags = value["tags"];
  if (Array.isArray(tags)) {
    for (const tag of tags) if (typeof tag === "string" && SPAWN_WORDS.test(tag)) return undefined;
  }
  return `falco: rule ${quote(rule)} is not a process-spawn rule (add evt.type to its output to decide)`;
};

// --- Lineage ------------------------------------------------------------------------------------------------

interface AncestorFields {
  exepath?: string;
  exe?: string;
  name?: string;
  pid?: number;
  cmdline?: string;
}

/** `proc.aexepath[n]` & co. by n, for n = 1 (the parent) … MAX_ANCESTOR_INDEX; read only when present. */
const ancestorFields = (fields: JsonObject): Map<number, AncestorFields> | undefined => {
  let byIndex: Map<number, AncestorFields> | undefined;
  for (const key in fields) {
    if (!key.startsWith("proc.a") || !key.endsWith("]")) continue;
    const m = ANCESTOR_FIELD.exec(key);
    if (m === null) continue;
    const index = Number(m[2]);
    if (index < 1 || index > MAX_ANCESTOR_INDEX) continue;
    byIndex ??= new Map();
    let entry = byIndex.get(index);
    if (entry === undefined) {
      entry = {};
      byIndex.set(index, entry);
    }
    const kind = m[1]!;
    if (kind === "pid") {
      const pid = intOf(fields, key);
      if (pid !== undefined) entry.pid = pid;
    } else {
      const text = strOf(fields, key);
      if (text !== undefined) entry[kind as "exepath" | "exe" | "name" | "cmdline"] = text;
    }
  }
  return byIndex;
};

const ancestorsOf = (byIndex: Map<number, AncestorFields> | undefined): ExecAncestor[] | undefined => {
  if (byIndex === undefined) return undefined;
  const out: ExecAncestor[] = [];
  // Index order, nearest first; an index the output does not name is skipped (lineage cannot use a node
  // without an executable), so a sparse output shifts depths but keeps order.
  for (let index = 2; index <= MAX_ANCESTOR_INDEX; index++) {
    const entry = byIndex.get(index);
    const executable = entry?.exepath ?? entry?.exe ?? entry?.name;
    if (entry === undefined || executable === undefined) continue;
    const ancestor: ExecAncestor = { executable };
    if (entry.pid !== undefined) ancestor.pid = entry.pid;
    if (entry.cmdline !== undefined)
      ancestor.args = argvOf(entry.cmdline, undefined, entry.name, entry.exe).args;
    out.push(ancestor);
  }
  return out.length > 0 ? out : undefined;
};

// --- Decoding -----------------------------------------------------------------------------------------------

const NEGATIVE = /^-\d{1,16}$/;

/** Present but neither a non-negative integer nor a negative one (Falco writes -1 for "none"). */
const wrongType = (fields: JsonObject, key: string): boolean => {
  const value = fieldOf(fields, key);
  if (value === undefined || toInt(value) !== undefined) return false;
  if (typeof value === "number") return !(Number.isInteger(value) && value < 0);
  return !(typeof value === "string" && NEGATIVE.test(value));
};

const decodeFalco = (value: unknown, record: RawRecord, ctx: DecodeContext): DecodeOutput => {
  if (!isObj(value)) return malformed(record, "falco: record is not a JSON object");
  const fields = getObj(value, "output_fields");
  if (fields === undefined)
    return malformed(
      record,
      `falco: output_fields ${value["output_fields"] === undefined ? "is missing" : "is not an object"}`,
    );
  const rawRule = value["rule"];
  if (rawRule !== undefined && typeof rawRule !== "string")
    return malformed(record, "falco: rule is not a string");
  const rule = typeof rawRule === "string" ? rawRule : "";

  const notExec = whyNotExec(value, fields, rule);
  if (notExec !== undefined) return skipped(record, notExec);

  for (const key of ["proc.pid", "proc.ppid"]) {
    if (wrongType(fields, key)) return malformed(record, `falco: output_fields.${key} is not a number`);
  }
  for (const key of ["proc.exepath", "proc.exe", "proc.name", "proc.cmdline", "proc.args"]) {
    const field = fieldOf(fields, key);
    if (field !== undefined && typeof field !== "string")
      return malformed(record, `falco: output_fields.${key} is not a string`);
  }
  const pid = intOf(fields, "proc.pid");
  const exepath = strOf(fields, "proc.exepath");
  const exe = strOf(fields, "proc.exe");
  const name = strOf(fields, "proc.name");
  const executable = exepath ?? exe ?? name;
  if (pid === undefined || executable === undefined) {
    const missing = [
      ...(pid === undefined ? ["proc.pid"] : []),
      ...(executable === undefined ? ["proc.exepath (or proc.exe, proc.name)"] : []),
    ];
    return skipped(
      record,
      `falco: rule ${quote(rule)}: output_fields lack ${missing.join(", ")}; ${CONFIGURE}`,
    );
  }

  // Time: evt.time (ns), evt.rawtime, else the alert's `time`; the exact nanoseconds go into the event id.
  let time: EpochTime | undefined;
  for (const key of ["evt.time", "evt.rawtime"]) {
    const raw = fieldOf(fields, key);
    if (raw !== undefined) time = epochOf(raw, key, record);
    if (time !== undefined) break;
  }
  if (time === undefined) {
    const stamp = getStr(value, "time");
    if (stamp !== undefined) time = epochFromIso(stamp);
  }
  if (time === undefined) return malformed(record, "falco: no usable time (output_fields.evt.time, time)");

  const host = getStr(value, "hostname") || ctx.defaultHost;
  const ancestry = ancestorFields(fields);
  const fromParentIndex = ancestry?.get(1);
  const ppid = intOf(fields, "proc.ppid") ?? fromParentIndex?.pid ?? 0;

  const argv = argvOf(strOf(fields, "proc.cmdline"), strOf(fields, "proc.args"), name, exe);
  const process: ExecProcess = {
    pid,
    ppid,
    executable,
    args: argv.args.length > 0 ? argv.args : [executable],
  };
  if (argv.truncated) process.argsTruncated = true;
  const cwd = strOf(fields, "proc.cwd");
  if (cwd !== undefined) process.cwd = cwd;

  const event: ExecEvent = {
    host: { name: host },
    user: {},
    process,
    time: time.ms,
    // No exec id in Falco: the rule, the exact nanosecond and the pid name one alert.
    source: { format: "falco", eventId: `${host}:${rule}:${time.ns}:${pid}` },
  };

  const containerId = strOf(fields, "container.id");
  if (containerId !== undefined && containerId !== "host") {
    const repository = strOf(fields, "container.image.repository");
    const tag = strOf(fields, "container.image.tag");
    const image =
      strOf(fields, "container.image") ??
      (repository === undefined ? undefined : tag === undefined ? repository : `${repository}:${tag}`);
    event.container = image === undefined ? { id: containerId } : { id: containerId, image };
  }

  const userName = strOf(fields, "user.name");
  if (userName !== undefined) event.user.name = userName;
  const uid = intOf(fields, "user.uid");
  if (uid !== undefined) event.user.id = String(uid);
  const loginUid = intOf(fields, "user.loginuid");
  if (loginUid !== undefined) event.user.auditId = String(loginUid);

  // The parent: full path first, then argv[0], then the comm; pcmdline keeps its args (a script run by `sh`).
  const parentExe =
    strOf(fields, "proc.pexepath") ??
    fromParentIndex?.exepath ??
    strOf(fields, "proc.pexe") ??
    fromParentIndex?.exe ??
    strOf(fields, "proc.pname") ??
    fromParentIndex?.name;
  const pcmdline = strOf(fields, "proc.pcmdline") ?? fromParentIndex?.cmdline;
  if (ppid > 0 || parentExe !== undefined || pcmdline !== undefined) {
    const parent: ExecParent = { pid: ppid };
    if (parentExe !== undefined) parent.executable = parentExe;
    if (pcmdline !== undefined) {
      const pname = strOf(fields, "proc.pname") ?? fromParentIndex?.name;
      const pexe = strOf(fields, "proc.pexe") ?? fromParentIndex?.exe;
      parent.args = argvOf(pcmdline, undefined, pname, pexe).args;
    }
    event.parent = parent;
  }
  const ancestors = ancestorsOf(ancestry);
  if (ancestors !== undefined) event.ancestors = ancestors;

  return { kind: "event", event, line: record.line };
};

export const falcoDecoder: JsonDecoder = {
  format: "falco",
  matches: (value) =>
    isObj(value) &&
    isObj(value["output_fields"]) &&
    typeof value["rule"] === "string" &&
    (typeof value["output"] === "string" || typeof value["priority"] === "string"),
  decode: (value, record, ctx) => {
    try {
      return decodeFalco(value, record, ctx);
    } catch (error) {
      // Nothing above should throw on parsed JSON; this keeps a bug from failing a whole batch (DESIGN §7).
      return malformed(
        record,
        `falco: cannot decode: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  },
};
