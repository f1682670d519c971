import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { openKinesisPayload } from "../telemetry/transport.js";
import type { DeliveryUnit } from "./delivery-unit.js";
import { type DetectionDeps, detectUnits } from "./detect-units.js";
import { type Observability, observeReport } from "./observe-report.js";
import { type RunContext, runLimits } from "./run-limits.js";

export interface KinesisTriggerDeps extends Omit<DetectionDeps, "trigger">, Observability {
  readonly maxDecompressedBytes: number;
  /** The clock the deadline is kept by: Date.now, or a test's. */
  readonly clock?: () => number;
}

/**
 * Kinesis Data Streams → detection. Reports `batchItemFailures` from the first record that must be
 * delivered again (ReportBatchItemFailures): Lambda retries from the lowest reported sequence number, so the
 * records before it are never processed twice.
 *
 * Records are opened in slices that keep the inflated bytes held under the invocation's budget
 * (lib/triggers/budgets.ts): a slice is detected, delivered and written before the next is opened, so 30
 * gzip records of 16 KB that inflate to 16 MiB each never sit in memory together. A slice sees what the
 * previous one wrote, as a later invocation would. Past the deadline no slice starts; the first record not
 * started is reported for redelivery.
 */
export function makeKinesisHandler(deps: KinesisTriggerDeps) {
  return async (event: KinesisStreamEvent, context?: RunContext): Promise<KinesisStreamBatchResponse> => {
    const limits = runLimits(deps.clock ?? Date.now, context);
    const records = event.Records;
    // A host's records stay on its shard: the store checks that this container processed the shard's last
    // batch, so that what it remembers of the shard's hosts still holds (lib/lineage/tiered-store.ts).
    const first = records[0];
    const shard = first === undefined ? undefined : `${first.eventSourceARN}|${first.eventID.split(":")[0]}`;
    if (shard !== undefined) {
      try {
        await deps.store.claim?.(shard);
      } catch (error) {
        // Nothing ran: the whole batch goes again (a throttled claim is as transient as any other call).
        deps.logger.warn("shard claim failed; the batch will be delivered again", {
          error: (error as Error).message,
          records: records.length,
        });
        return { batchItemFailures: [{ itemIdentifier: first!.kinesis.sequenceNumber }] };
      }
    }
    let failed = true;
    try {
      const response = await detectSlices(records, deps, limits);
      failed = response.batchItemFailures.length > 0;
      return response;
    } finally {
      if (shard !== undefined) await deps.store.release?.(shard, { failed });
    }
  };
}

/** The batch's records, slice after slice; the first record to deliver again, if any. */
async function detectSlices(
  records: KinesisStreamEvent["Records"],
  deps: KinesisTriggerDeps,
  limits: ReturnType<typeof runLimits>,
): Promise<KinesisStreamBatchResponse> {
  let failedFrom: number | undefined;
  for (let from = 0; from < records.length; ) {
    if (from > 0 && limits.now() > limits.deadline) {
      deps.logger.warn("deadline reached between slices of the batch; the rest will be delivered again", {
        failedFrom: from,
        records: records.length,
      });
      failedFrom = from;
      break;
    }
    const before = deps.storeCalls?.() ?? 0;
    const units = openSlice(records, from, deps);
    const report = await detectUnits(units, { ...deps, trigger: "kinesis" }, limits);
    observeReport(report, deps, before);
    if (report.failedFrom !== undefined) {
      failedFrom = from + report.failedFrom;
      break;
    }
    from += units.length;
  }
  const failed = failedFrom === undefined ? undefined : records[failedFrom];
  return { batchItemFailures: failed ? [{ itemIdentifier: failed.kinesis.sequenceNumber }] : [] };
}

/**
 * Records from `from` on, opened in order until their inflated bytes would pass the budget; the first
 * always opens (its own cap, MAX_DECOMPRESSED_BYTES, bounds it).
 */
function openSlice(
  records: KinesisStreamEvent["Records"],
  from: number,
  deps: KinesisTriggerDeps,
): DeliveryUnit[] {
  const units: DeliveryUnit[] = [];
  let opened = 0;
  for (let i = from; i < records.length; i++) {
    const record = records[i]!;
    const raw = Buffer.from(record.kinesis.data, "base64");
    const payload = openKinesisPayload(raw, record.kinesis.partitionKey, deps.maxDecompressedBytes);
    if (payload.kind === "messages") {
      // The record that would pass the budget is opened again, first of the next slice.
      if (units.length > 0 && opened + payload.openedBytes > deps.budgets.maxOpenedBytesPerBatch) break;
      opened += payload.openedBytes;
    }
    units.push({ id: record.kinesis.sequenceNumber, origin: record.kinesis.partitionKey, raw, payload });
  }
  return units;
}
