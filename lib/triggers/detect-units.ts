import type { Alert } from "../alerts/alert.js";
import type { AlertPublisher } from "../alerts/alert-publisher.js";
import { asDetectorError, type DeliveryLimits, deliverAlerts } from "../alerts/deliver-alerts.js";
import type { DeliveryClaims } from "../alerts/delivery-claims.js";
import type { DetectorError } from "../errors.js";
import { type Counters, countSkip, newCounters } from "../pipeline/counters.js";
import { type BatchDeps, detectBatch, writeBatch } from "../pipeline/process-batch.js";
import type { QuarantinedRecord, QuarantineSink } from "../quarantine/quarantine-sink.js";
import { createRecordDecoder, type RecordDecoder } from "../telemetry/decode-records.js";
import type { DecodeOutput, ProcessExit } from "../telemetry/decoder.js";
import type { ExecEvent } from "../telemetry/exec-event.js";
import { createDocumentJoiner, flushDocumentJoiner, frameText } from "../telemetry/framing.js";
import type { OpenedPayload } from "../telemetry/transport.js";

/**
 * One delivery unit of a trigger: a Kinesis record, or a CloudWatch Logs invocation's envelope. Failures
 * are reported per unit, so that Kinesis can retry from the first failed record and nothing before it twice.
 */
export interface DeliveryUnit {
  /** Kinesis sequence number, or the CloudWatch Logs envelope's first event id. */
  readonly id: string;
  /** Partition key or log stream. */
  readonly origin: string;
  readonly payload: OpenedPayload;
  /** The raw transport bytes, set aside whole when the payload cannot be opened. */
  readonly raw: Buffer;
}

export interface DetectionDeps extends BatchDeps {
  readonly publisher: AlertPublisher;
  /** Exactly one publish per alert id, whatever the redeliveries (lib/alerts/delivery-claims.ts). */
  readonly claims: DeliveryClaims;
  readonly quarantine: QuarantineSink;
  readonly trigger: QuarantinedRecord["source"]["trigger"];
}

export interface DetectionReport {
  readonly counters: Counters;
  /** Index of the first unit that must be delivered again, or undefined when every unit is done. */
  readonly failedFrom: number | undefined;
  /** The errors behind `failedFrom`, for the logs. */
  readonly errors: readonly DetectorError[];
  readonly quarantined: readonly QuarantinedRecord[];
  readonly published: readonly Alert[];
  /** Alerts found already delivered by an earlier attempt or a concurrent invocation. */
  readonly alreadyDelivered: number;
  /** Published, but the mark could not be written (logged: a redelivery elsewhere may repeat them). */
  readonly unmarked: readonly { readonly alert: Alert; readonly error: DetectorError }[];
}

/**
 * A trigger's batch end to end: open, frame and decode every unit, detect over the whole batch (one lineage
 * read), deliver its alerts in unit order (claimed, so each alert id goes out once), write what the batch
 * learned (one write round), set malformed records aside. Transient failures do not throw: they mark the first
 * unit to redeliver. Records before it are complete and are not redelivered; what a failed attempt already
 * wrote is recognised by the redelivery as its own (lib/lineage/rewind.ts).
 */
export async function detectUnits(
  units: readonly DeliveryUnit[],
  deps: DetectionDeps,
  limits: DeliveryLimits,
): Promise<DetectionReport> {
  const counters = newCounters();
  const quarantined: QuarantinedRecord[] = [];
  const quarantineUnit: number[] = [];
  const errors: DetectorError[] = [];
  let failedFrom: number | undefined;
  const fail = (unit: number, error: DetectorError) => {
    failedFrom = failedFrom === undefined ? unit : Math.min(failedFrom, unit);
    errors.push(error);
  };

  // Decoders per default host: an auditd event's lines may span several records of one partition key.
  const decoders = new Map<string, RecordDecoder>();
  const decoderFor = (host: string) => {
    let decoder = decoders.get(host);
    if (decoder === undefined) {
      decoder = createRecordDecoder("auto", { defaultHost: host });
      decoders.set(host, decoder);
    }
    return decoder;
  };
  // Lines are numbered across the batch so that each output can be traced back to its unit.
  const unitStarts: { line: number; unit: number; messageLine: number }[] = [];
  let nextLine = 1;
  const outputs: DecodeOutput[] = [];

  units.forEach((unit, index) => {
    if (unit.payload.kind === "control") return;
    if (unit.payload.kind === "error") {
      counters.records++;
      counters.malformed++;
      quarantined.push({
        reason: unit.payload.reason,
        raw: unit.raw,
        source: { trigger: deps.trigger, id: unit.id, origin: unit.origin },
      });
      quarantineUnit.push(index);
      return;
    }
    for (const message of unit.payload.messages) {
      const framed = frameText(message.text, nextLine);
      unitStarts.push({ line: nextLine, unit: index, messageLine: nextLine });
      nextLine += framed.length;
      const join = createDocumentJoiner();
      const decoder = decoderFor(message.defaultHost);
      for (const record of [...join(framed), ...flushDocumentJoiner(join)]) {
        if (record.text.length === 0 && record.error === undefined) continue;
        counters.records++;
        decoder.push(record, outputs);
      }
    }
  });
  for (const decoder of decoders.values()) decoder.flush(outputs);

  const unitOfLine = (line: number): { unit: number; local: number } => {
    let lo = 0;
    let hi = unitStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (unitStarts[mid]!.line <= line) lo = mid;
      else hi = mid - 1;
    }
    const start = unitStarts[lo]!;
    return { unit: start.unit, local: line - start.messageLine + 1 };
  };

  const events: ExecEvent[] = [];
  const exits: ProcessExit[] = [];
  const eventUnit = new Map<string, number>();
  for (const output of outputs) {
    if (output.kind === "event") {
      events.push(output.event);
      eventUnit.set(output.event.source.eventId, unitOfLine(output.line).unit);
    } else if (output.kind === "skipped") {
      countSkip(counters, output.reason);
      if (output.exit) exits.push(output.exit);
    } else {
      counters.malformed++;
      const { unit, local } = unitOfLine(output.line);
      const u = units[unit]!;
      quarantined.push({
        reason: output.reason,
        raw: Buffer.from(output.raw, "utf8"),
        source: { trigger: deps.trigger, id: u.id, line: local, origin: u.origin },
      });
      quarantineUnit.push(unit);
    }
  }

  let detection: Awaited<ReturnType<typeof detectBatch>> | undefined;
  try {
    detection = await detectBatch(events, deps, counters);
  } catch (error) {
    // Lineage could not be read: the whole batch goes again.
    fail(0, asDetectorError(error, "lineage store"));
  }

  let published: readonly Alert[] = [];
  let alreadyDelivered = 0;
  let unmarked: DetectionReport["unmarked"] = [];
  if (detection !== undefined) {
    const ordered = detection.alerts
      .map((alert) => ({ alert, unit: eventUnit.get(alert.source.eventId) ?? 0 }))
      .sort((a, b) => a.unit - b.unit);
    const delivery = await deliverAlerts(ordered, deps, limits);
    ({ published, alreadyDelivered, unmarked } = delivery);
    if (delivery.failed) fail(delivery.failed.unit, delivery.failed.error);
    try {
      // After the publishes: a redelivery of the records from a failed one rebuilds the same records anyway.
      await writeBatch(detection.records, exits, deps.store);
    } catch (error) {
      fail(0, asDetectorError(error, "lineage store"));
    }
  }

  if (quarantined.length > 0) {
    try {
      // In input order: transport errors are found while opening, line errors while decoding.
      const order = quarantined
        .map((_, i) => i)
        .sort((a, b) => quarantineUnit[a]! - quarantineUnit[b]! || a - b);
      await deps.quarantine.put(order.map((i) => quarantined[i]!));
    } catch (error) {
      fail(Math.min(...quarantineUnit), asDetectorError(error, "quarantine"));
    }
  }
  return { counters, failedFrom, errors, quarantined, published, alreadyDelivered, unmarked };
}
