import type { DecodeContext, DecodeOutput, JsonDecoder, RawRecord, TextLineDecoder } from "./decoder.js";
import { internalError, malformed } from "./decoder.js";
import { eventOutOfBounds, exitOutOfBounds } from "./event-bounds.js";
import type { FramedRecord } from "./framing.js";
import type { InputFormat } from "./input-format.js";
import { type AuditdDecoderOptions, createAuditdDecoder } from "./sources/auditd.js";
import type { AuditFragment } from "./sources/auditd-fragment.js";
import { datadogCwsDecoder } from "./sources/datadog-cws.js";
import { ecsDecoder } from "./sources/ecs.js";
import { falcoDecoder } from "./sources/falco.js";
import { falcoTextDecoder } from "./sources/falco-text.js";
import { laurelDecoder } from "./sources/laurel.js";
import { nativeDecoder } from "./sources/native.js";
import { ocsfProcessDecoder } from "./sources/ocsf-process.js";
import { osqueryDecoder } from "./sources/osquery.js";
import { sysmonLinuxDecoder } from "./sources/sysmon-linux.js";
import { tetragonDecoder } from "./sources/tetragon.js";

/**
 * Order matters for `auto`: the shapes with markers first (laurel `ID`+`SYSCALL`, native `schema`, Tetragon's
 * event key, Falco's `output_fields`+`rule`, osquery's `columns`, OCSF's `class_uid`, Datadog's `evt`); ECS last,
 * because any JSON with a `process` object and an `@timestamp` looks like ECS.
 */
const JSON_DECODERS: readonly JsonDecoder[] = [
  laurelDecoder,
  nativeDecoder,
  tetragonDecoder,
  falcoDecoder,
  osqueryDecoder,
  ocsfProcessDecoder,
  datadogCwsDecoder,
  ecsDecoder,
];

/**
 * Text lines that are neither audit lines nor JSON. Tried only after those two: an auditd argument may hold
 * `<Event><EventID>` unencoded, and must not be taken for broken Sysmon XML.
 */
const TEXT_DECODERS: readonly TextLineDecoder[] = [sysmonLinuxDecoder, falcoTextDecoder];

export interface RecordDecoder {
  push(record: FramedRecord, out: DecodeOutput[]): void;
  flush(out: DecodeOutput[]): void;
  /** auditd events still open (with `deferIncomplete`, the parts to carry to the next invocation). */
  takeOpen(): AuditFragment[];
}

/**
 * Framed records → decode outputs, for one format or `auto` (per record: `type=`/`node=` lines go to the
 * auditd decoder, JSON objects to the first JSON decoder that recognises them, other lines to the text
 * decoders; a log shipper's `{"log": line}` wrapper is opened once). Never throws on input.
 */
export function createRecordDecoder(
  format: InputFormat,
  ctx: DecodeContext,
  options: AuditdDecoderOptions = {},
): RecordDecoder {
  const auditd = createAuditdDecoder(ctx, options);
  const auto = format === "auto";
  const jsonDecoders = auto ? JSON_DECODERS : JSON_DECODERS.filter((d) => d.format === format);
  const textDecoders = auto ? TEXT_DECODERS : TEXT_DECODERS.filter((d) => d.format === format);

  const decodeJson = (record: RawRecord, out: DecodeOutput[], nested: boolean) => {
    let value: unknown;
    try {
      value = JSON.parse(record.text);
    } catch (error) {
      out.push(malformed(record, `invalid JSON: ${(error as Error).message}`));
      return;
    }
    const decoder = jsonDecoders.find((d) => d.matches(value));
    if (decoder !== undefined) {
      if (decoder.decodeAll) {
        const from = out.length;
        safelyAll(decoder, value, record, ctx, out);
        boundAll(out, from, decoder.format, record.text);
      } else out.push(bound(safely(decoder, value, record, ctx), decoder.format, record.text));
      return;
    }
    const wrapped = auto && !nested ? shipperLine(value) : undefined;
    if (wrapped !== undefined) {
      // A log shipper's wrapper around the raw line: decode the line itself, once.
      push({ text: wrapped, line: record.line }, out, true);
    } else {
      out.push(malformed(record, auto ? "JSON record of no known format" : `not a ${format} record`));
    }
  };

  const push = (record: FramedRecord, out: DecodeOutput[], nested = false) => {
    if (record.error !== undefined) {
      out.push(malformed(record, record.error));
      return;
    }
    if (format === "auditd") {
      auditdPush(record, out);
      return;
    }
    const first = firstSignificant(record.text);
    if (first === "") return; // blank lines separate nothing and count as nothing
    if (auto && (first === "t" || first === "n")) {
      auditdPush(record, out);
    } else if ((first === "{" || first === "[") && jsonDecoders.length > 0) {
      decodeJson(record, out, nested);
    } else {
      const text = textDecoders.find((d) => d.matchesText(record.text));
      if (text !== undefined) out.push(bound(safelyText(text, record, ctx), text.format, record.text));
      else if (jsonDecoders.length > 0 && !auto) decodeJson(record, out, nested);
      else
        out.push(malformed(record, "unrecognised record: not an audit line, JSON, or a known text format"));
    }
  };

  const auditdPush = (record: FramedRecord, out: DecodeOutput[]) => {
    const from = out.length;
    try {
      auditd.push(record, out);
    } catch (error) {
      out.push(internalError(record, "auditd", error));
    }
    boundAll(out, from, "auditd", AUDITD_RAW);
  };

  return {
    push: (record: FramedRecord, out: DecodeOutput[]) => push(record, out),
    flush(out: DecodeOutput[]) {
      const from = out.length;
      try {
        auditd.flush(out);
      } catch (error) {
        out.push(internalError({ text: "", line: 0 }, "auditd", error));
      }
      boundAll(out, from, "auditd", AUDITD_RAW);
    },
    takeOpen: () => auditd.takeOpen(),
  };
}

/**
 * Fluent Bit, Fluentd and Vector wrap a tailed line in a JSON object (`{"log": "type=SYSCALL …"}`, CloudWatch
 * agent exports `{"message": …}`): the line inside is the telemetry.
 */
function shipperLine(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const line = record["log"] ?? record["message"];
  return typeof line === "string" && line.length > 0 ? line : undefined;
}

function firstSignificant(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== " " && c !== "\t") return c;
  }
  return "";
}

/**
 * The raw text of an auditd event that fails its bounds. Its lines were digested as they came (the event holds a
 * few strings, not its lines), and each line's own values were checked then (a timestamp, a pid, a lone
 * surrogate fail their line, which is set aside whole): what can still fail here (the host the decoder was
 * given) is not in any line. The reason and the event's position say where it was.
 */
const AUDITD_RAW = "";

/**
 * An event or process exit with a value out of range (event-bounds.ts) becomes a malformed output in its
 * place: that one event is set aside with the reason, and the stores and formatters never see the value.
 */
function bound(output: DecodeOutput, format: string, raw: string): DecodeOutput {
  let reason: string | undefined;
  if (output.kind === "event") reason = eventOutOfBounds(output.event);
  else if (output.kind === "skipped" && output.exit !== undefined) reason = exitOutOfBounds(output.exit);
  if (reason === undefined) return output;
  return malformed({ text: raw, line: output.line }, `${format}: invalid value: ${reason}`);
}

/** `bound` on every output from `from` on (a record that yields several: osquery batches, auditd). */
function boundAll(out: DecodeOutput[], from: number, format: string, raw: string): void {
  for (let i = from; i < out.length; i++) out[i] = bound(out[i]!, format, raw);
}

/** A decoder bug must cost one record, not the batch. */
function safely(decoder: JsonDecoder, value: unknown, record: RawRecord, ctx: DecodeContext): DecodeOutput {
  try {
    return decoder.decode(value, record, ctx);
  } catch (error) {
    return internalError(record, decoder.format, error);
  }
}

function safelyAll(
  decoder: JsonDecoder,
  value: unknown,
  record: RawRecord,
  ctx: DecodeContext,
  out: DecodeOutput[],
) {
  try {
    decoder.decodeAll!(value, record, ctx, out);
  } catch (error) {
    out.push(internalError(record, decoder.format, error));
  }
}

function safelyText(decoder: TextLineDecoder, record: RawRecord, ctx: DecodeContext): DecodeOutput {
  try {
    return decoder.decodeText(record.text, record, ctx);
  } catch (error) {
    return internalError(record, decoder.format, error);
  }
}
