import { gunzipSync } from "node:zlib";
import { deaggregateKpl, isKplAggregated } from "./kpl.js";

/**
 * What arrives on a trigger before any telemetry decoding (DESIGN §2, decode): a Kinesis record's data is
 * base64 of either the telemetry itself (one JSON event, NDJSON, raw auditd or laurel lines) or, when a
 * CloudWatch Logs subscription feeds the stream, a gzip'd envelope of log events. CloudWatch Logs triggering
 * Lambda directly sends the same envelope. Decompression is capped: a few KB of gzip can inflate to GBs.
 */

export interface TransportMessage {
  /** Telemetry text: one or more lines. */
  readonly text: string;
  /** Host for records that name none: the log stream of a CloudWatch event, else the partition key. */
  readonly defaultHost: string;
  /** Where it came from: the CloudWatch Logs event id, or "" for a plain Kinesis payload. */
  readonly id: string;
  /**
   * The bytes `text` was decoded from, when it was (a plain Kinesis payload): a line set aside keeps its
   * exact bytes, invalid UTF-8 included. A CloudWatch Logs message is JSON text already: its UTF-8 is exact.
   */
  readonly bytes?: Buffer;
}

export type OpenedPayload =
  | {
      readonly kind: "messages";
      readonly messages: readonly TransportMessage[];
      /** Bytes the payload takes once opened (inflated): what an invocation's memory budget counts. */
      readonly openedBytes: number;
    }
  /** CloudWatch Logs sends CONTROL_MESSAGEs to check that the destination is reachable: no telemetry. */
  | { readonly kind: "control" }
  | { readonly kind: "error"; readonly reason: string };

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/**
 * A Kinesis record's payload (already base64-decoded by the caller). A KPL aggregated record opens into its
 * user records, each a payload of its own (its partition key the host by default); one that cannot be
 * opened makes the whole record malformed, set aside with its bytes.
 */
export function openKinesisPayload(
  data: Buffer,
  partitionKey: string,
  maxDecompressedBytes: number,
): OpenedPayload {
  if (isKplAggregated(data)) {
    const opened = deaggregateKpl(data, partitionKey);
    if ("error" in opened) return { kind: "error", reason: opened.error };
    const messages: TransportMessage[] = [];
    let openedBytes = 0;
    for (const [i, record] of opened.records.entries()) {
      const left = Math.max(1, maxDecompressedBytes - openedBytes);
      const payload = openPlainOrGzip(record.data, record.partitionKey, left);
      if (payload.kind === "error")
        return { kind: "error", reason: `KPL user record ${i}: ${payload.reason}` };
      if (payload.kind === "control") continue;
      messages.push(...payload.messages);
      openedBytes += payload.openedBytes;
    }
    return { kind: "messages", messages, openedBytes };
  }
  return openPlainOrGzip(data, partitionKey, maxDecompressedBytes);
}

function openPlainOrGzip(data: Buffer, partitionKey: string, maxDecompressedBytes: number): OpenedPayload {
  if (data.length >= 2 && data[0] === GZIP_MAGIC_0 && data[1] === GZIP_MAGIC_1) {
    return openCloudWatchEnvelope(data, maxDecompressedBytes, partitionKey);
  }
  return {
    kind: "messages",
    messages: [{ text: data.toString("utf8"), defaultHost: partitionKey, id: "", bytes: data }],
    openedBytes: data.length,
  };
}

/** A CloudWatch Logs subscription envelope: gzip of {messageType, logGroup, logStream, logEvents[]}. */
export function openCloudWatchEnvelope(
  gzipped: Buffer,
  maxDecompressedBytes: number,
  fallbackHost = "unknown",
): OpenedPayload {
  let json: string;
  try {
    // Inflated and decoded in one expression: the Buffer is garbage as soon as the string exists.
    json = gunzipSync(gzipped, { maxOutputLength: maxDecompressedBytes }).toString("utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      kind: "error",
      reason:
        code === "ERR_BUFFER_TOO_LARGE" || error instanceof RangeError
          ? `gzip payload inflates beyond ${maxDecompressedBytes} bytes`
          : `not valid gzip: ${(error as Error).message}`,
    };
  }
  let envelope: unknown;
  try {
    envelope = JSON.parse(json);
  } catch (error) {
    return { kind: "error", reason: `CloudWatch Logs envelope is not JSON: ${(error as Error).message}` };
  }
  if (typeof envelope !== "object" || envelope === null)
    return { kind: "error", reason: "CloudWatch Logs envelope is not an object" };
  const { messageType, logStream, logEvents } = envelope as Record<string, unknown>;
  if (messageType === "CONTROL_MESSAGE") return { kind: "control" };
  if (messageType !== "DATA_MESSAGE")
    return {
      kind: "error",
      reason: `unknown CloudWatch Logs messageType ${JSON.stringify(messageType)?.slice(0, 40)}`,
    };
  if (!Array.isArray(logEvents))
    return { kind: "error", reason: "CloudWatch Logs envelope has no logEvents array" };
  const host = typeof logStream === "string" && logStream.length > 0 ? logStream : fallbackHost;
  const messages: TransportMessage[] = [];
  for (const event of logEvents) {
    const message = (event as Record<string, unknown> | null)?.["message"];
    const id = (event as Record<string, unknown> | null)?.["id"];
    if (typeof message !== "string")
      return { kind: "error", reason: "a CloudWatch Logs event has no message string" };
    messages.push({
      text: message,
      defaultHost: host,
      id: typeof id === "string" ? id : String(messages.length),
    });
  }
  return { kind: "messages", messages, openedBytes: json.length };
}
