import { gzipSync } from "node:zlib";
import type { CloudWatchLogsEvent } from "aws-lambda";

/**
 * A CloudWatch Logs subscription payload built from plain lines, as CloudWatch Logs builds it: gzip of the
 * DATA_MESSAGE envelope, base64 for Lambda (`awslogs.data`) or raw bytes inside a Kinesis record.
 */
export function cloudWatchEnvelope(
  lines: readonly string[],
  logStream: string,
  logGroup = "/netutil/audit",
  firstId = 1,
): Buffer {
  const envelope = {
    messageType: "DATA_MESSAGE",
    owner: "123456789012",
    logGroup,
    logStream,
    subscriptionFilters: ["netutil-detector"],
    logEvents: lines.map((message, i) => ({
      id: String(37_000_000_000 + firstId + i),
      timestamp: 1_795_822_038_000 + i,
      message,
    })),
  };
  return gzipSync(JSON.stringify(envelope));
}

export function cloudWatchLogsEvent(
  lines: readonly string[],
  logStream: string,
  firstId = 1,
): CloudWatchLogsEvent {
  return {
    awslogs: { data: cloudWatchEnvelope(lines, logStream, "/netutil/audit", firstId).toString("base64") },
  };
}

export const controlMessage = (): Buffer =>
  gzipSync(
    JSON.stringify({
      messageType: "CONTROL_MESSAGE",
      owner: "CloudwatchLogs",
      logGroup: "",
      logStream: "",
      subscriptionFilters: [],
      logEvents: [
        {
          id: "",
          timestamp: 1,
          message: "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream.",
        },
      ],
    }),
  );
