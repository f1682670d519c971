import { randomUUID } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { AlertPublisher } from "./alerts/alert-publisher.js";
import { DynamoDbDedupStore } from "./alerts/dynamodb-dedup-store.js";
import { DynamoDbDeliveryClaims } from "./alerts/dynamodb-delivery-claims.js";
import { SnsAlertPublisher } from "./alerts/sns-publisher.js";
import { keepAlive } from "./aws/keep-alive.js";
import { type Config, loadConfig } from "./config.js";
import { DynamoDbLineageStore } from "./lineage/dynamodb-lineage-store.js";
import { DynamoDbShardClaims } from "./lineage/dynamodb-shard-claims.js";
import { TieredLineageStore } from "./lineage/tiered-store.js";
import { keepRecord } from "./pipeline/keep-record.js";
import { DEFAULT_PENDING_LIMITS } from "./pipeline/pending-events.js";
import type { QuarantineSink } from "./quarantine/quarantine-sink.js";
import { S3OverflowStore } from "./quarantine/s3-overflow-store.js";
import { SqsQuarantine } from "./quarantine/sqs-quarantine.js";
import { compileRule } from "./rule/compile-rule.js";
import { DEFAULT_BUDGETS } from "./triggers/budgets.js";
import type { KinesisTriggerDeps } from "./triggers/kinesis-trigger.js";
import type { LogSink, MetricSink, Observability } from "./triggers/observe-report.js";

/**
 * The one place the detection functions' clients are built (DESIGN §8; the Slack notifier's are in
 * lib/slack-wiring.ts, so that neither bundle loads a client it never calls). Runs once per Lambda container,
 * at cold start: config is validated, clients keep their connections alive across invocations.
 */
export function wireDetection(env: Readonly<Record<string, string | undefined>>): KinesisTriggerDeps {
  const config = loadConfig(env);
  return wireFromConfig(config, {
    dynamodb: new DynamoDBClient({ requestHandler: keepAlive() }),
    publisher: new SnsAlertPublisher({
      client: new SNSClient({ requestHandler: keepAlive() }),
      topicArn: config.TOPIC_ARN,
      jsonFormat: config.ALERT_JSON_FORMAT,
    }),
    quarantine: new SqsQuarantine({
      client: new SQSClient({ requestHandler: keepAlive() }),
      queueUrl: config.QUARANTINE_QUEUE_URL,
      overflow: new S3OverflowStore({
        // Made on first overflow: the S3 client module stays out of every cold start.
        client: async () =>
          new (await import("@aws-sdk/client-s3")).S3Client({ requestHandler: keepAlive() }),
        bucket: config.QUARANTINE_BUCKET,
      }),
    }),
    logger: new Logger({ serviceName: "netutil-detector" }),
    metrics: new Metrics({ namespace: "NetutilDetector", serviceName: "netutil-detector" }),
  });
}

export interface Parts {
  readonly dynamodb: DynamoDBClient;
  readonly publisher: AlertPublisher;
  readonly quarantine: QuarantineSink;
  readonly logger: LogSink;
  readonly metrics: MetricSink;
  readonly onReport?: Observability["onReport"];
}

/** Wiring from given parts: the Lambda passes SNS and SQS adapters; the demo a console sink and dynalite. */
export function wireFromConfig(config: Config, parts: Parts): KinesisTriggerDeps {
  let storeCalls = 0;
  // Counted at the SDK level, so that every BatchGetItem/BatchWriteItem/UpdateItem retry counts too.
  parts.dynamodb.middlewareStack.add(
    (next) => async (args) => {
      storeCalls++;
      return next(args);
    },
    { step: "finalizeRequest", name: "netutilCountStoreCalls", override: true },
  );
  const rule = compileRule(config.rule);
  return {
    // The container's memory in front of the table, for a Kinesis shard it holds; the table alone otherwise.
    store: new TieredLineageStore({
      durable: new DynamoDbLineageStore({
        client: parts.dynamodb,
        tableName: config.TABLE_NAME,
        ttlSeconds: config.LINEAGE_TTL_SECONDS,
      }),
      claims: new DynamoDbShardClaims({
        client: parts.dynamodb,
        tableName: config.TABLE_NAME,
        ttlSeconds: config.LINEAGE_TTL_SECONDS,
        owner: randomUUID(),
      }),
      keep: keepRecord(rule),
    }),
    dedup: new DynamoDbDedupStore({
      client: parts.dynamodb,
      tableName: config.TABLE_NAME,
      windowSeconds: config.DEDUP_WINDOW_SECONDS,
    }),
    rule,
    pendingLimits: { ...DEFAULT_PENDING_LIMITS, waitMs: config.FRAGMENT_WAIT_SECONDS * 1000 },
    publisher: parts.publisher,
    // One claim per alert id for the topic (the Slack notifier claims its posts under its own prefix).
    claims: new DynamoDbDeliveryClaims({
      client: parts.dynamodb,
      tableName: config.TABLE_NAME,
      prefix: "publish",
    }),
    quarantine: parts.quarantine,
    logger: parts.logger,
    metrics: parts.metrics,
    ...(parts.onReport && { onReport: parts.onReport }),
    storeCalls: () => storeCalls,
    maxDecompressedBytes: config.MAX_DECOMPRESSED_BYTES,
    budgets: DEFAULT_BUDGETS,
  };
}
