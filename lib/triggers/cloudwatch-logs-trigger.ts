import type { CloudWatchLogsEvent } from "aws-lambda";
import { openCloudWatchEnvelope } from "../telemetry/transport.js";
import type { DeliveryUnit } from "./delivery-unit.js";
import { type DetectionDeps, detectUnits } from "./detect-units.js";
import { type Observability, observeReport } from "./observe-report.js";
import { type RunContext, runLimits } from "./run-limits.js";

export interface CloudWatchLogsTriggerDeps extends Omit<DetectionDeps, "trigger">, Observability {
  readonly maxDecompressedBytes: number;
  /** The clock the deadline is kept by: Date.now, or a test's. */
  readonly clock?: () => number;
}

/**
 * CloudWatch Logs subscription → detection. The invocation is asynchronous: a transient failure is rethrown
 * so that Lambda retries the whole envelope (bounded in serverless.yml, then the on-failure destination).
 * Delivery claims make the retry publish nothing twice.
 */
export function makeCloudWatchLogsHandler(deps: CloudWatchLogsTriggerDeps) {
  return async (event: CloudWatchLogsEvent, context?: RunContext): Promise<void> => {
    const limits = runLimits(deps.clock ?? Date.now, context);
    const before = deps.storeCalls?.() ?? 0;
    const raw = Buffer.from(event.awslogs.data, "base64");
    const opened = openCloudWatchEnvelope(raw, deps.maxDecompressedBytes);
    // One unit per log event, so that a quarantined record names its event id.
    const units: DeliveryUnit[] =
      opened.kind === "messages"
        ? opened.messages.map((message) => ({
            id: message.id,
            origin: message.defaultHost,
            raw: Buffer.from(message.text, "utf8"),
            payload: { kind: "messages", messages: [message], openedBytes: message.text.length },
          }))
        : [{ id: "envelope", origin: "", raw, payload: opened }];
    // A flood over many log events is set aside as the one envelope they came in.
    const report = await detectUnits(units, { ...deps, trigger: "cloudwatch-logs" }, limits, {
      id: units[0]?.id ?? "envelope",
      raw,
    });
    observeReport(report, deps, before);
    if (report.errors.length > 0) throw report.errors[0];
  };
}
