/**
 * What one invocation may take on, so that no record can stall a shard, exhaust memory or outrun the
 * deadline (issue "bounded, poison-proof invocations"). Data, with the reason beside each figure.
 */
export interface DecodeBudgets {
  /**
   * Lines framed per record. A Kinesis record is at most 1 MiB (about 5,000 auditd lines) and a CloudWatch
   * Logs envelope at most 10,000 events; a payload of bare newlines would cost an object per line.
   */
  readonly maxLinesPerRecord: number;
  /**
   * Malformed lines of one record set aside one by one; past this, the record is set aside once, whole
   * (a 64 KiB record of junk lines is one queue message, not 32,768 in 3,277 calls).
   */
  readonly maxMalformedPerRecord: number;
  /**
   * Quarantine messages one batch may send; past this, each record with anything malformed goes whole, and
   * a CloudWatch Logs envelope (one unit per log event) goes as its one envelope.
   */
  readonly maxQuarantinedPerBatch: number;
}

export interface BatchBudgets extends DecodeBudgets {
  /**
   * Inflated bytes opened per invocation, over all its records. Records past it are left to the next
   * invocation (Kinesis retries from the first of them); the first record always opens, within its own
   * cap (MAX_DECOMPRESSED_BYTES). 30 gzip records of 16 KB inflating to 16 MiB each no longer meet in one
   * 512 MB function.
   */
  readonly maxOpenedBytesPerBatch: number;
}

export const DEFAULT_BUDGETS: BatchBudgets = Object.freeze({
  maxLinesPerRecord: 100_000,
  maxMalformedPerRecord: 10,
  maxQuarantinedPerBatch: 200,
  maxOpenedBytesPerBatch: 48 << 20,
});
