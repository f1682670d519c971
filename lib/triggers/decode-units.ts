import { type Counters, countSkip } from "../pipeline/counters.js";
import type { BatchFragment } from "../pipeline/pending-events.js";
import type { QuarantinedRecord } from "../quarantine/quarantine-sink.js";
import { createRecordDecoder, type RecordDecoder } from "../telemetry/decode-records.js";
import type { DecodeOutput, Malformed, ProcessExit } from "../telemetry/decoder.js";
import type { ExecEvent } from "../telemetry/exec-event.js";
import { createDocumentJoiner, flushDocumentJoiner, frameText } from "../telemetry/framing.js";
import type { TransportMessage } from "../telemetry/transport.js";
import type { DecodeBudgets } from "./budgets.js";
import type { DeliveryUnit } from "./delivery-unit.js";
import { lineIndex } from "./line-bytes.js";

/** What a batch's units decode to, each output traced back to its unit. */
export interface DecodedUnits {
  readonly events: ExecEvent[];
  readonly exits: ProcessExit[];
  /** Event id → index of the unit it came from. */
  readonly eventUnit: Map<string, number>;
  /** auditd events still open at the end of the batch, to carry to the next invocation. */
  readonly fragments: BatchFragment[];
  /** What to set aside, in input order, with the unit each belongs to. */
  readonly quarantined: { readonly record: QuarantinedRecord; readonly unit: number }[];
}

/** The whole transport payload of a batch (a CloudWatch Logs envelope), set aside once when a batch floods. */
export interface BatchRaw {
  readonly id: string;
  readonly raw: Buffer;
}

interface MessageStart {
  /** Batch-wide number of the message's first line. */
  readonly line: number;
  readonly unit: number;
  readonly message: TransportMessage;
}

/**
 * Open, frame and decode every unit of a batch, under the batch's budgets (lib/triggers/budgets.ts), and say
 * what to set aside. Malformed lines are set aside one by one with their exact bytes (the payload's own bytes,
 * invalid UTF-8 included) while they are few; a record that floods is set aside once, whole, and a batch that
 * floods as a whole (CloudWatch Logs: one unit per log event) as its one envelope. Every valid event of a
 * flooding record is still decoded and judged: nothing valid is lost to its neighbours' garbage.
 */
export function decodeUnits(
  units: readonly DeliveryUnit[],
  trigger: QuarantinedRecord["source"]["trigger"],
  counters: Counters,
  budgets: DecodeBudgets,
  batchRaw?: BatchRaw,
): DecodedUnits {
  // Decoders per default host: an auditd event's lines may span several records of one partition key.
  const decoders = new Map<string, RecordDecoder>();
  const decoderFor = (host: string) => {
    let decoder = decoders.get(host);
    if (decoder === undefined) {
      // What this invocation cannot complete goes to the next through the table, not judged half-built.
      decoder = createRecordDecoder("auto", { defaultHost: host }, { deferIncomplete: true });
      decoders.set(host, decoder);
    }
    return decoder;
  };
  // Lines are numbered across the batch so that each output can be traced back to its unit and message.
  const starts: MessageStart[] = [];
  // Joined JSON documents: their first line → how many lines they span.
  const spans = new Map<number, number>();
  /** Units set aside whole, with why. */
  const whole = new Map<number, string>();
  let nextLine = 1;
  const outputs: DecodeOutput[] = [];

  units.forEach((unit, index) => {
    if (unit.payload.kind === "control") return;
    if (unit.payload.kind === "error") {
      counters.records++;
      counters.malformed++;
      whole.set(index, unit.payload.reason);
      return;
    }
    // Counted before anything is framed: a payload of newlines would otherwise cost an object per line.
    let lines = 0;
    for (const message of unit.payload.messages) lines += countLines(message.text);
    if (lines > budgets.maxLinesPerRecord) {
      counters.records++;
      counters.malformed++;
      whole.set(index, `record of ${lines} lines exceeds ${budgets.maxLinesPerRecord}: set aside unread`);
      return;
    }
    for (const message of unit.payload.messages) {
      const framed = frameText(message.text, nextLine);
      starts.push({ line: nextLine, unit: index, message });
      nextLine += framed.length;
      const join = createDocumentJoiner();
      const decoder = decoderFor(message.defaultHost);
      for (const record of [...join(framed), ...flushDocumentJoiner(join)]) {
        if (record.text.length === 0 && record.error === undefined) continue;
        if (record.lines !== undefined && record.lines > 1) spans.set(record.line, record.lines);
        counters.records++;
        decoder.push(record, outputs);
      }
    }
  });
  const openParts = [...decoders.values()].flatMap((decoder) => decoder.takeOpen());

  const startOf = (line: number): MessageStart => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]!.line <= line) lo = mid;
      else hi = mid - 1;
    }
    return starts[lo]!;
  };

  const events: ExecEvent[] = [];
  const exits: ProcessExit[] = [];
  const eventUnit = new Map<string, number>();
  const malformedOf = new Map<number, Malformed[]>();
  for (const output of outputs) {
    if (output.kind === "event") {
      events.push(output.event);
      eventUnit.set(output.event.source.eventId, startOf(output.line).unit);
    } else if (output.kind === "skipped") {
      countSkip(counters, output.reason);
      if (output.exit) exits.push(output.exit);
    } else {
      counters.malformed++;
      const unit = startOf(output.line).unit;
      const list = malformedOf.get(unit);
      if (list === undefined) malformedOf.set(unit, [output]);
      else list.push(output);
    }
  }
  for (const [unit, list] of malformedOf) {
    if (list.length <= budgets.maxMalformedPerRecord || whole.has(unit)) continue;
    const first = list[0]!;
    whole.set(
      unit,
      `${list.length} malformed records (more than ${budgets.maxMalformedPerRecord}): set aside whole; ` +
        `the first at line ${first.line - startOf(first.line).line + 1}: ${first.reason}`,
    );
  }

  let singles = 0;
  for (const [unit, list] of malformedOf) if (!whole.has(unit)) singles += list.length;
  const source = (unit: number, line?: number): QuarantinedRecord["source"] => {
    const u = units[unit]!;
    return { trigger, id: u.id, origin: u.origin, ...(line !== undefined && { line }) };
  };
  // Built in unit order: the queue sees a batch's records in the order they came.
  const quarantined: { record: QuarantinedRecord; unit: number }[] = [];
  const entries = singles + whole.size;
  if (entries > budgets.maxQuarantinedPerBatch && batchRaw !== undefined) {
    // A flood spread over many small units (log events): the envelope they came in, once.
    quarantined.push({
      record: {
        reason: `${entries} malformed records or events (more than ${budgets.maxQuarantinedPerBatch}): the envelope set aside whole`,
        raw: batchRaw.raw,
        source: { trigger, id: batchRaw.id },
      },
      unit: 0,
    });
  } else {
    // Past the batch's budget, each record with anything malformed goes once, whole.
    const fold = entries > budgets.maxQuarantinedPerBatch;
    const indexes = new Map<TransportMessage, ReturnType<typeof lineIndex>>();
    units.forEach((unit, index) => {
      const reason = whole.get(index);
      const list = malformedOf.get(index);
      if (reason === undefined && list === undefined) return;
      if (reason !== undefined || fold) {
        quarantined.push({
          record: {
            reason: reason ?? `${list!.length} malformed records in a batch over its budget: set aside whole`,
            raw: unit.raw,
            source: source(index),
          },
          unit: index,
        });
        return;
      }
      for (const m of list!) {
        const start = startOf(m.line);
        let lines = indexes.get(start.message);
        if (lines === undefined) {
          lines = lineIndex(start.message.bytes ?? Buffer.from(start.message.text, "utf8"));
          indexes.set(start.message, lines);
        }
        const local = m.line - start.line + 1;
        quarantined.push({
          record: {
            reason: m.reason,
            raw: lines.bytes(local, spans.get(m.line) ?? 1),
            source: source(index, local),
          },
          unit: index,
        });
      }
    });
  }

  const fragments: BatchFragment[] = openParts.map((fragment) => ({
    fragment,
    line: fragment.line,
    unit: startOf(fragment.line).unit,
  }));
  return { events, exits, eventUnit, fragments, quarantined };
}

function countLines(text: string): number {
  let lines = 1;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) lines++;
  return lines;
}
