import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Alert } from "../../lib/alerts/alert.js";
import { buildSlackMessage } from "../../lib/alerts/format-slack.js";
import { createDetectorTable } from "../../lib/cli/local-dynamodb.js";
import { DetectorError } from "../../lib/errors.js";
import { DynamoDbPostedAlerts } from "../../lib/slack/posted-alerts.js";
import { WebhookPoster } from "../../lib/slack/webhook-poster.js";
import { SsmWebhookUrl } from "../../lib/slack/webhook-url.js";
import type { LogSink, MetricSink } from "../../lib/triggers/observe-report.js";
import { makeSlackNotifierHandler } from "../../lib/triggers/slack-notifier-trigger.js";
import { type LocalDynamo, startDynalite } from "../helpers/dynalite.js";
import { replayText } from "../helpers/replay-text.js";
import { CAPTURED_AUDITD, readSample } from "../helpers/samples.js";
import { assertValidBlockKit } from "../helpers/slack.js";
import { alertRecord, snsEvent, snsRecord } from "../helpers/sns-events.js";
import { startWebhookServer, type WebhookServer } from "../helpers/webhook-server.js";

/**
 * The notifier end to end with real local services: dynalite holds the posted-alert items, a real HTTP
 * server on 127.0.0.1 stands in for the Slack webhook, SSM is mocked (it only hands out the URL). The SNS
 * records are what a Lambda subscriber receives for alerts the detector published (the `lambda` key).
 */
const PARAMETER = "/netutil-detector/test/slack-webhook-url";
const ssm = mockClient(SSMClient);
let dynamo: LocalDynamo;
let hook: WebhookServer;
let alerts: Alert[];
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  hook = await startWebhookServer();
  ({ alerts } = await replayText(readSample(CAPTURED_AUDITD)));
  expect(alerts).toHaveLength(2);
});
afterAll(async () => {
  ssm.restore();
  await hook.close();
  await dynamo.close();
});
beforeEach(() => {
  ssm.reset();
  ssm.on(GetParameterCommand, { Name: PARAMETER, WithDecryption: true }).resolves({
    Parameter: { Name: PARAMETER, Type: "SecureString", Value: hook.url },
  });
  hook.requests.length = 0;
  hook.accepted.length = 0;
  hook.respond(() => ({ status: 200, body: "ok" }));
});

interface LogLine {
  level: "info" | "warn" | "error";
  message: string;
  extra: Record<string, unknown>;
}

/** The handler as handlers/slack-notifier.ts wires it, on a fresh table, with waits recorded not slept. */
async function notifier(options: { maxAttempts?: number } = {}) {
  const tableName = `slack-${++tables}`;
  await createDetectorTable(dynamo.client, tableName);
  const logs: LogLine[] = [];
  const logger: LogSink = {
    info: (message, extra) => logs.push({ level: "info", message, extra }),
    warn: (message, extra) => logs.push({ level: "warn", message, extra }),
    error: (message, extra) => logs.push({ level: "error", message, extra }),
  };
  const metrics: MetricSink = { addMetric: () => undefined, publishStoredMetrics: () => undefined };
  const client = new SSMClient({
    region: "us-east-1",
    credentials: { accessKeyId: "a", secretAccessKey: "b" },
  });
  const handler = makeSlackNotifierHandler({
    webhookUrl: new SsmWebhookUrl({ client, parameterName: PARAMETER }),
    poster: new WebhookPoster({
      timeoutMs: 2_000,
      maxAttempts: options.maxAttempts ?? 3,
      sleep: async () => {},
    }),
    postedAlerts: new DynamoDbPostedAlerts({ client: dynamo.client, tableName }),
    logger,
    metrics,
  });
  return { handler, logs };
}

/** Alert ids in the order Slack accepted them (the formatter puts the id in the context line). */
const acceptedIds = () =>
  hook.accepted.map((r) => alerts.find((a) => r.body.includes(a.id))?.id ?? "(unknown)");

const context = { getRemainingTimeInMillis: () => 30_000 };

describe("Slack notifier trigger", () => {
  it("posts one Block Kit message per alert, exactly the formatter's payload", async () => {
    const { handler, logs } = await notifier();
    await handler(snsEvent(alertRecord(alerts[0]!), alertRecord(alerts[1]!)), context);
    expect(hook.accepted).toHaveLength(2);
    for (const [i, request] of hook.accepted.entries()) {
      const body = JSON.parse(request.body) as unknown;
      assertValidBlockKit(body);
      // What arrived over SNS is the alert document as published: the same message as from the original.
      expect(body).toEqual(JSON.parse(JSON.stringify(buildSlackMessage(alerts[i]!))));
      expect(request.headers["content-type"]).toBe("application/json");
    }
    expect(logs.filter((l) => l.message === "alert posted to Slack")).toHaveLength(2);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
  });

  it("the same event again posts nothing (redelivery)", async () => {
    const { handler } = await notifier();
    const event = snsEvent(alertRecord(alerts[0]!), alertRecord(alerts[1]!));
    await handler(event, context);
    expect(hook.accepted).toHaveLength(2);
    await handler(event, context);
    await handler(snsEvent(alertRecord(alerts[1]!)), context);
    expect(hook.accepted).toHaveLength(2);
    expect(hook.requests).toHaveLength(2);
  });

  it("a webhook failing with 500 fails the invocation retryably; after recovery each alert goes out once", async () => {
    const { handler } = await notifier({ maxAttempts: 2 });
    const event = snsEvent(alertRecord(alerts[0]!), alertRecord(alerts[1]!));
    hook.respond(() => ({ status: 500, body: "internal_error" }));
    const error = await handler(event, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DetectorError);
    expect((error as DetectorError).retryable).toBe(true);
    // Both alerts were tried (2 attempts each) before the invocation failed.
    expect(hook.requests).toHaveLength(4);
    expect(hook.accepted).toHaveLength(0);

    hook.respond(() => ({ status: 200, body: "ok" }));
    await handler(event, context);
    await handler(event, context);
    expect(acceptedIds()).toEqual([alerts[0]!.id, alerts[1]!.id]);
  });

  it("a partial failure: the retry posts only the alert that failed", async () => {
    const { handler } = await notifier({ maxAttempts: 1 });
    const event = snsEvent(alertRecord(alerts[0]!), alertRecord(alerts[1]!));
    hook.respond((request) =>
      request.body.includes(alerts[1]!.id)
        ? { status: 503, body: "unavailable" }
        : { status: 200, body: "ok" },
    );
    await expect(handler(event, context)).rejects.toMatchObject({ retryable: true });
    expect(acceptedIds()).toEqual([alerts[0]!.id]);

    hook.respond(() => ({ status: 200, body: "ok" }));
    await handler(event, context);
    expect(acceptedIds()).toEqual([alerts[0]!.id, alerts[1]!.id]);
  });

  it("two concurrent deliveries of one message post it once; the loser fails retryably, its retry skips", async () => {
    const { handler } = await notifier();
    const event = snsEvent(alertRecord(alerts[0]!));
    // Slack answers slowly, so that the second delivery claims while the first is posting.
    hook.respond(async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return { status: 200, body: "ok" };
    });
    const results = await Promise.allSettled([handler(event, context), handler(event, context)]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ retryable: true });
    expect((rejected.reason as Error).message).toMatch(/being posted by another invocation/);
    await handler(event, context);
    expect(acceptedIds()).toEqual([alerts[0]!.id]);
  });

  it("a revoked hook (404 no_service) fails the invocation, not retryable, and re-reads the URL next time", async () => {
    const { handler } = await notifier();
    hook.respond(() => ({ status: 404, body: "no_service" }));
    const error = (await handler(snsEvent(alertRecord(alerts[0]!)), context).catch(
      (e: unknown) => e,
    )) as DetectorError;
    expect(error).toBeInstanceOf(DetectorError);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("HTTP 404: no_service");
    expect(hook.requests).toHaveLength(1);

    // The operator rotates the hook in SSM and redrives: the warm container reads the parameter again.
    hook.respond(() => ({ status: 200, body: "ok" }));
    await handler(snsEvent(alertRecord(alerts[0]!)), context);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
    expect(acceptedIds()).toEqual([alerts[0]!.id]);
  });

  it("skips a message that is not an alert (logged escaped), without failing the others", async () => {
    const { handler, logs } = await notifier();
    const alarm = JSON.stringify({
      AlarmName: "netutil-detector-ci-FailureQueueAlarm",
      NewStateValue: "ALARM",
    });
    await handler(
      snsEvent(
        snsRecord(alarm, { subject: "ALARM: \u001b[2J" }),
        snsRecord("plain text \u202e"),
        snsRecord(JSON.stringify({ ...alerts[0], id: "../../etc" })),
        alertRecord(alerts[1]!),
      ),
      context,
    );
    expect(acceptedIds()).toEqual([alerts[1]!.id]);
    const skipped = logs.filter((l) => l.message === "SNS message is not an alert; skipped");
    expect(skipped).toHaveLength(3);
    expect(skipped[0]!.extra["reason"]).toMatch(/^not an alert: /);
    expect(skipped[0]!.extra["subject"]).toBe("ALARM: \\x1b[2J");
    expect(skipped[1]!.extra["reason"]).toMatch(/^not JSON/);
    expect(skipped[2]!.extra["reason"]).toMatch(/id: an alert id/);
  });

  it("an SSM failure fails the invocation retryably and posts nothing; the retry reads SSM again", async () => {
    const { handler } = await notifier();
    ssm.reset();
    ssm
      .on(GetParameterCommand)
      .rejectsOnce(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }))
      .resolves({ Parameter: { Value: hook.url } });
    const event = snsEvent(alertRecord(alerts[0]!));
    await expect(handler(event, context)).rejects.toMatchObject({ retryable: true });
    expect(hook.requests).toHaveLength(0);
    await handler(event, context);
    expect(acceptedIds()).toEqual([alerts[0]!.id]);
  });

  it("never logs or throws the webhook URL", async () => {
    const { handler, logs } = await notifier({ maxAttempts: 1 });
    hook.respond((request) => ({ status: 400, body: `invalid_payload for ${request.path}` }));
    const error = (await handler(snsEvent(alertRecord(alerts[0]!), alertRecord(alerts[1]!)), context).catch(
      (e: unknown) => e,
    )) as DetectorError;
    expect(error).toBeInstanceOf(DetectorError);
    const shown = `${error.message}\n${JSON.stringify(error.context)}\n${JSON.stringify(logs)}`;
    expect(shown).toContain("[webhook]");
    expect(shown).not.toContain(hook.token);
    expect(shown).not.toContain("/services/");
  });
});
