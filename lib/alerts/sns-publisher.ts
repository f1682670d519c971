import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { isRetryableAwsError } from "../aws/retry.js";
import { DetectorError } from "../errors.js";
import type { Alert } from "./alert.js";
import type { AlertPublisher } from "./alert-publisher.js";
import { escapeAndTruncate } from "./escape.js";
import { type AlertJsonFormat, buildSnsMessage, type SnsMessageOptions } from "./sns-message.js";

export interface SnsAlertPublisherOptions {
  readonly client: SNSClient;
  readonly topicArn: string;
  /** The topic's MaximumMessageSize when raised above SNS's default of 262,144 bytes. */
  readonly maxMessageBytes?: number;
  /** What the `sqs` and `https` keys carry (ALERT_JSON_FORMAT); native by default. */
  readonly jsonFormat?: AlertJsonFormat;
}

/**
 * Alerts to an SNS topic, one Publish per alert (DESIGN §6): `MessageStructure: "json"` so that email gets
 * the readable report and SQS/Lambda/HTTPS subscribers the alert JSON; message attributes for filter
 * policies. No retry loop here: the SDK already retried a throttled or failed call (standard mode), and a
 * second loop would only eat the Lambda's time before Kinesis redelivers the record anyway.
 */
export class SnsAlertPublisher implements AlertPublisher {
  readonly #client: SNSClient;
  readonly #topicArn: string;
  readonly #options: SnsMessageOptions;

  constructor(options: SnsAlertPublisherOptions) {
    this.#client = options.client;
    this.#topicArn = options.topicArn;
    this.#options = {
      ...(options.maxMessageBytes !== undefined && { maxBytes: options.maxMessageBytes }),
      ...(options.jsonFormat !== undefined && { jsonFormat: options.jsonFormat }),
    };
  }

  async publish(alert: Alert): Promise<void> {
    const sns = buildSnsMessage(alert, this.#options);
    try {
      await this.#client.send(
        new PublishCommand({
          TopicArn: this.#topicArn,
          Subject: sns.subject,
          Message: sns.message,
          MessageStructure: "json",
          MessageAttributes: { ...sns.attributes },
        }),
      );
    } catch (error) {
      const name = (error as { name?: unknown } | null)?.name;
      throw new DetectorError(
        `SNS publish of alert ${alert.id} failed: ${escapeAndTruncate(String(name ?? "Error"), 64)}: ${escapeAndTruncate((error as Error | null)?.message ?? String(error), 300)}`,
        {
          retryable: isTransientPublishError(error),
          cause: error,
          context: { topicArn: this.#topicArn, alertId: alert.id, trimmed: sns.trimmed },
        },
      );
    }
  }
}

/**
 * SNS errors a redelivery can fix, beyond the shared classification: a KMS throttle on an encrypted topic
 * comes back as a 400 client fault, and a server fault is retryable whatever its status says. Denied access,
 * a disabled key or an invalid parameter are not: retrying only delays the record's failure destination.
 */
function isTransientPublishError(error: unknown): boolean {
  if (isRetryableAwsError(error)) return true;
  const e = error as { name?: unknown; $fault?: unknown } | null;
  return e?.name === "KMSThrottlingException" || e?.$fault === "server";
}
