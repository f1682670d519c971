/**
 * The native format: our own schema, for producers that can write exactly what we need (a custom eBPF
 * agent, a converter from a source we do not decode). One JSON object per line; it is the ExecEvent shape
 * (lib/telemetry/exec-event.ts) plus a version marker. Unknown keys are ignored, so a producer may add its
 * own. Absent optional fields are omitted: `null` is rejected, not read as absent.
 *
 *   schema            required  "netutil-detector/exec@1" — the marker `--format auto` recognises
 *   time              required  event time: epoch milliseconds (integer) or ISO-8601 date-time with zone
 *   source.eventId    required  stable id of this event (≤ 512 chars): a redelivered event must carry the
 *                               same one, it keys idempotency. `source.format` is ignored: always "native"
 *   host.name         required  host name (≤ 512 chars); host.id optional (≤ 512)
 *   container         optional  { id (required, ≤ 512), image? (≤ 1024) } when the process runs in one
 *   user              optional  { id? (uid as a string, ≤ 512), name? (≤ 256), auditId? (login uid, ≤ 512) }
 *   process.pid       required  integer ≥ 0
 *   process.ppid      required  integer ≥ 0 (0 when unknown)
 *   process.executable required resolved path of the loaded image (≤ 4096); for a script, the interpreter
 *   process.invokedPath optional path handed to execve when it differs (a symlink, a shebang script)
 *   process.args      required  argv, ≤ 4096 entries of ≤ 131072 chars (Linux MAX_ARG_STRLEN)
 *   process.argsTruncated optional true when the producer cut argv or an argument
 *   process.cwd       optional  working directory (≤ 4096)
 *   process.start     optional  process start, epoch ms or ISO-8601 (guards against PID reuse)
 *   process.entityId  optional  unique id of this process image (≤ 512)
 *   process.script    optional  script file run by an interpreter (≤ 4096)
 *   process.sessionId optional  login session (auditd `ses`), inherited by children; guards against PID reuse
 *   parent            optional  { pid (required), executable?, args?, cwd?, entityId? } — the direct parent
 *   ancestors         optional  ≤ 64 of { pid?, executable (required), args?, cwd? }, nearest first, parent
 *                               excluded when `parent` is set
 *
 * Example (one line):
 * {"schema":"netutil-detector/exec@1","time":"2026-01-05T10:00:00.123Z","source":{"eventId":"web-1:42:7"},"host":{"name":"web-1"},"user":{"id":"33","name":"www-data"},"process":{"pid":4242,"ppid":4241,"executable":"/usr/bin/curl","args":["curl","http://198.51.100.7/x"],"cwd":"/var/www"},"parent":{"pid":4241,"executable":"/tmp/.k"}}
 */
import * as z from "zod";
import type { DecodeOutput, JsonDecoder, RawRecord } from "../decoder.js";
import { malformed } from "../decoder.js";
import type { ExecEvent } from "../exec-event.js";
import { isObj, MAX_ARGS } from "./json-access.js";

export const NATIVE_SCHEMA_ID = "netutil-detector/exec@1";

// Linux limits: PATH_MAX and MAX_ARG_STRLEN. Anything longer is not a real path or argument.
const MAX_PATH = 4096;
const MAX_ARG = 131_072;
const MAX_ID = 512;
const MAX_ANCESTORS = 64;
// Reported issues per record: enough to fix a producer, short enough for a log line.
const MAX_REPORTED_ISSUES = 5;

const pid = z.number().int().min(0).max(0xffff_ffff);
const path = z.string().min(1).max(MAX_PATH);
const id = z.string().min(1).max(MAX_ID);
const args = z.array(z.string().max(MAX_ARG)).max(MAX_ARGS);
// 8.64e15 is the last instant a JS Date can hold.
const epochMs = z.number().int().min(0).max(8.64e15);
const timestamp = z.union([epochMs, z.iso.datetime({ offset: true }).transform((text) => Date.parse(text))], {
  error: "expected epoch ms or an ISO-8601 date-time",
});

export const nativeExecEventSchema = z.object({
  schema: z.literal(NATIVE_SCHEMA_ID),
  time: timestamp,
  source: z.object({ eventId: id }),
  host: z.object({ name: id, id: id.exactOptional() }),
  container: z.object({ id, image: z.string().min(1).max(1024).exactOptional() }).exactOptional(),
  user: z
    .object({
      id: id.exactOptional(),
      name: z.string().min(1).max(256).exactOptional(),
      auditId: id.exactOptional(),
    })
    .exactOptional(),
  process: z.object({
    pid,
    ppid: pid,
    executable: path,
    invokedPath: path.exactOptional(),
    args,
    argsTruncated: z.boolean().exactOptional(),
    cwd: path.exactOptional(),
    start: timestamp.exactOptional(),
    entityId: id.exactOptional(),
    script: path.exactOptional(),
    sessionId: id.exactOptional(),
  }),
  parent: z
    .object({
      pid,
      executable: path.exactOptional(),
      args: args.exactOptional(),
      cwd: path.exactOptional(),
      entityId: id.exactOptional(),
    })
    .exactOptional(),
  ancestors: z
    .array(
      z.object({
        pid: pid.exactOptional(),
        executable: path,
        args: args.exactOptional(),
        cwd: path.exactOptional(),
      }),
    )
    .max(MAX_ANCESTORS)
    .exactOptional(),
});

export type NativeExecEvent = z.output<typeof nativeExecEventSchema>;

const formatPath = (segments: readonly PropertyKey[]): string => {
  let out = "";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out === "" ? "record" : out;
};

/** One reason naming every bad path: "native: process.pid: expected number, received string; time: …". */
const describeIssues = (issues: readonly z.core.$ZodIssue[]): string => {
  const parts = issues
    .slice(0, MAX_REPORTED_ISSUES)
    .map((issue) => `${formatPath(issue.path)}: ${issue.message.replace(/^Invalid input: /, "")}`);
  const more = issues.length > MAX_REPORTED_ISSUES ? `; … ${issues.length - MAX_REPORTED_ISSUES} more` : "";
  return `native: ${parts.join("; ")}${more}`;
};

const toExecEvent = (parsed: NativeExecEvent): ExecEvent => {
  const { schema: _schema, source, user, ...rest } = parsed;
  return { ...rest, user: user ?? {}, source: { format: "native", eventId: source.eventId } };
};

const decodeNative = (value: unknown, record: RawRecord): DecodeOutput => {
  const result = nativeExecEventSchema.safeParse(value);
  if (!result.success) return malformed(record, describeIssues(result.error.issues));
  return { kind: "event", event: toExecEvent(result.data), line: record.line };
};

export const nativeDecoder: JsonDecoder = {
  format: "native",
  matches: (value) => isObj(value) && value["schema"] === NATIVE_SCHEMA_ID,
  // The host is required by the schema: the context's default host plays no part.
  decode: (value, record) => {
    try {
      return decodeNative(value, record);
    } catch (error) {
      // safeParse does not throw on data; this keeps a bug from failing a whole batch (DESIGN §7).
      return malformed(
        record,
        `native: cannot decode: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  },
};
