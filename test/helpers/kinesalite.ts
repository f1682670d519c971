import type { AddressInfo } from "node:net";
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  PutRecordsCommand,
} from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
// @ts-expect-error: kinesalite ships no type declarations
import kinesalite from "kinesalite";

export const REGION = "us-east-1";
const ACCOUNT = "123456789012";

/**
 * Kinesis on 127.0.0.1, in-process and in memory, started by the tests. The v3 client defaults to HTTP/2,
 * which kinesalite does not speak: an HTTP/1.1 NodeHttpHandler is required.
 */
export async function startKinesalite() {
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const client = new KinesisClient({
    region: REGION,
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    requestHandler: new NodeHttpHandler(),
  });
  return {
    client,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A stream with one shard, so that GetRecords returns everything in put order. */
export async function createStream(client: KinesisClient, name: string): Promise<string> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  for (let i = 0; i < 50; i++) {
    const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamName: name }));
    if (StreamDescription?.StreamStatus === "ACTIVE") return StreamDescription.StreamARN!;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`stream ${name} did not become active`);
}

/** Puts payloads the way a producer does (Fluent Bit, the CloudWatch agent): partition key = host. */
export async function putPayloads(
  client: KinesisClient,
  stream: string,
  payloads: { data: Buffer | string; partitionKey: string }[],
) {
  for (let i = 0; i < payloads.length; i += 500) {
    const chunk = payloads.slice(i, i + 500);
    const result = await client.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: chunk.map((p) => ({
          Data: typeof p.data === "string" ? Buffer.from(p.data) : p.data,
          PartitionKey: p.partitionKey,
        })),
      }),
    );
    if (result.FailedRecordCount) throw new Error(`${result.FailedRecordCount} records failed to put`);
  }
}

/**
 * Reads the stream back and builds the Lambda events exactly as the event source mapping does (one event per
 * `batchSize` records, data base64, eventID `shardId:sequenceNumber`).
 */
export async function readAsLambdaEvents(
  client: KinesisClient,
  stream: string,
  streamArn: string,
  batchSize: number,
): Promise<KinesisStreamEvent[]> {
  const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamName: stream }));
  const shardId = StreamDescription!.Shards![0]!.ShardId!;
  let { ShardIterator } = await client.send(
    new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" }),
  );
  const records: KinesisStreamRecord[] = [];
  for (;;) {
    const page = await client.send(new GetRecordsCommand({ ShardIterator, Limit: 10_000 }));
    for (const r of page.Records ?? []) {
      records.push({
        kinesis: {
          kinesisSchemaVersion: "1.0",
          partitionKey: r.PartitionKey!,
          sequenceNumber: r.SequenceNumber!,
          data: Buffer.from(r.Data!).toString("base64"),
          approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp ?? new Date()).getTime() / 1000,
        },
        eventSource: "aws:kinesis",
        eventVersion: "1.0",
        eventID: `${shardId}:${r.SequenceNumber}`,
        eventName: "aws:kinesis:record",
        invokeIdentityArn: `arn:aws:iam::${ACCOUNT}:role/netutil-detector-kinesis`,
        awsRegion: REGION,
        eventSourceARN: streamArn,
      });
    }
    if (!page.Records?.length || !page.NextShardIterator || page.MillisBehindLatest === 0) break;
    ShardIterator = page.NextShardIterator;
  }
  const events: KinesisStreamEvent[] = [];
  for (let i = 0; i < records.length; i += batchSize)
    events.push({ Records: records.slice(i, i + batchSize) });
  return events;
}
