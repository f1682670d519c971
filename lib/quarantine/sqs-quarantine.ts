import { createHash } from "node:crypto";
import {
  type BatchResultErrorEntry,
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { type RetryOptions, retryPartial } from "../aws/retry.js";
import { runBounded } from "../bounded.js";
import { DetectorError } from "../errors.js";
import type { OverflowStore, StoredObject } from "./overflow-store.js";
import type { QuarantinedRecord, QuarantineLimits, QuarantineSink } from "./quarantine-sink.js";

/**
 * SQS limits this adapter keeps to. SQS now accepts up to 1 MiB per message and per batch, but a queue's
 * MaximumMessageSize may still be 256 KiB (the old default): 256 KiB fits either.
 */
export const SQS_MAX_MESSAGE_BYTES = 262_144;
export const SQS_MAX_BATCH_BYTES = 262_144;
export const SQS_MAX_BATCH_ENTRIES = 10;
/** Raw bytes carried in the message itself: base64 makes them 240 KiB, leaving room for the rest. */
export const QUARANTINE_RAW_KEEP_BYTES = 180 * 1024;
/** SendMessageBatch calls (and overflow uploads) in flight at once. */
export const MAX_CONCURRENT_SENDS = 8;

const MAX_REASON_CHARS = 2048;
const MAX_SOURCE_CHARS = 1024;
const MAX_ATTRIBUTE_CHARS = 256;

export interface SqsQuarantineOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  /**
   * Where raw bytes too large for a message go (the SQS extended-client pattern): the message then points
   * to the object. Without it (tests of the message format only) they are cut, and marked `truncated`.
   */
  readonly overflow?: OverflowStore;
  /** Backoff of the one resend of failed entries; tests inject `sleep`. */
  readonly retry?: RetryOptions;
}

/**
 * The body of one quarantine message: JSON, pure ASCII (non-ASCII is \u-escaped, so no character SQS
 * rejects can appear), raw bytes in base64 because a malformed record is often not valid text at all.
 */
export interface QuarantineMessage {
  reason: string;
  source: {
    trigger: QuarantinedRecord["source"]["trigger"];
    id: string;
    line: number | null;
    origin: string | null;
  };
  /** The record's bytes, exactly; empty when they are in `rawObject`. */
  rawBase64: string;
  /** Size of the record as read. */
  rawBytes: number;
  /** SHA-256 of the record's bytes (hex): checks `rawBase64` or the object. */
  rawSha256: string;
  /** Where the bytes are when they did not fit in the message (lib/quarantine/overflow-store.ts). */
  rawObject: { bucket: string; key: string } | null;
  /** Only without an overflow store: `rawBase64` holds the first bytes. */
  truncated: boolean;
}

interface SizedEntry {
  readonly entry: SendMessageBatchRequestEntry & { Id: string };
  /** Body plus attributes, what SQS counts against its limits. */
  readonly bytes: number;
}

/**
 * Malformed records to an SQS queue (DESIGN §7), in SendMessageBatch calls of at most 10 entries and 256 KiB.
 * A batch can succeed partly: entries that failed through no fault of ours are sent once more after a
 * backoff; whatever is still failed then (sender faults included) throws a retryable DetectorError, so the
 * trigger fails the record and nothing is lost. Records redelivered that way may reach the queue twice.
 */
export class SqsQuarantine implements QuarantineSink {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #retry: RetryOptions;
  readonly #overflow: OverflowStore | undefined;

  constructor(options: SqsQuarantineOptions) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
    this.#overflow = options.overflow;
    // One resend: the SDK already retried the call itself, and the Lambda's time is better spent failing
    // the record (Kinesis redelivers it) than waiting on a queue that keeps refusing.
    this.#retry = { maxAttempts: 2, ...options.retry };
  }

  async put(records: readonly QuarantinedRecord[], limits?: QuarantineLimits): Promise<void> {
    const inTime = () => limits === undefined || limits.now() <= limits.deadline;
    // Bytes too large for a message go to the overflow store first: a message never points to nothing.
    const objects: (StoredObject | undefined)[] = new Array(records.length);
    const overflow = this.#overflow;
    if (overflow !== undefined) {
      const large = records.flatMap((record, i) => (fitsInMessage(record) ? [] : [i]));
      const done = await runBounded(
        large,
        MAX_CONCURRENT_SENDS,
        async (i) => {
          objects[i] = await overflow.put(records[i]!.raw);
        },
        inTime,
      );
      if (done < large.length) throw deadlineError(this.#queueUrl, large.length - done);
    }
    // Ids only need to be unique within a call; the index also leads back to the record.
    const entries = records.map((record, i) => quarantineEntry(record, `r${i}`, objects[i]));
    const chunks = batches(entries);
    const sent = await runBounded(
      chunks,
      MAX_CONCURRENT_SENDS,
      (chunk) => this.#sendChunk(chunk.map((c) => c.entry)),
      inTime,
    );
    if (sent < chunks.length) throw deadlineError(this.#queueUrl, chunks.length - sent);
  }

  async #sendChunk(chunk: readonly (SendMessageBatchRequestEntry & { Id: string })[]): Promise<void> {
    const senderFaults: BatchResultErrorEntry[] = [];
    let lastTransient: BatchResultErrorEntry[] = [];
    const left = await retryPartial(
      chunk,
      async (pending) => {
        const failed = await this.#sendBatch(pending);
        senderFaults.push(...failed.filter((f) => f.SenderFault === true));
        lastTransient = failed.filter((f) => f.SenderFault !== true);
        const retry = new Set(lastTransient.map((f) => f.Id));
        const again = pending.filter((e) => retry.has(e.Id));
        return again.length > 0 ? again : undefined;
      },
      this.#retry,
    );
    const failed = [...senderFaults, ...(left === undefined ? [] : lastTransient)];
    if (failed.length === 0) return;
    const codes = [...new Set(failed.map((f) => f.Code ?? "unknown"))].join(",");
    throw new DetectorError(
      `SQS quarantine: ${failed.length} of ${chunk.length} messages not accepted (${codes})`,
      {
        retryable: true,
        context: {
          queueUrl: this.#queueUrl,
          failed: failed.length,
          codes,
          ids: failed.map((f) => f.Id).join(","),
          message: failed[0]?.Message,
        },
      },
    );
  }

  /** One SendMessageBatch: the entries SQS did not accept, each with its fault. */
  async #sendBatch(entries: readonly SendMessageBatchRequestEntry[]): Promise<BatchResultErrorEntry[]> {
    let output: SendMessageBatchCommandOutput;
    try {
      output = await this.#client.send(
        new SendMessageBatchCommand({ QueueUrl: this.#queueUrl, Entries: [...entries] }),
      );
    } catch (error) {
      // Retryable whatever the cause (QuarantineSink's contract): a non-retryable failure would let the trigger
      // drop the record; a redelivery bounded by serverless.yml ends at the on-failure destination instead.
      throw new DetectorError(
        `SQS quarantine: SendMessageBatch failed: ${(error as Error | null)?.name ?? "Error"}`,
        {
          retryable: true,
          cause: error,
          context: { queueUrl: this.#queueUrl, entries: entries.length },
        },
      );
    }
    const failed = [...(output.Failed ?? [])];
    // An entry in neither list was not confirmed: treated as failed rather than assumed delivered.
    const reported = new Set([...(output.Successful ?? []).map((s) => s.Id), ...failed.map((f) => f.Id)]);
    for (const entry of entries) {
      if (!reported.has(entry.Id)) {
        failed.push({
          Id: entry.Id,
          SenderFault: false,
          Code: "NotReported",
          Message: "not in the response",
        });
      }
    }
    return failed;
  }
}

/** Whether a record's bytes travel in its message (else they go to the overflow store). */
function fitsInMessage(record: QuarantinedRecord): boolean {
  return record.raw.length <= QUARANTINE_RAW_KEEP_BYTES;
}

function deadlineError(queueUrl: string, notStarted: number): DetectorError {
  return new DetectorError("SQS quarantine: calls not started before the invocation's deadline", {
    retryable: true,
    context: { queueUrl, notStarted },
  });
}

/**
 * The SendMessageBatch entry of one record: its bytes in the message, or a pointer to the object that holds
 * them (`object`); without either (no overflow store), cut so that the message stays under the limit.
 */
export function quarantineEntry(record: QuarantinedRecord, id: string, object?: StoredObject): SizedEntry {
  const attributes: Record<string, MessageAttributeValue> = {
    reason: { DataType: "String", StringValue: attributeText(record.reason) },
    trigger: { DataType: "String", StringValue: record.source.trigger },
  };
  const attributeBytes = Object.entries(attributes).reduce(
    (sum, [name, value]) =>
      sum + name.length + (value.DataType ?? "").length + Buffer.byteLength(value.StringValue ?? "", "utf8"),
    0,
  );
  const message = (rawBase64: string, kept: number): QuarantineMessage => ({
    reason: cut(record.reason, MAX_REASON_CHARS),
    source: {
      trigger: record.source.trigger,
      id: cut(record.source.id, MAX_SOURCE_CHARS),
      line: record.source.line ?? null,
      origin: record.source.origin === undefined ? null : cut(record.source.origin, MAX_SOURCE_CHARS),
    },
    rawBase64,
    rawBytes: record.raw.length,
    rawSha256: sha256,
    rawObject: object === undefined ? null : { bucket: object.bucket, key: object.key },
    truncated: object === undefined && kept < record.raw.length,
  });
  const sha256 = object?.sha256 ?? createHash("sha256").update(record.raw).digest("hex");
  if (object !== undefined) {
    const body = asciiJson(message("", 0));
    return {
      entry: { Id: id, MessageBody: body, MessageAttributes: attributes },
      bytes: body.length + attributeBytes,
    };
  }
  // Everything but the base64, at its longest ("truncated": false); then as many raw bytes as still fit.
  const overhead = asciiJson(message("", record.raw.length)).length + attributeBytes;
  const fitting = Math.floor(Math.max(0, SQS_MAX_MESSAGE_BYTES - overhead) / 4) * 3;
  const kept = Math.min(record.raw.length, QUARANTINE_RAW_KEEP_BYTES, fitting);
  const body = asciiJson(message(record.raw.subarray(0, kept).toString("base64"), kept));
  return {
    entry: { Id: id, MessageBody: body, MessageAttributes: attributes },
    bytes: body.length + attributeBytes,
  };
}

/** Greedy chunks of at most 10 entries and 256 KiB; every entry fits alone by construction. */
function batches(entries: readonly SizedEntry[]): SizedEntry[][] {
  const out: SizedEntry[][] = [];
  let chunk: SizedEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (
      chunk.length === SQS_MAX_BATCH_ENTRIES ||
      (chunk.length > 0 && bytes + entry.bytes > SQS_MAX_BATCH_BYTES)
    ) {
      out.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(entry);
    bytes += entry.bytes;
  }
  if (chunk.length > 0) out.push(chunk);
  return out;
}

/** JSON with every non-ASCII character \u-escaped: the byte size is the length, and SQS accepts all of it. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Printable ASCII, capped, never empty (SQS rejects an empty attribute value). */
function attributeText(text: string): string {
  // 4x the cap in UTF-16 units is always more than the cap in code points: the cut below is then marked.
  const head = text.length > MAX_ATTRIBUTE_CHARS * 4 ? text.slice(0, MAX_ATTRIBUTE_CHARS * 4) : text;
  let out = "";
  for (const ch of head) {
    const code = ch.codePointAt(0)!;
    out += code >= 0x20 && code <= 0x7e ? ch : "?";
  }
  if (out.length > MAX_ATTRIBUTE_CHARS) out = `${out.slice(0, MAX_ATTRIBUTE_CHARS - 3)}...`;
  return out === "" ? "-" : out;
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, end)}…[+${text.length - end} chars]`;
}
