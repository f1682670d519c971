import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SSMClient } from "@aws-sdk/client-ssm";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { AlertPublisher } from "./alerts/alert-publisher.js";
import { DynamoDbDedupStore } from "./alerts/dynamodb-dedup-store.js";
import { DynamoDbDeliveryClaims } from "./alerts/dynamodb-delivery-claims.js";
import { SnsAlertPublisher } from "./alerts/sns-publisher.js";
import { type Config, loadConfig } from "./config.js";
import { DynamoDbLineageStore } from "./lineage/dynamodb-lineage-store.js";
import { DEFAULT_PENDING_LIMITS } from "./pipeline/pending-events.js";
import type { QuarantineSink } from "./quarantine/quarantine-sink.js";
import { SqsQuarantine } from "./quarantine/sqs-quarantine.js";
import { compileRule } from "./rule/compile-rule.js";
import { DynamoDbPostedAlerts } from "./slack/posted-alerts.js";
import { loadSlackConfig } from "./slack/slack-config.js";
import { WebhookPoster } from "./slack/webhook-poster.js";
import { SsmWebhookUrl } from "./slack/webhook-url.js";
import type { KinesisTriggerDeps } from "./triggers/kinesis-trigger.js";
import type { LogSink, MetricSink, Observability } from "./triggers/observe-report.js";
import type { SlackNotifierDeps } from "./triggers/slack-notifier-trigger.js";

/**
 * The one place clients are built (DESIGN §8). Runs once per Lambda container, at cold start: config is
 * validated, clients keep their connections alive across invocations.
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
    store: new DynamoDbLineageStore({
      client: parts.dynamodb,
      tableName: config.TABLE_NAME,
      ttlSeconds: config.LINEAGE_TTL_SECONDS,
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
  };
}

/**
 * The Slack notifier (handlers/slack-notifier.ts), once per container: the webhook URL is read from SSM on
 * first use and kept; webhook posts go through Node's fetch, whose agent keeps the connection to Slack alive.
 */
export function wireSlackNotifier(env: Readonly<Record<string, string | undefined>>): SlackNotifierDeps {
  const config = loadSlackConfig(env);
  return {
    webhookUrl: new SsmWebhookUrl({
      client: new SSMClient({ requestHandler: keepAlive() }),
      parameterName: config.SLACK_WEBHOOK_PARAMETER,
    }),
    poster: new WebhookPoster({
      timeoutMs: config.SLACK_POST_TIMEOUT_MS,
      maxAttempts: config.SLACK_MAX_ATTEMPTS,
    }),
    postedAlerts: new DynamoDbPostedAlerts({
      client: new DynamoDBClient({ requestHandler: keepAlive() }),
      tableName: config.TABLE_NAME,
    }),
    logger: new Logger({ serviceName: "netutil-detector" }),
    metrics: new Metrics({ namespace: "NetutilDetector", serviceName: "netutil-detector" }),
  };
}

function keepAlive(): NodeHttpHandler {
  // Lambda reuses the container: keep connections to DynamoDB, SNS and SQS open across invocations.
  return new NodeHttpHandler({
    connectionTimeout: 2_000,
    requestTimeout: 5_000,
    httpAgent: { keepAlive: true },
    httpsAgent: { keepAlive: true },
  });
}
