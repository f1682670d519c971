import { createHash } from "node:crypto";
import type { SNSEvent, SNSEventRecord } from "aws-lambda";
import type { Alert } from "../../lib/alerts/alert.js";
import { buildSnsMessage } from "../../lib/alerts/sns-message.js";

const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:netutil-detector-ci-AlertTopic-1A2B3C4D5E6F";

/** One SNS → Lambda record around a raw message (what SNS hands the function: one protocol's value). */
export function snsRecord(
  message: string,
  options: { subject?: string; attributes?: Record<string, string> } = {},
): SNSEventRecord {
  const messageId = createHash("sha256").update(message).digest("hex").slice(0, 32);
  return {
    EventVersion: "1.0",
    EventSource: "aws:sns",
    EventSubscriptionArn: `${TOPIC_ARN}:2f4e1c6a-0000-4000-8000-000000000001`,
    Sns: {
      Type: "Notification",
      MessageId: messageId,
      TopicArn: TOPIC_ARN,
      ...(options.subject !== undefined && { Subject: options.subject }),
      Message: message,
      Timestamp: "2026-11-28T00:00:00.000Z",
      SignatureVersion: "1",
      Signature: "EXAMPLE",
      SigningCertUrl: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem",
      UnsubscribeUrl: "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
      MessageAttributes: Object.fromEntries(
        Object.entries(options.attributes ?? {}).map(([k, v]) => [k, { Type: "String", Value: v }]),
      ),
    },
  };
}

/**
 * The record the Slack notifier receives for an alert as SnsAlertPublisher publishes it: with
 * `MessageStructure: "json"`, SNS hands a Lambda subscriber the `lambda` key's value, and the attributes.
 */
export function alertRecord(alert: Alert): SNSEventRecord {
  const published = buildSnsMessage(alert);
  const { lambda } = JSON.parse(published.message) as { lambda: string };
  return snsRecord(lambda, {
    subject: published.subject,
    attributes: Object.fromEntries(Object.entries(published.attributes).map(([k, v]) => [k, v.StringValue])),
  });
}

export const snsEvent = (...records: SNSEventRecord[]): SNSEvent => ({ Records: records });
