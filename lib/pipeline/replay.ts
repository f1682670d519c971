import type { Alert } from "../alerts/alert.js";
import { deliverAlerts } from "../alerts/deliver-alerts.js";
import { type DeliveryClaims, MemoryDeliveryClaims } from "../alerts/delivery-claims.js";
import { PidAllocations } from "../lineage/pid-allocation.js";
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
import { type BatchDeps, detectBatch, writeBatch } from "./process-batch.js";

/**
 * A replay has no invocation deadline. Its claims (in memory, or in a table with --store dynamodb) hold for
 * minutes: printing an alert takes microseconds, and a replay killed mid-way leaves nothing blocked for long.
 */
const REPLAY_LIMITS = {
  now: Date.now,
  deadline: Number.POSITIVE_INFINITY,
  leaseUntil: (at: number) => at + 5 * 60_000,
};

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
  /** Which alert ids went out already (default: in memory, for this replay). */
  readonly claims?: DeliveryClaims;
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
  const claims = options.claims ?? new MemoryDeliveryClaims();
  // One process reads the whole stream in order: it traces the hosts' pid allocators across its batches.
  const deps: BatchDeps = options.deps.pids ? options.deps : { ...options.deps, pids: new PidAllocations() };
  const publisher = { publish: async (alert: Alert) => options.onAlert(alert) };

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
      const { alerts, records } = await detectBatch({ events }, deps, counters);
      // Claimed like the functions' publishes: an alert id seen again in a later batch is printed once.
      const delivery = await deliverAlerts(
        alerts.map((alert) => ({ alert, unit: 0 })),
        { publisher, claims },
        REPLAY_LIMITS,
      );
      if (delivery.failed) throw delivery.failed.error;
      // Found delivered by an earlier run on the same table: suppressed, as the functions would.
      counters.alerts -= delivery.alreadyDelivered;
      counters.suppressed.dedup += delivery.alreadyDelivered;
      await writeBatch(records, ended, deps.store);
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
