import type { ExecEvent, SourceFormat } from "./exec-event.js";

/** One framed record of input: a line, or a multi-line JSON document, with where it started. */
export interface RawRecord {
  text: string;
  /** 1-based line number of the record's first line in its input. */
  line: number;
}

export interface DecodeContext {
  /** Host name to use when the record itself names none (auditd without `node=`). */
  defaultHost: string;
}

export interface Malformed {
  kind: "malformed";
  line: number;
  reason: string;
  /** The raw record as read, so it can be set aside (quarantine) and inspected. */
  raw: string;
  /** The decoder threw: a bug of ours, not bad data (tests assert no input can cause one). */
  internal?: true;
}

/** A process that ended (Tetragon `process_exit`, …): its lineage record can go (lib/lineage). */
export interface ProcessExit {
  host: string;
  pid: number;
  /** Exit time, epoch ms. */
  time: number;
  /** The exited image's id when the source has one (Tetragon exec_id): guards against PID reuse. */
  entityId?: string;
}

export interface Skipped {
  kind: "skipped";
  line: number;
  /** Why a well-formed record yields no exec event (another syscall, a failed execve, …). */
  reason: string;
  /** Set when the skipped record reports a process exit. */
  exit?: ProcessExit;
}

export type DecodeOutput = { kind: "event"; event: ExecEvent; line: number } | Malformed | Skipped;

/** A decoder of one source. Stateful decoders (auditd groups records per event) emit on push or flush. */
export interface Decoder {
  readonly format: SourceFormat;
  push(record: RawRecord, out: DecodeOutput[]): void;
  /** End of input (or of a batch): emit whatever is still pending. */
  flush(out: DecodeOutput[]): void;
}

/** A decoder of one JSON-shaped source; the JSON is parsed once, by the caller. */
export interface JsonDecoder {
  readonly format: SourceFormat;
  /** Cheap structural test used by `--format auto`. */
  matches(value: unknown): boolean;
  decode(value: unknown, record: RawRecord, ctx: DecodeContext): DecodeOutput;
  /** For sources whose one record holds several events (osquery batch results): all of them, in order. */
  decodeAll?(value: unknown, record: RawRecord, ctx: DecodeContext, out: DecodeOutput[]): void;
}

/**
 * A decoder of one line-oriented text source that is neither an audit line nor JSON (Sysmon for Linux XML as
 * it arrives through syslog).
 */
export interface TextLineDecoder {
  readonly format: SourceFormat;
  /** Cheap test used by `--format auto`. */
  matchesText(text: string): boolean;
  decodeText(text: string, record: RawRecord, ctx: DecodeContext): DecodeOutput;
}

export const malformed = (record: RawRecord, reason: string): Malformed => ({
  kind: "malformed",
  line: record.line,
  reason,
  raw: record.text,
});

/** A decoder that threw costs its one record, set aside under a reason that says it is our bug. */
export const internalError = (record: RawRecord, format: string, error: unknown): Malformed => ({
  ...malformed(
    record,
    `${format}: internal error: ${error instanceof Error ? error.message : String(error)}`,
  ),
  internal: true,
});

export const skipped = (record: RawRecord, reason: string): Skipped => ({
  kind: "skipped",
  line: record.line,
  reason,
});
