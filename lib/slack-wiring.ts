import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SSMClient } from "@aws-sdk/client-ssm";
import { keepAlive } from "./aws/keep-alive.js";
import { DynamoDbPostedAlerts } from "./slack/posted-alerts.js";
import { loadSlackConfig } from "./slack/slack-config.js";
import { WebhookPoster } from "./slack/webhook-poster.js";
import { SsmWebhookUrl } from "./slack/webhook-url.js";
import type { SlackNotifierDeps } from "./triggers/slack-notifier-trigger.js";

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
