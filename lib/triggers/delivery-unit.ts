import type { OpenedPayload } from "../telemetry/transport.js";

/**
 * One delivery unit of a trigger: a Kinesis record, or a CloudWatch Logs invocation's log event. Failures
 * are reported per unit, so that Kinesis can retry from the first failed record and nothing before it twice.
 */
export interface DeliveryUnit {
  /** Kinesis sequence number, or the CloudWatch Logs event id. */
  readonly id: string;
  /** Partition key or log stream. */
  readonly origin: string;
  readonly payload: OpenedPayload;
  /** The raw transport bytes, set aside whole when the payload cannot be opened or floods. */
  readonly raw: Buffer;
}
