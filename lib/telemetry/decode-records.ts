import type { DecodeContext, DecodeOutput, JsonDecoder, RawRecord } from "./decoder.js";
import { malformed } from "./decoder.js";
import type { FramedRecord } from "./framing.js";
import type { InputFormat } from "./input-format.js";
import { createAuditdDecoder } from "./sources/auditd.js";
import { ecsDecoder } from "./sources/ecs.js";
import { laurelDecoder } from "./sources/laurel.js";
import { nativeDecoder } from "./sources/native.js";

/** Order matters for `auto`: the most specific shapes first (laurel and native carry markers; ECS is broad). */
const JSON_DECODERS: readonly JsonDecoder[] = [laurelDecoder, nativeDecoder, ecsDecoder];

/**
 * Framed records → decode outputs, for one format or `auto` (per record: `type=`/`node=` lines go to the
 * auditd decoder, JSON objects to the first JSON decoder that recognises them). Never throws on input.
 */
export interface RecordDecoder {
  push(record: FramedRecord, out: DecodeOutput[]): void;
  flush(out: DecodeOutput[]): void;
}

export function createRecordDecoder(format: InputFormat, ctx: DecodeContext): RecordDecoder {
  const auditd = createAuditdDecoder(ctx);
  const only = JSON_DECODERS.find((d) => d.format === format);

  const decodeJson = (record: RawRecord, out: DecodeOutput[], nested: boolean) => {
    let value: unknown;
    try {
      value = JSON.parse(record.text);
    } catch (error) {
      out.push(malformed(record, `invalid JSON: ${(error as Error).message}`));
      return;
    }
    const decoder = only ?? JSON_DECODERS.find((d) => d.matches(value));
    const wrapped = decoder === undefined && !nested ? shipperLine(value) : undefined;
    if (wrapped !== undefined) {
      // A log shipper's wrapper around the raw line: decode the line itself, once.
      push({ text: wrapped, line: record.line }, out, true);
    } else if (decoder === undefined) {
      out.push(malformed(record, "JSON record of no known format (laurel, ECS, native)"));
    } else if (only !== undefined && !only.matches(value)) {
      out.push(malformed(record, `not a ${only.format} record`));
    } else {
      out.push(safely(decoder, value, record, ctx));
    }
  };

  const push = (record: FramedRecord, out: DecodeOutput[], nested = false) => {
    if (record.error !== undefined) {
      out.push(malformed(record, record.error));
      return;
    }
    if (format === "auditd") {
      auditd.push(record, out);
      return;
    }
    const first = firstSignificant(record.text);
    if (first === "") return; // blank lines separate nothing and count as nothing
    if (format === "auto" && (first === "t" || first === "n")) {
      auditd.push(record, out);
    } else if (first === "{" || first === "[" || format !== "auto") {
      decodeJson(record, out, nested);
    } else {
      out.push(malformed(record, "unrecognised record: neither an audit line (type=/node=) nor JSON"));
    }
  };

  return {
    push: (record: FramedRecord, out: DecodeOutput[]) => push(record, out),
    flush(out: DecodeOutput[]) {
      auditd.flush(out);
    },
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

/** A decoder bug must cost one record, not the batch. */
function safely(decoder: JsonDecoder, value: unknown, record: RawRecord, ctx: DecodeContext): DecodeOutput {
  try {
    return decoder.decode(value, record, ctx);
  } catch (error) {
    return malformed(record, `${decoder.format}: ${(error as Error).message}`);
  }
}
