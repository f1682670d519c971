import { fileURLToPath } from "node:url";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toKinesisEvents } from "../../lib/cli/kinesis-demo.js";
import { type LocalDynamo, startDynalite } from "../helpers/dynalite.js";
import { CAPTURED_AUDITD, readSample } from "../helpers/samples.js";

/**
 * The deployed artifact itself: dist/lambda/kinesis/index.mjs as infra/esbuild.mjs builds it for `osls
 * package`, configured only through its environment as Lambda configures it. DynamoDB is dynalite (through
 * the SDK's service endpoint variable); SNS and SQS are mocked at the client class, which the bundle shares
 * because the runtime's SDK is left out of it.
 */
let dynamo: LocalDynamo;
const saved = { ...process.env };

beforeAll(async () => {
  dynamo = await startDynalite();
  Object.assign(process.env, {
    TABLE_NAME: dynamo.tableName,
    TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:netutil-detector-ci-alerts",
    QUARANTINE_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/netutil-detector-ci-quarantine",
    QUARANTINE_BUCKET: "netutil-detector-ci-quarantine",
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    POWERTOOLS_LOG_LEVEL: "ERROR",
    POWERTOOLS_METRICS_DISABLED: "true",
  });
});
afterAll(async () => {
  process.env = saved;
  await dynamo.close();
});

describe("the Kinesis Lambda bundle", () => {
  it("handles the captured telemetry: two alerts published, nothing failed", async () => {
    const sns = mockClient(SNSClient);
    const sqs = mockClient(SQSClient);
    sns.on(PublishCommand).resolves({ MessageId: "m" });
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    try {
      const bundle = fileURLToPath(new URL("../../dist/lambda/kinesis/index.mjs", import.meta.url));
      const { handler } = (await import(bundle)) as {
        handler: (e: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;
      };
      const lines = readSample(CAPTURED_AUDITD)
        .split("\n")
        .filter((l) => l.length > 0);
      const [event] = toKinesisEvents(lines.map((l) => ({ data: Buffer.from(l), partitionKey: "vm" })));
      expect(await handler(event!)).toEqual({ batchItemFailures: [] });
      const subjects = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject);
      expect(subjects).toEqual([
        "[HIGH] nslookup run from /tmp/dropper.sh on vm",
        "[HIGH] curl run from /dev/shm/.x on vm",
      ]);
      expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.TopicArn).toBe(process.env["TOPIC_ARN"]);
      expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    } finally {
      sns.restore();
      sqs.restore();
    }
  });
});
