import type { DecodeContext, DecodeOutput, JsonDecoder, RawRecord } from "../decoder.js";
import { malformed, skipped } from "../decoder.js";
import type { ExecEvent, ExecParent, ExecProcess } from "../exec-event.js";
import {
  getArr,
  getObj,
  getStr,
  isObj,
  type JsonObject,
  MAX_ARGS,
  splitOnSpaces,
  toInt,
  toNum,
} from "./json-access.js";

/**
 * osquery scheduled-query results of the `process_events` table (Audit-based; `bpf_process_events`, the eBPF
 * table, has the same columns plus `json_cmdline`), as the filesystem, Kinesis and Firehose logger plugins
 * write them: one JSON object per line, `{name, hostIdentifier, calendarTime, unixTime, epoch, counter,
 * numerics, columns: {...}, action: "added"}`.
 *
 * One line is one row only in the logger's *event* format (`--logger_event_type=true`, the default; for
 * snapshot queries `--logger_snapshot_event_type=true`). The batch format (`diffResults: {added, removed}`)
 * and snapshot results (`snapshot: [...]`) put many rows on one line, while a JsonDecoder returns one output
 * per record: `osqueryDecoder.decode` reports such a line as malformed, with the flag to set, when it holds
 * process rows (skipped when it holds none). `decodeOsqueryResult` expands them, for a caller that accepts
 * many outputs per record.
 *
 * Traps: every column value is a string unless `numerics` is true; `parent` is "" (or "-1") when osquery
 * could not tell, `cwd` is "" when the audit rules do not log it; `cmdline` is the arguments joined with
 * spaces, without quoting, so an argument holding a space splits in two (`json_cmdline`, selected
 * explicitly from `bpf_process_events`, keeps the argv); times are epoch seconds. The query must select
 * `pid`, `path` and `cmdline` (`SELECT *` does): a row without them is not recognised as an exec.
 */

// A scheduled query of another table (socket_events, file_events, ...) lacks one of these.
const EXEC_COLUMNS = ["path", "pid", "cmdline"] as const;
// `syscall` (Linux) also reports fork, vfork and clone when `--audit_allow_fork_process_events` is set.
const EXEC_SYSCALLS: ReadonlySet<string> = new Set(["execve", "execveat"]);
// Epoch seconds stay below this until the year 5138; a larger value was converted to ms on the way.
const MS_THRESHOLD = 1e11;

// Keeps a hostile value from blowing up a reason string that ends up in logs.
const quote = (text: string): string => JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);

const nonEmpty = (text: string | undefined): string | undefined =>
  text === undefined || text === "" ? undefined : text;

/** A column as text: osquery writes strings, or numbers when `numerics` is true. */
const colText = (columns: JsonObject, key: string): string | undefined => {
  const value = columns[key];
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
};

/** Epoch ms from epoch seconds (string or number); already-ms values are kept. */
const toEpochMsFromSeconds = (value: unknown): number | undefined => {
  const n = toNum(value);
  if (n === undefined || n < 0) return undefined;
  return n >= MS_THRESHOLD ? Math.trunc(n) : Math.trunc(n * 1000);
};

/** `undefined` when the row is an exec, else why it is skipped. */
const whyNotExec = (columns: JsonObject, queryName: string): string | undefined => {
  for (const key of EXEC_COLUMNS) {
    if (columns[key] === undefined) {
      return `osquery: a row of query ${quote(queryName)} is not a process exec (no ${key} column)`;
    }
  }
  const syscall = nonEmpty(colText(columns, "syscall"));
  if (syscall !== undefined && !EXEC_SYSCALLS.has(syscall)) {
    return `osquery: syscall ${quote(syscall)} is not an exec`;
  }
  // bpf_process_events: the return value of the exec syscall.
  const exitCode = nonEmpty(colText(columns, "exit_code"));
  if (exitCode !== undefined && exitCode !== "0") return "osquery: failed exec";
  return undefined;
};

type Args = { args: string[]; truncated: boolean };

const splitCmdline = (cmdline: string): Args => splitOnSpaces(cmdline);

/** `json_cmdline` (bpf_process_events) is a JSON array of the argv; `undefined` when absent or not that. */
const jsonArgs = (columns: JsonObject): Args | undefined => {
  const raw = columns["json_cmdline"];
  if (typeof raw !== "string" || raw === "" || raw.length > 256 * 1024) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const args: string[] = [];
  for (const entry of parsed.slice(0, MAX_ARGS)) {
    if (typeof entry !== "string") return undefined;
    args.push(entry);
  }
  return { args, truncated: parsed.length > MAX_ARGS };
};

/** One result row (`columns`) of a log line (`line`: the header with name, hostIdentifier, times). */
const decodeRow = (
  line: JsonObject,
  columns: JsonObject,
  action: string | undefined,
  record: RawRecord,
  ctx: DecodeContext,
): DecodeOutput => {
  // A removed row is an event that left the query's result set, not a new exec.
  if (action === "removed") return skipped(record, "osquery: a removed row is not a new exec");
  if (action !== undefined && action !== "added" && action !== "snapshot") {
    return malformed(record, `osquery: action ${quote(action)} is not added, removed or snapshot`);
  }
  const queryName = getStr(line, "name") ?? "";
  const notExec = whyNotExec(columns, queryName);
  if (notExec !== undefined) return skipped(record, notExec);

  const pidText = colText(columns, "pid");
  const pid = toInt(pidText);
  if (pid === undefined) return malformed(record, "osquery: columns.pid is not a number");

  const executable = columns["path"];
  if (typeof executable !== "string") return malformed(record, "osquery: columns.path is not a string");
  if (executable === "") return malformed(record, "osquery: columns.path is empty");

  const cmdline = columns["cmdline"];
  if (typeof cmdline !== "string") return malformed(record, "osquery: columns.cmdline is not a string");

  // "" or -1 when osquery could not tell the parent: 0 stands for "unknown" (DESIGN §3), and the event is
  // still evaluated for the utility's own location.
  let ppid = 0;
  const parentText = colText(columns, "parent");
  if (parentText !== undefined && parentText !== "" && parentText !== "-1") {
    const parsed = toInt(parentText);
    if (parsed === undefined) return malformed(record, "osquery: columns.parent is not a number");
    ppid = parsed;
  } else if (parentText === undefined && columns["parent"] !== undefined) {
    return malformed(record, "osquery: columns.parent is not a number");
  }

  // The row's own time is the exec; unixTime is when the query ran (up to its interval later).
  const rowTime = columns["time"];
  let time: number | undefined;
  if (rowTime !== undefined && rowTime !== "") {
    time = toEpochMsFromSeconds(rowTime);
    if (time === undefined) return malformed(record, "osquery: columns.time is not epoch seconds");
  } else {
    const unixTime = line["unixTime"];
    if (unixTime === undefined) return malformed(record, "osquery: neither columns.time nor unixTime");
    time = toEpochMsFromSeconds(unixTime);
    if (time === undefined) return malformed(record, "osquery: unixTime is not epoch seconds");
  }

  const read = jsonArgs(columns) ?? splitCmdline(cmdline);
  const host =
    nonEmpty(getStr(line, "hostIdentifier")) ??
    nonEmpty(getStr(getObj(line, "decorations"), "hostname")) ??
    ctx.defaultHost;

  const process: ExecProcess = { pid, ppid, executable, args: read.args };
  // bpf_process_events: probe_error 1 when a buffer (argv, path) could not be captured whole.
  if (read.truncated || colText(columns, "probe_error") === "1") process.argsTruncated = true;
  const cwd = nonEmpty(getStr(columns, "cwd"));
  if (cwd !== undefined) process.cwd = cwd;

  // The query name keeps two queries' rows apart; pid and the row's time identify the exec, and the path
  // (last: it may hold ':') separates two execs of one pid in the same second. `eid`, a hidden column unique
  // per subscriber, takes the path's place when the query selects it. `counter` is left out on purpose: it
  // numbers the query's runs, so a snapshot query that reports the same event on every run would get a new
  // id each time, and the id must stay the same for the same event (it keys idempotency).
  const eid = nonEmpty(colText(columns, "eid"));
  const eventId = `${host}:${queryName}:${pid}:${time}:${eid ?? executable}`;

  const event: ExecEvent = {
    host: { name: host },
    user: {},
    process,
    time,
    source: { format: "osquery", eventId },
  };
  const uid = nonEmpty(colText(columns, "uid"));
  if (uid !== undefined) event.user.id = uid;
  const auid = nonEmpty(colText(columns, "auid"));
  if (auid !== undefined) event.user.auditId = auid;
  if (ppid > 0) {
    // osquery names the parent's pid only: its image comes from the lineage store.
    const parent: ExecParent = { pid: ppid };
    event.parent = parent;
  }
  return { kind: "event", event, line: record.line };
};

type Rows = { rows: readonly unknown[]; action: string | undefined }[];

/** The rows of a batch (`diffResults`) or snapshot (`snapshot`) line; `undefined` for an event-format line. */
const batchRows = (value: JsonObject): Rows | undefined => {
  const diff = getObj(value, "diffResults");
  if (diff !== undefined) {
    return [
      { rows: getArr(diff, "added") ?? [], action: "added" },
      { rows: getArr(diff, "removed") ?? [], action: "removed" },
    ];
  }
  const snapshot = getArr(value, "snapshot");
  if (snapshot !== undefined) return [{ rows: snapshot, action: "snapshot" }];
  return undefined;
};

const decodeOne = (value: unknown, record: RawRecord, ctx: DecodeContext): DecodeOutput => {
  if (!isObj(value)) return malformed(record, "osquery: record is not a JSON object");
  const batch = batchRows(value);
  if (batch !== undefined) {
    let rows = 0;
    let execs = 0;
    const queryName = getStr(value, "name") ?? "";
    for (const group of batch) {
      for (const row of group.rows) {
        rows++;
        if (group.action !== "removed" && isObj(row) && whyNotExec(row, queryName) === undefined) execs++;
      }
    }
    if (execs === 0) {
      return skipped(record, `osquery: a batch of query ${quote(queryName)} holds no process exec`);
    }
    const flag = getArr(value, "snapshot") !== undefined ? "logger_snapshot_event_type" : "logger_event_type";
    return malformed(
      record,
      `osquery: ${rows} rows in one line (batch format): set --${flag}=true so that each row is its own line`,
    );
  }
  const columns = value["columns"];
  if (!isObj(columns)) {
    return malformed(
      record,
      `osquery: ${columns === undefined ? "columns is missing" : "columns is not an object"}`,
    );
  }
  const action = value["action"];
  if (action !== undefined && typeof action !== "string") {
    return malformed(record, "osquery: action is not a string");
  }
  return decodeRow(value, columns, action, record, ctx);
};

const cannotDecode = (record: RawRecord, error: unknown): DecodeOutput =>
  // Nothing here should throw on parsed JSON; this keeps a bug from failing a whole batch (DESIGN §7).
  malformed(record, `osquery: cannot decode: ${error instanceof Error ? error.message : String(error)}`);

/**
 * Every output of one osquery line: one for an event-format line, one per row of a batch or snapshot line
 * (all at the line's position). For a caller that accepts many outputs per record.
 */
export function decodeOsqueryResult(
  value: unknown,
  record: RawRecord,
  ctx: DecodeContext,
  out: DecodeOutput[],
): void {
  try {
    const batch = isObj(value) ? batchRows(value) : undefined;
    if (batch === undefined || !isObj(value)) {
      out.push(decodeOne(value, record, ctx));
      return;
    }
    let any = false;
    for (const group of batch) {
      for (const row of group.rows) {
        any = true;
        out.push(
          isObj(row)
            ? decodeRow(value, row, group.action, record, ctx)
            : malformed(record, "osquery: a result row is not an object"),
        );
      }
    }
    if (!any) out.push(skipped(record, "osquery: a batch without rows"));
  } catch (error) {
    out.push(cannotDecode(record, error));
  }
}

export const osqueryDecoder: JsonDecoder = {
  format: "osquery",
  matches: (value) =>
    isObj(value) &&
    typeof value["name"] === "string" &&
    (typeof value["hostIdentifier"] === "string" || value["unixTime"] !== undefined) &&
    (isObj(value["columns"]) || isObj(value["diffResults"]) || Array.isArray(value["snapshot"])),
  decode: (value, record, ctx) => {
    try {
      return decodeOne(value, record, ctx);
    } catch (error) {
      return cannotDecode(record, error);
    }
  },
  decodeAll: decodeOsqueryResult,
};
