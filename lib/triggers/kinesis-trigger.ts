import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { openKinesisPayload } from "../telemetry/transport.js";
import { type DeliveryUnit, type DetectionDeps, detectUnits } from "./detect-units.js";
import { type Observability, observeReport } from "./observe-report.js";
import { type RunContext, runLimits } from "./run-limits.js";

export interface KinesisTriggerDeps extends Omit<DetectionDeps, "trigger">, Observability {
  readonly maxDecompressedBytes: number;
}

/**
 * Kinesis Data Streams → detection. Reports `batchItemFailures` from the first record that must be
 * delivered again (ReportBatchItemFailures): Lambda retries from the lowest reported sequence number, so the
 * records before it are never processed twice.
 */
export function makeKinesisHandler(deps: KinesisTriggerDeps) {
  return async (event: KinesisStreamEvent, context?: RunContext): Promise<KinesisStreamBatchResponse> => {
    const limits = runLimits(Date.now, context);
    const before = deps.storeCalls?.() ?? 0;
    const units: DeliveryUnit[] = event.Records.map((record) => {
      const raw = Buffer.from(record.kinesis.data, "base64");
      return {
        id: record.kinesis.sequenceNumber,
        origin: record.kinesis.partitionKey,
        raw,
        payload: openKinesisPayload(raw, record.kinesis.partitionKey, deps.maxDecompressedBytes),
      };
    });
    const report = await detectUnits(units, { ...deps, trigger: "kinesis" }, limits);
    observeReport(report, deps, before);
    const failed = report.failedFrom === undefined ? undefined : event.Records[report.failedFrom];
    return { batchItemFailures: failed ? [{ itemIdentifier: failed.kinesis.sequenceNumber }] : [] };
  };
}
