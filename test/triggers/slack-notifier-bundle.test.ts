import { fileURLToPath } from "node:url";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { Context, SNSEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalDynamo, startDynalite } from "../helpers/dynalite.js";
import { replayText } from "../helpers/replay-text.js";
import { CAPTURED_AUDITD, readSample } from "../helpers/samples.js";
import { alertRecord, snsEvent } from "../helpers/sns-events.js";
import { startWebhookServer, type WebhookServer } from "../helpers/webhook-server.js";

/**
 * The deployed artifact: dist/lambda/slack-notifier/index.mjs as infra/esbuild.mjs builds it, configured
 * only through its environment (wireSlackNotifier). DynamoDB is dynalite (the SDK's service endpoint
 * variable), SSM is mocked at the client class (shared with the bundle, which leaves the SDK out), and the
 * webhook is a real local HTTP server.
 */
const PARAMETER = "/netutil-detector/ci/slack-webhook-url";
let dynamo: LocalDynamo;
let hook: WebhookServer;
const saved = { ...process.env };

beforeAll(async () => {
  dynamo = await startDynalite();
  hook = await startWebhookServer();
  Object.assign(process.env, {
    TABLE_NAME: dynamo.tableName,
    SLACK_WEBHOOK_PARAMETER: PARAMETER,
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
  await hook.close();
  await dynamo.close();
});

describe("the Slack notifier Lambda bundle", () => {
  it("posts the captured alerts once each, reading the webhook URL from SSM once", async () => {
    const ssm = mockClient(SSMClient);
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: hook.url } });
    try {
      const bundle = fileURLToPath(new URL("../../dist/lambda/slack-notifier/index.mjs", import.meta.url));
      const { handler } = (await import(bundle)) as {
        handler: (e: SNSEvent, c: Pick<Context, "getRemainingTimeInMillis">) => Promise<void>;
      };
      const { alerts } = await replayText(readSample(CAPTURED_AUDITD));
      const event = snsEvent(...alerts.map(alertRecord));
      const context = { getRemainingTimeInMillis: () => 30_000 };
      await handler(event, context);
      await handler(event, context);
      expect(hook.accepted).toHaveLength(2);
      expect(hook.accepted.map((r) => (JSON.parse(r.body) as { text: string }).text)).toEqual([
        "[HIGH] nslookup run from /tmp/dropper.sh on vm",
        "[HIGH] curl run from /dev/shm/.x on vm",
      ]);
      expect(ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input)).toEqual([
        { Name: PARAMETER, WithDecryption: true },
      ]);
    } finally {
      ssm.restore();
    }
  });
});
