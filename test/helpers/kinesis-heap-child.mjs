// Runs the built Kinesis bundle on a batch of gzip bombs under the heap given by the parent's
// --max-old-space-size (test/triggers/memory-budget.test.ts), and prints what came out as one JSON line.
// Plain ESM: a child process of its own, so that running out of memory ends it and not the test runner.
import { gzipSync } from "node:zlib";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";

const { bundle, records, lineBytes, inflatedBytes } = JSON.parse(process.argv[2]);

const sns = mockClient(SNSClient);
const sqs = mockClient(SQSClient);
const s3 = mockClient(S3Client);
let published = 0;
let quarantined = 0;
sns.on(PublishCommand).callsFake(() => {
  published++;
  return { MessageId: "m" };
});
sqs.on(SendMessageBatchCommand).callsFake((input) => {
  quarantined += input.Entries.length;
  return {
    Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: "q", MD5OfMessageBody: "0" })),
    Failed: [],
  };
});
s3.on(PutObjectCommand).resolves({});

// A CloudWatch Logs envelope of junk lines, inflating to `inflatedBytes`; gzip makes it about 16 KB.
const line = `junk ${"A".repeat(lineBytes - 6)}\n`;
const message = line.repeat(Math.floor((inflatedBytes - 200) / line.length));
const envelope = gzipSync(
  JSON.stringify({
    messageType: "DATA_MESSAGE",
    owner: "123456789012",
    logGroup: "/exec",
    logStream: "web-01",
    subscriptionFilters: ["f"],
    logEvents: [{ id: "1", timestamp: 1_795_822_038_000, message }],
  }),
  { level: 9 },
);
const data = envelope.toString("base64");
const event = {
  Records: Array.from({ length: records }, (_, i) => {
    const sequenceNumber = (49_000_000_000_000_000_000n + BigInt(i)).toString();
    return {
      kinesis: { kinesisSchemaVersion: "1.0", partitionKey: "web-01", sequenceNumber, data },
      eventSource: "aws:kinesis",
      eventID: `shardId-000000000000:${sequenceNumber}`,
    };
  }),
};

const { handler } = await import(bundle);
let pending = event.Records;
let invocations = 0;
while (pending.length > 0 && invocations < 50) {
  invocations++;
  const { batchItemFailures } = await handler({ Records: pending });
  if (batchItemFailures.length === 0) break;
  const from = pending.findIndex((r) => r.kinesis.sequenceNumber === batchItemFailures[0].itemIdentifier);
  pending = pending.slice(from);
}
process.stdout.write(
  `${JSON.stringify({ gzipBytes: envelope.length, invocations, published, quarantined })}\n`,
);
