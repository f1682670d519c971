/**
 * auditd raw log lines (log_format RAW or ENRICHED) → ExecEvent.
 *
 * The kernel writes one exec as several records (SYSCALL, EXECVE…, CWD, PATH…, PROCTITLE, EOE) that share
 * `msg=audit(SEC.MS:SERIAL)`; records of concurrent events can interleave. Records are grouped per
 * host + stamp + serial, digested on arrival (so a bad value is reported against its own line and a group
 * holds a few strings, not its lines), and a group becomes one output when it completes:
 * - on EOE, or on PROCTITLE once its SYSCALL is in (PROCTITLE is the kernel's last record before EOE, so
 *   log files without EOE, like our ENRICHED capture, still complete without waiting);
 * - when a record of the same host is more than `maxSerialLag` serials ahead, when more than
 *   `maxOpenEvents` groups are open, or when the open argument text exceeds its budget (oldest first);
 * - on flush().
 * With `deferIncomplete` (the Lambda functions, which hold only part of a stream) a group completes on its last
 * record only once it holds everything the verdict reads, nothing completes it early but the memory bounds,
 * and `takeOpen()` hands what is still open to the next invocation (lib/pipeline/pending-events.ts).
 * Records of an already completed group are ignored (a late EOE). Only the record types an exec needs are
 * parsed field by field; the others (BPRM_FCAPS, SOCKADDR, CONFIG_CHANGE, USER_*, AVC, …) are checked
 * for binary bytes and otherwise only move the serial window.
 */
import type { DecodeContext, DecodeOutput, Decoder, RawRecord } from "../decoder.js";
import { malformed } from "../decoder.js";
import { isPidInRange, isWellFormedText, loneSurrogateAt, pidOutOfRange } from "../event-bounds.js";
import { flatString } from "../flat-string.js";
import { StringPool } from "../string-pool.js";
import { type FieldLookup, KeptFields } from "./auditd-fields.js";
import {
  type AuditFragment,
  buildFragment,
  fragmentState,
  newFragment,
  type SyscallFacts,
} from "./auditd-fragment.js";
import {
  type AuditBody,
  type AuditHeader,
  type BodySelection,
  checkAuditChars,
  FieldTokens,
  fieldMaps,
  MAX_AUDIT_LINE_CHARS,
  parseAuditHeader,
  readAuditHeader,
  readsTranslations,
  scanAuditBody,
} from "./auditd-record.js";
import {
  BadValue,
  decodeProctitle,
  decodeUntrusted,
  isHexText,
  parseDecimal,
  type RecordValues,
  untrustedField,
} from "./auditd-values.js";

export const AUDITD_LIMITS = {
  /**
   * The kernel takes a serial when it starts writing an event and writes all its records in one go, so
   * records of one event lie within a few serials of each other; only other CPUs' events interleave.
   * Auditbeat's reassembler keeps 50 events in flight; 128 serials leaves room for busier hosts.
   */
  maxSerialLag: 128,
  /** Bounds memory whatever the serials do (one host replaying, many hosts in one stream). */
  maxOpenEvents: 512,
  /** Keys of completed events remembered so that their late records (a trailing EOE) are dropped quietly. */
  recentKeys: 2048,
  /** A real exec has fewer than ten records, plus one EXECVE per ~7.5 KB of argv (1 MiB ≈ 140 records). */
  maxRecordsPerEvent: 256,
  /** Argument text kept per event (as logged, hex counts double); beyond it the args are cut and flagged. */
  maxArgCharsPerEvent: 1 << 20,
  /** Argument text kept across all open events; over it the oldest events are completed early. */
  maxPendingArgChars: 16 << 20,
  /** Highest argument index kept (a hostile `a99999999=` must not size an array). */
  maxArgIndex: 1 << 17,
  /** Highest chunk index kept for one `aN[i]` argument (a 128 KB argument is about 35 chunks). */
  maxChunksPerArg: 1024,
} as const;

/** EXECVE: every raw field (arguments), no translation. */
const EXECVE_FIELDS: BodySelection = { enriched: [] };

/** Record types the assembler reads field by field, with the fields it keeps (all of EXECVE's). */
const CONSUMED: ReadonlyMap<string, BodySelection> = new Map([
  [
    "SYSCALL",
    {
      keys: ["arch", "syscall", "success", "pid", "ppid", "uid", "auid", "ses", "exe"],
      enriched: ["SYSCALL", "UID"],
    },
  ],
  ["EXECVE", EXECVE_FIELDS],
  ["CWD", { keys: ["cwd"], enriched: [] }],
  ["PATH", { keys: ["item", "name"], enriched: [] }],
  ["PROCTITLE", { keys: ["proctitle"], enriched: [] }],
  ["EOE", { keys: [], enriched: [] }],
]);

/**
 * execve / execveat numbers by audit arch. i386 and arm are there because a 32-bit binary on a 64-bit
 * host execs through the compat table; x32 shares the x86_64 arch with bit 30 set on the number, an old
 * trick to slip past rules and parsers that only know 59 and 322.
 */
const EXEC_SYSCALLS: ReadonlyMap<string, readonly number[]> = new Map([
  ["c000003e", [59, 322, 0x40000000 + 520, 0x40000000 + 545]],
  ["c00000b7", [221, 281]],
  ["40000003", [11, 358]],
  ["40000028", [11, 387]],
]);

const EXEC_NAMES = new Set(["execve", "execveat"]);

interface HostEvents {
  events: Map<string, PendingEvent>;
  /** No open event of the host is due before a serial above this: most records skip the walk. */
  dueAbove: number;
}

type PendingEvent = AuditFragment;

const WHOLE = -1;
const LENGTH = -2;

/** `aN` → part WHOLE, `aN_len` → LENGTH, `aN[i]` → i; anything else is not an argument. */
const parseArgKey = (key: string): { index: number; part: number } | undefined => {
  const n = key.length;
  if (n < 2 || key.charCodeAt(0) !== 0x61) return undefined;
  let i = 1;
  let index = 0;
  while (i < n && i <= 9) {
    const c = key.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    index = index * 10 + (c - 0x30);
    i++;
  }
  if (i === 1 || i > 9) return undefined;
  if (i === n) return { index, part: WHOLE };
  if (key.charCodeAt(i) === 0x5f)
    return n - i === 4 && key.endsWith("_len") ? { index, part: LENGTH } : undefined;
  if (key.charCodeAt(i) !== 0x5b || key.charCodeAt(n - 1) !== 0x5d) return undefined;
  const part = parseDecimal(key.slice(i + 1, n - 1), 9);
  return part === undefined ? undefined : { index, part };
};

const isBlankLine = (text: string): boolean => {
  if (text.length > 0 && text.charCodeAt(0) > 0x20) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return true;
};

/** What the decoder reads of a record: its maps (EXECVE), or the fields it keeps of the others (KeptFields). */
type RecordView = RecordValues & { readonly enriched?: FieldLookup | undefined };

const isExec = (body: RecordView): boolean => {
  const syscall = body.fields.get("syscall");
  if (syscall === undefined) return false;
  const arch = body.fields.get("arch");
  const table = arch === undefined ? undefined : EXEC_SYSCALLS.get(arch.toLowerCase());
  const nr = parseDecimal(syscall);
  if (table !== undefined && nr !== undefined) return table.includes(nr);
  // Unknown arch: ENRICHED's translation, or a log already interpreted by ausearch -i.
  return EXEC_NAMES.has(body.enriched?.get("SYSCALL") ?? syscall);
};

/** ENRICHED writes `unknown(N)` for a uid without a passwd entry: that is not a name. */
const userNameOf = (body: RecordView): string | undefined => {
  const name = body.enriched?.get("UID");
  return name === undefined || name === "" || name.startsWith("unknown(") || name === "unset"
    ? undefined
    : name;
};

/**
 * `deferIncomplete`: the Lambda functions' mode, where an invocation holds only part of the stream and what
 * it cannot complete is carried to the next (lib/pipeline/pending-events.ts). An event is completed on its
 * last record only once it holds everything the verdict reads (auditd-fragment.ts `fragmentState`), the
 * serial window does not complete events (the rest may come in a later, or an earlier but delayed, delivery),
 * and at the end `takeOpen()` hands over what is still open instead of `flush()` judging it half-built.
 */
export interface AuditdDecoderOptions {
  readonly deferIncomplete?: boolean;
}

/** An auditd decoder that can hand over the events it could not complete. */
export interface AuditdDecoder extends Decoder {
  /** The events still open, oldest first; the decoder forgets them. */
  takeOpen(): AuditFragment[];
}

class AuditdRecordDecoder implements AuditdDecoder {
  readonly format = "auditd" as const;
  readonly #defaultHost: string;
  readonly #defer: boolean;
  /** Insertion order is the order in which events are completed early. */
  readonly #open = new Map<string, PendingEvent>();
  readonly #byHost = new Map<string, HostEvents>();
  readonly #recent = new Set<string>();
  readonly #recentRing: string[] = [];
  #recentNext = 0;
  #pendingArgChars = 0;
  /** One copy of each frequent value of the events it builds (string-pool.ts). */
  readonly #strings = new StringPool();
  /** The header of the line being read (auditd-record.ts), reused from line to line. */
  readonly #header: AuditHeader = { type: "", time: 0, stamp: "", serial: 0, bodyStart: 0 };
  /** The last event id built, and what it was built from (#keyOf). */
  readonly #lastKey = { host: "", stamp: "", serial: -1, key: "" };
  /** The fields of the line being read (auditd-record.ts), reused from line to line. */
  readonly #tokens = new FieldTokens();
  /** What it reads of each record type but EXECVE, whose fields it reads all (auditd-fields.ts). */
  readonly #kept = new Map(
    [...CONSUMED].flatMap(([type, s]) =>
      s.keys === undefined ? [] : [[type, new KeptFields(s.keys, s.enriched ?? [])] as const],
    ),
  );

  constructor(ctx: DecodeContext, options: AuditdDecoderOptions = {}) {
    this.#defaultHost = ctx.defaultHost;
    this.#defer = options.deferIncomplete ?? false;
  }

  push(record: RawRecord, out: DecodeOutput[]): void {
    const text = record.text;
    if (isBlankLine(text)) return;
    if (text.length > MAX_AUDIT_LINE_CHARS) {
      this.#damage(parseAuditHeader(text), record.line, out);
      out.push(malformed(record, `record too long (${text.length} characters, max ${MAX_AUDIT_LINE_CHARS})`));
      return;
    }
    const header = this.#header;
    const noHeader = readAuditHeader(text, header);
    if (noHeader !== undefined) {
      out.push(malformed(record, noHeader));
      return;
    }
    if (!isWellFormedText(text)) {
      // auditd writes bytes, and UTF-8 cannot hold a lone surrogate: the line came through JSON (a CloudWatch
      // Logs message, a shipper's wrapper) that forged one. Refused here, the line is set aside whole.
      const at = loneSurrogateAt(text);
      this.#damage(header, record.line, out);
      out.push(malformed(record, `not well-formed Unicode: a lone surrogate at column ${at + 1}`));
      return;
    }
    const host = header.node ?? this.#defaultHost;
    if (!this.#defer) this.#expire(host, header.serial, out);

    const selection = CONSUMED.get(header.type);
    if (selection === undefined) {
      const bad = checkAuditChars(text, header.bodyStart);
      if (bad !== undefined) out.push(malformed(record, bad));
      return;
    }
    const bad = scanAuditBody(text, header, readsTranslations(selection), this.#tokens);
    if (bad !== undefined) {
      this.#damage(header, record.line, out);
      out.push(malformed(record, bad));
      return;
    }
    const key = this.#keyOf(host, header);
    if (this.#recent.has(key)) return;
    if (header.type === "EOE") {
      const done = this.#open.get(key);
      if (done === undefined) return;
      done.tail = true;
      if (!this.#defer || fragmentState(done) === "complete") this.#complete(done, out);
      return;
    }

    const event = this.#eventFor(key, host, header, record.line, out);
    if (++event.records > AUDITD_LIMITS.maxRecordsPerEvent) {
      event.truncated = true;
    } else {
      const problem = this.#digest(event, header.type, text, record.line);
      if (problem !== undefined) out.push(malformed(record, problem));
    }
    if (header.type === "PROCTITLE") {
      event.tail = true;
      const ready = this.#defer ? fragmentState(event) === "complete" : event.syscall !== undefined;
      if (ready && this.#open.has(key)) this.#complete(event, out);
    }
    while (this.#pendingArgChars > AUDITD_LIMITS.maxPendingArgChars) this.#completeOldest(out);
  }

  flush(out: DecodeOutput[]): void {
    while (this.#open.size > 0) this.#completeOldest(out);
  }

  takeOpen(): AuditFragment[] {
    const open = [...this.#open.values()];
    this.#open.clear();
    this.#byHost.clear();
    this.#pendingArgChars = 0;
    return open;
  }

  /** A lost EXECVE or PROCTITLE line leaves its event's args incomplete: say so on the event. */
  #damage(header: AuditHeader | string, line: number, out: DecodeOutput[]): void {
    if (typeof header === "string" || (header.type !== "EXECVE" && header.type !== "PROCTITLE")) return;
    const host = header.node ?? this.#defaultHost;
    const key = this.#keyOf(host, header);
    if (this.#recent.has(key)) return;
    this.#eventFor(key, host, header, line, out).truncated = true;
  }

  /**
   * `${host}:${stamp}:${serial}`, the event's id; the line before's string again when the line is of the same
   * event (most are: the kernel writes an event's records one after the other), so that it is not built, nor
   * hashed for the lookups, once a line. Flat: the event keeps it as its id, and a concatenation would keep
   * the slices it was made of, and their line (hashing it does not flatten it).
   */
  #keyOf(host: string, header: AuditHeader): string {
    const last = this.#lastKey;
    if (last.host !== host || last.stamp !== header.stamp || last.serial !== header.serial) {
      last.host = host;
      last.stamp = header.stamp;
      last.serial = header.serial;
      last.key = flatString(`${host}:${header.stamp}:${header.serial}`);
    }
    return last.key;
  }

  #eventFor(key: string, host: string, header: AuditHeader, line: number, out: DecodeOutput[]): PendingEvent {
    const known = this.#open.get(key);
    if (known !== undefined) return known;
    const event: PendingEvent = newFragment(key, host, header.stamp, header.serial, header.time, line);
    this.#open.set(key, event);
    let hostEvents = this.#byHost.get(host);
    if (hostEvents === undefined) {
      hostEvents = { events: new Map(), dueAbove: Number.POSITIVE_INFINITY };
      this.#byHost.set(host, hostEvents);
    }
    hostEvents.events.set(key, event);
    hostEvents.dueAbove = Math.min(hostEvents.dueAbove, header.serial + AUDITD_LIMITS.maxSerialLag);
    if (this.#open.size > AUDITD_LIMITS.maxOpenEvents) this.#completeOldest(out);
    return event;
  }

  /** Completes the host's events that the serial has left behind (oldest first, in arrival order). */
  #expire(host: string, serial: number, out: DecodeOutput[]): void {
    const hostEvents = this.#byHost.get(host);
    if (hostEvents === undefined || serial <= hostEvents.dueAbove) return;
    let dueAbove = Number.POSITIVE_INFINITY;
    for (const event of hostEvents.events.values()) {
      if (event.serial + AUDITD_LIMITS.maxSerialLag >= serial) {
        dueAbove = event.serial + AUDITD_LIMITS.maxSerialLag;
        break;
      }
      this.#complete(event, out);
    }
    // Events that came out of serial order may sit behind this one; they are caught by a later walk,
    // by maxOpenEvents, or by flush().
    hostEvents.dueAbove = dueAbove;
  }

  #completeOldest(out: DecodeOutput[]): void {
    const oldest = this.#open.values().next();
    if (!oldest.done) this.#complete(oldest.value, out);
  }

  #complete(event: PendingEvent, out: DecodeOutput[]): void {
    this.#open.delete(event.key);
    const hostEvents = this.#byHost.get(event.host);
    if (hostEvents !== undefined) {
      hostEvents.events.delete(event.key);
      if (hostEvents.events.size === 0) this.#byHost.delete(event.host);
    }
    this.#pendingArgChars -= event.argChars;
    this.#remember(event.key);
    out.push(buildFragment(event, undefined, this.#strings));
  }

  #remember(key: string): void {
    const evicted = this.#recentRing[this.#recentNext];
    if (evicted !== undefined) this.#recent.delete(evicted);
    this.#recentRing[this.#recentNext] = key;
    this.#recentNext = (this.#recentNext + 1) % AUDITD_LIMITS.recentKeys;
    this.#recent.add(key);
  }

  /** Counts argument text against the event's and the decoder's budgets; false when it must be dropped. */
  #charge(event: PendingEvent, chars: number): boolean {
    if (event.argChars + chars > AUDITD_LIMITS.maxArgCharsPerEvent) {
      event.truncated = true;
      return false;
    }
    event.argChars += chars;
    this.#pendingArgChars += chars;
    return true;
  }

  /**
   * Keeps what the event needs from one record (`text`, just scanned into #tokens); returns why the record is
   * malformed, if it is.
   */
  #digest(event: PendingEvent, type: string, text: string, line: number): string | undefined {
    if (type === "EXECVE") return this.#digestExecve(event, fieldMaps(text, this.#tokens, EXECVE_FIELDS));
    const body = this.#kept.get(type)?.read(text, this.#tokens);
    if (body === undefined) return undefined;
    switch (type) {
      case "SYSCALL":
        return event.syscall === undefined ? this.#digestSyscall(event, body, line) : undefined;
      case "CWD": {
        const cwd = untrustedField(body, "cwd");
        if (cwd instanceof BadValue) return cwd.reason;
        event.cwd ??= cwd;
        return undefined;
      }
      case "PATH": {
        const name = untrustedField(body, "name");
        if (name instanceof BadValue) return name.reason;
        if (body.fields.get("item") === "0") event.path0 ??= name;
        return undefined;
      }
      case "PROCTITLE": {
        const title = decodeProctitle(body);
        if (title instanceof BadValue) return title.reason;
        event.proctitle ??= title;
        return undefined;
      }
      default:
        return undefined;
    }
  }

  #digestSyscall(event: PendingEvent, body: RecordView, line: number): string | undefined {
    const fields = body.fields;
    const syscall = fields.get("syscall") ?? "(none)";
    const facts: SyscallFacts = {
      line,
      verdict: "other",
      syscall,
      pid: 0,
      ppid: 0,
      uid: undefined,
      auid: undefined,
      ses: undefined,
      userName: undefined,
      exe: undefined,
    };
    if (!isExec(body)) {
      event.syscall = facts;
      return undefined;
    }
    if (fields.get("success") === "no") {
      event.syscall = { ...facts, verdict: "failed" };
      return undefined;
    }
    const pid = parseDecimal(fields.get("pid"));
    if (pid === undefined) return "bad or missing pid in SYSCALL record";
    if (!isPidInRange(pid)) return `SYSCALL record: ${pidOutOfRange("pid", pid)}`;
    const ppid = parseDecimal(fields.get("ppid"));
    if (ppid === undefined) return "bad or missing ppid in SYSCALL record";
    if (!isPidInRange(ppid)) return `SYSCALL record: ${pidOutOfRange("ppid", ppid)}`;
    const exe = untrustedField(body, "exe");
    event.syscall = {
      ...facts,
      verdict: "exec",
      pid,
      ppid,
      uid: fields.get("uid"),
      auid: fields.get("auid"),
      ses: fields.get("ses"),
      userName: userNameOf(body),
      exe: exe instanceof BadValue ? undefined : exe,
    };
    return exe instanceof BadValue ? exe.reason : undefined;
  }

  /** One EXECVE record: `argc` (first record only), `aN`, or `aN_len` + `aN[i]` chunks for long args. */
  #digestExecve(event: PendingEvent, body: AuditBody): string | undefined {
    event.execve = true;
    let problem: string | undefined;
    for (const [key, value] of body.fields) {
      if (key === "argc") {
        const argc = parseDecimal(value);
        if (argc === undefined) problem ??= "bad argc in EXECVE record";
        else event.argc ??= argc;
        continue;
      }
      const ref = parseArgKey(key);
      if (ref === undefined) continue;
      if (ref.index >= AUDITD_LIMITS.maxArgIndex || ref.part >= AUDITD_LIMITS.maxChunksPerArg) {
        event.truncated = true;
        continue;
      }
      if (!this.#charge(event, key.length + value.length)) continue;
      const quoted = body.quoted.has(key);
      if (ref.part === WHOLE) {
        const text = decodeUntrusted(value, quoted, key);
        if (text instanceof BadValue) problem ??= text.reason;
        else if (text !== undefined && event.args[ref.index] === undefined) event.args[ref.index] = text;
        continue;
      }
      event.chunked ??= new Map();
      let chunked = event.chunked.get(ref.index);
      if (chunked === undefined) {
        chunked = { declared: undefined, pieces: [] };
        event.chunked.set(ref.index, chunked);
      }
      if (ref.part === LENGTH) {
        chunked.declared = parseDecimal(value, 15);
        if (chunked.declared === undefined) problem ??= `bad length in ${key}`;
        continue;
      }
      if (!quoted && !isHexText(value)) {
        problem ??= `bad hex in ${key}`;
        continue;
      }
      chunked.pieces[ref.part] ??= { hex: !quoted, text: value };
    }
    return problem;
  }
}

/** Decoder of auditd log lines; stateful (groups records per event), so one per input stream. */
export const createAuditdDecoder = (ctx: DecodeContext, options?: AuditdDecoderOptions): AuditdDecoder =>
  new AuditdRecordDecoder(ctx, options);
