import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import type { Alert } from "../../lib/alerts/alert.js";
import { SnsAlertPublisher } from "../../lib/alerts/sns-publisher.js";
import { loadConfig } from "../../lib/config.js";
import { S3OverflowStore } from "../../lib/quarantine/s3-overflow-store.js";
import { SqsQuarantine } from "../../lib/quarantine/sqs-quarantine.js";
import type { DetectionReport } from "../../lib/triggers/detect-units.js";
import { wireFromConfig } from "../../lib/wiring.js";

export const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:netutil-detector-test-alerts";
export const QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/netutil-detector-test-quarantine";
export const BUCKET = "netutil-detector-test-quarantine";

/**
 * The detection deps exactly as lib/wiring.ts builds them for the Lambda, with DynamoDB on a local stand-in
 * and SNS/SQS/S3 clients mocked (no local stand-in for them): the real SnsAlertPublisher and SqsQuarantine run,
 * the mocks see the exact commands.
 */
export function detectorHarness(dynamodb: DynamoDBClient, tableName: string) {
  const sns = new SNSClient({ region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } });
  const sqs = new SQSClient({ region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } });
  const s3 = new S3Client({ region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } });
  const snsMock = mockClient(sns);
  const sqsMock = mockClient(sqs);
  const s3Mock = mockClient(s3);
  s3Mock.on(PutObjectCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: "m-1" });
  sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
    Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: "0" })),
    Failed: [],
  }));
  const reports: DetectionReport[] = [];
  const logs: { level: string; message: string; extra: Record<string, unknown> }[] = [];
  const log = (level: string) => (message: string, extra: Record<string, unknown>) =>
    void logs.push({ level, message, extra });
  const deps = wireFromConfig(
    loadConfig({
      TABLE_NAME: tableName,
      TOPIC_ARN: TOPIC_ARN,
      QUARANTINE_QUEUE_URL: QUEUE_URL,
      QUARANTINE_BUCKET: BUCKET,
    }),
    {
      dynamodb,
      publisher: new SnsAlertPublisher({ client: sns, topicArn: TOPIC_ARN }),
      quarantine: new SqsQuarantine({
        client: sqs,
        queueUrl: QUEUE_URL,
        overflow: new S3OverflowStore({ client: s3, bucket: BUCKET }),
        retry: { sleep: async () => {} },
      }),
      logger: { info: log("info"), warn: log("warn"), error: log("error") },
      metrics: { addMetric: () => undefined, publishStoredMetrics: () => {} },
      onReport: (report) => reports.push(report),
    },
  );
  const published = (): Alert[] =>
    snsMock
      .commandCalls(PublishCommand)
      .map((call) => JSON.parse(JSON.parse(call.args[0].input.Message!).sqs) as Alert);
  return { deps, snsMock, sqsMock, s3Mock, reports, logs, published };
}
