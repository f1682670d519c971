/**
 * Malformed telemetry set aside with its raw bytes and the reason (DESIGN §7): never silently dropped, never
 * fatal to its batch. In AWS an SQS queue (lib/quarantine/sqs-quarantine.ts); a failure to quarantine is
 * retryable and fails the record, so nothing is lost.
 */
export interface QuarantinedRecord {
  readonly reason: string;
  /** The record as read (a line, a document, or a whole undecodable transport record). */
  readonly raw: Buffer;
  readonly source: {
    /** Which trigger read it. */
    readonly trigger: "kinesis" | "cloudwatch-logs" | "cli";
    /** Kinesis sequence number, CloudWatch Logs event id, or file name. */
    readonly id: string;
    /** Line within the transport record's payload, when the record was split into lines. */
    readonly line?: number;
    /** Kinesis partition key or CloudWatch log stream: where the record came from. */
    readonly origin?: string;
  };
}

/** What an invocation may spend on its quarantine (lib/triggers/run-limits.ts). */
export interface QuarantineLimits {
  readonly now: () => number;
  /** Epoch ms after which no call starts: the put fails, retryably, and its records are delivered again. */
  readonly deadline: number;
}

export interface QuarantineSink {
  /** Resolves once every record is set aside; throws (retryable) if any may not be. */
  put(records: readonly QuarantinedRecord[], limits?: QuarantineLimits): Promise<void>;
}
