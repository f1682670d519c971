import type { Alert } from "../alerts/alert.js";
import { createRecordDecoder } from "../telemetry/decode-records.js";
import type { DecodeOutput, ProcessExit } from "../telemetry/decoder.js";
import type { ExecEvent } from "../telemetry/exec-event.js";
import {
  createDocumentJoiner,
  type FramedRecord,
  flushDocumentJoiner,
  frameLines,
} from "../telemetry/framing.js";
import type { InputFormat } from "../telemetry/input-format.js";
import { type Counters, countSkip, newCounters } from "./counters.js";
import { type BatchDeps, processBatch } from "./process-batch.js";

/** Events per batch: the same order of size as a Kinesis batch, so the CLI backtests the Lambda's behaviour. */
export const REPLAY_BATCH_SIZE = 1000;
/** Malformed records listed by position in the summary; all are counted. */
export const MALFORMED_LISTED = 10;

export interface ReplayOptions {
  readonly format: InputFormat;
  /** Host for records that name none (auditd lines without `node=`). */
  readonly defaultHost: string;
  readonly deps: BatchDeps;
  readonly onAlert: (alert: Alert) => void;
  readonly batchSize?: number;
}

export interface ReplaySummary {
  readonly counters: Counters;
  /** The first MALFORMED_LISTED malformed records: line and reason. */
  readonly malformed: readonly { line: number; reason: string }[];
}

/** Streams telemetry through decode, lineage, rule and dedup: the CLI's `replay`, and the benchmark. */
export async function replay(
  source: AsyncIterable<Buffer | string>,
  options: ReplayOptions,
): Promise<ReplaySummary> {
  const counters = newCounters();
  const malformed: { line: number; reason: string }[] = [];
  const decoder = createRecordDecoder(options.format, { defaultHost: options.defaultHost });
  const join = options.format === "auditd" ? undefined : createDocumentJoiner();
  const batchSize = options.batchSize ?? REPLAY_BATCH_SIZE;
  let batch: ExecEvent[] = [];
  let exits: ProcessExit[] = [];
  const outputs: DecodeOutput[] = [];

  const drain = async (force: boolean) => {
    for (const output of outputs) {
      if (output.kind === "event") batch.push(output.event);
      else if (output.kind === "skipped") {
        countSkip(counters, output.reason);
        if (output.exit) exits.push(output.exit);
      } else {
        counters.malformed++;
        if (malformed.length < MALFORMED_LISTED) malformed.push({ line: output.line, reason: output.reason });
      }
    }
    outputs.length = 0;
    if (batch.length >= batchSize || (force && (batch.length > 0 || exits.length > 0))) {
      const events = batch;
      const ended = exits;
      batch = [];
      exits = [];
      for (const alert of await processBatch(events, options.deps, counters, ended)) {
        options.onAlert(alert);
        await options.deps.dedup.markPublished(alert.dedup.key, alert.id, Date.parse(alert.dedup.firstSeen));
      }
    }
  };

  const feed = (records: readonly FramedRecord[]) => {
    for (const record of records) {
      if (record.text.length === 0 && record.error === undefined) continue;
      counters.records++;
      decoder.push(record, outputs);
    }
  };

  for await (const lines of frameLines(source)) {
    feed(join ? join(lines) : lines);
    await drain(false);
  }
  if (join) feed(flushDocumentJoiner(join));
  decoder.flush(outputs);
  await drain(true);
  return { counters, malformed };
}
