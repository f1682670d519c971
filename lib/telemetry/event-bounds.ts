import type { ProcessExit } from "./decoder.js";
import type { ExecEvent } from "./exec-event.js";

/**
 * The ranges every decoded value must lie in before it goes anywhere: DynamoDB (lineage records, dedup
 * items), SNS, a formatter. decode-records.ts checks every event and process exit once, whatever its source,
 * so that a value no real source writes costs its one event (malformed, set aside with this reason) and never
 * fails a batch downstream: an ECS `@timestamp` of `1e300` passed every decoder and then failed the dedup
 * UpdateItem with `ValidationException: Number overflow`, on every retry of its batch (issue 10).
 *
 * The ranges are those of the kernel that produced the telemetry, so that nothing a real host can report is
 * refused (a refused event raises no alert), and nothing depends on the clock of the machine that decodes.
 * Lengths are not bounded here: framing.ts bounds a record (MAX_RECORD_BYTES), auditd.ts the text of an event,
 * and the stores and formatters cut what they keep.
 *
 * This runs per event on the hot path: nothing is allocated unless a value is out of range; only then is the
 * reason built.
 */

/**
 * Times, epoch ms: the Linux real-time clock's own range. It cannot be set before the epoch
 * (`timespec64_valid_settod` refuses a negative second) and runs on a signed 64-bit nanosecond count
 * (`ktime_t`), which ends at 2262-04-11T23:47:16.854Z. 0 is in range: it is what a source without a time
 * decodes to (ECS documentation samples), and a host without a real-time clock logs 1970 until NTP sets it.
 * Everything inside is an exact integer in a double (far below 2^53), renders as a date (a Date ends at
 * 8.64e15 ms; beyond, `1e300` rendered as 1970) and is a DynamoDB number.
 */
export const TIME_MIN_MS = 0;
export const TIME_MAX_MS = 9_223_372_036_854;

/**
 * Process ids: Linux caps pid_max at 2^22 (PID_MAX_LIMIT, 4,194,304); pid_t is a signed 32-bit int, so its
 * range is the lenient bound, and any larger pid is forged or garbled. 0 is in range: sources give ppid 0 for
 * "unknown" (and the idle task has pid 0).
 */
export const PID_MAX = 2 ** 31 - 1;

/**
 * Event order (`source.sequence`, the audit serial, an unsigned 32-bit int in the kernel): any non-negative
 * exact integer orders events; beyond 2^53 two serials would compare equal.
 */
export const SEQUENCE_MAX = Number.MAX_SAFE_INTEGER;

/**
 * Host names and ids: a host name is at most 253 characters (DNS; Linux's own is 64), and the stand-ins used
 * when a record names no host are shorter still (a CloudWatch Logs stream name is at most 512, a Kinesis
 * partition key 256). The name keys every lineage record, so it must not be empty either: `""` would merge the
 * processes of every host that lacks one.
 */
export const HOST_MAX_CHARS = 1024;

/** Most characters of a value quoted in a reason: enough to find the record, little for a log line. */
const SHOWN_CHARS = 48;

// String.prototype.isWellFormed is ES2024 (Node 20 has it; the ES2023 lib this project compiles against does
// not declare it). A one-byte string, nearly all telemetry, answers without a scan.
export const isWellFormedText = (text: string): boolean =>
  (text as unknown as { isWellFormed(): boolean }).isWellFormed();
const wellFormed = isWellFormedText;

/** Why the event has a value out of range, naming the field and the value; `undefined` when it has none. */
export function eventOutOfBounds(event: ExecEvent): string | undefined {
  const { process, parent, ancestors, host, user, container, source } = event;
  const reason =
    time("time", event.time) ??
    hostName("host.name", host.name) ??
    (host.id === undefined ? undefined : hostId("host.id", host.id)) ??
    pid("process.pid", process.pid) ??
    pid("process.ppid", process.ppid) ??
    (process.start === undefined ? undefined : time("process.start", process.start)) ??
    text("process.executable", process.executable) ??
    optionalText("process.invokedPath", process.invokedPath) ??
    texts("process.args", process.args) ??
    optionalText("process.cwd", process.cwd) ??
    optionalText("process.entityId", process.entityId) ??
    optionalText("process.script", process.script) ??
    optionalText("process.sessionId", process.sessionId) ??
    optionalText("user.id", user.id) ??
    optionalText("user.name", user.name) ??
    optionalText("user.auditId", user.auditId) ??
    text("source.eventId", source.eventId) ??
    (source.sequence === undefined ? undefined : sequence("source.sequence", source.sequence));
  if (reason !== undefined) return reason;
  if (container !== undefined) {
    const bad = text("container.id", container.id) ?? optionalText("container.image", container.image);
    if (bad !== undefined) return bad;
  }
  if (parent !== undefined) {
    const bad =
      pid("parent.pid", parent.pid) ??
      optionalText("parent.executable", parent.executable) ??
      (parent.args === undefined ? undefined : texts("parent.args", parent.args)) ??
      optionalText("parent.cwd", parent.cwd) ??
      optionalText("parent.entityId", parent.entityId);
    if (bad !== undefined) return bad;
  }
  if (ancestors !== undefined) {
    for (let i = 0; i < ancestors.length; i++) {
      const bad = ancestorOutOfBounds(ancestors[i]!);
      // The index goes into the path only once something is wrong: no string is built per ancestor.
      if (bad !== undefined) return `ancestors[${i}].${bad}`;
    }
  }
  return undefined;
}

/** Why a process exit has a value out of range; `undefined` when it has none. */
export function exitOutOfBounds(exit: ProcessExit): string | undefined {
  return (
    time("exit.time", exit.time) ??
    hostName("exit.host", exit.host) ??
    pid("exit.pid", exit.pid) ??
    optionalText("exit.entityId", exit.entityId)
  );
}

/** Relative to the ancestor: the caller puts `ancestors[i].` in front. */
function ancestorOutOfBounds(ancestor: NonNullable<ExecEvent["ancestors"]>[number]): string | undefined {
  return (
    (ancestor.pid === undefined ? undefined : pid("pid", ancestor.pid)) ??
    text("executable", ancestor.executable) ??
    (ancestor.args === undefined ? undefined : texts("args", ancestor.args)) ??
    optionalText("cwd", ancestor.cwd)
  );
}

/** The epoch-ms range as the reasons state it. */
const TIME_RANGE = `${TIME_MIN_MS}..${TIME_MAX_MS} (epoch ms, 1970-01-01 to 2262-04-11)`;

export const isTimeInRange = (ms: number): boolean => ms >= TIME_MIN_MS && ms <= TIME_MAX_MS; // NaN: false
export const isPidInRange = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= PID_MAX;

/** `time 1e+300 is outside 0..9223372036854 (epoch ms, …)`. */
export const timeOutOfRange = (path: string, ms: number): string => outside(path, ms, TIME_RANGE);
export const pidOutOfRange = (path: string, n: number): string => outside(path, n, `0..${PID_MAX}`);

const time = (path: string, ms: number): string | undefined =>
  isTimeInRange(ms) ? undefined : timeOutOfRange(path, ms);

const pid = (path: string, n: number): string | undefined =>
  isPidInRange(n) ? undefined : pidOutOfRange(path, n);

const sequence = (path: string, n: number): string | undefined =>
  Number.isInteger(n) && n >= 0 && n <= SEQUENCE_MAX
    ? undefined
    : outside(path, n, `0..${SEQUENCE_MAX} (an exact integer)`);

// The value is a number here, but a decoder bug could hand over anything: String() shows NaN, -0 as 0, 1e+300.
const outside = (path: string, value: number, range: string): string =>
  `${path} ${typeof value === "number" ? String(value) : `(${typeof value})`} is outside ${range}`;

const hostName = (path: string, name: string): string | undefined =>
  name.length === 0 ? `${path} is empty` : hostId(path, name);

/** A host id may be empty (no decoder keeps one that is, and none needs it); a host name may not. */
const hostId = (path: string, id: string): string | undefined =>
  id.length > HOST_MAX_CHARS
    ? `${path} is ${id.length} characters long (max ${HOST_MAX_CHARS}): ${shown(id, 0)}`
    : text(path, id);

/**
 * A lone surrogate is invalid Unicode, which UTF-8 cannot encode: Buffer writes U+FFFD in its place (the stored
 * value is not the one matched), and encodeURIComponent, which the SDK's query protocol (SNS) uses, throws.
 */
const text = (path: string, value: string): string | undefined =>
  wellFormed(value) ? undefined : notWellFormed(path, value);

const optionalText = (path: string, value: string | undefined): string | undefined =>
  value === undefined ? undefined : text(path, value);

const texts = (path: string, values: readonly string[]): string | undefined => {
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!wellFormed(value)) return notWellFormed(`${path}[${i}]`, value);
  }
  return undefined;
};

const notWellFormed = (path: string, value: string): string => {
  const at = loneSurrogateAt(value);
  return `${path} ${shown(value, at)} is not well-formed Unicode (lone surrogate at index ${at})`;
};

/** Index of the first lone surrogate of `value`, -1 when it has none. */
export const loneSurrogateAt = (value: string): number => {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const next = i + 1 < value.length ? value.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    return i;
  }
  return -1;
};

/**
 * A window of the value around `at`, quoted, every code unit but printable ASCII written as `\uXXXX`: the
 * reason goes to logs and the quarantine, where hostile text must stay inert (controls, bidi overrides, the
 * lone surrogate itself).
 */
const shown = (value: string, at: number): string => {
  const start = Math.max(0, Math.min(at - SHOWN_CHARS / 2, value.length - SHOWN_CHARS));
  const end = Math.min(value.length, start + SHOWN_CHARS);
  let out = start > 0 ? '"…' : '"';
  for (let i = start; i < end; i++) {
    const c = value.charCodeAt(i);
    out +=
      c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c ? value[i] : `\\u${c.toString(16).padStart(4, "0")}`;
  }
  return `${out}${end < value.length ? '…"' : '"'}`;
};
