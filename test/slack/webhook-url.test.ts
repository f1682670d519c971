import { GetParameterCommand, ParameterNotFound, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DetectorError } from "../../lib/errors.js";
import { checkWebhookUrl, SsmWebhookUrl } from "../../lib/slack/webhook-url.js";

const NAME = "/netutil-detector/test/slack-webhook-url";
const URL_VALUE = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX";

const ssm = mockClient(SSMClient);
let client: SSMClient;

beforeEach(() => {
  ssm.reset();
  client = new SSMClient({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
});
afterEach(() => client.destroy());

const source = () => new SsmWebhookUrl({ client, parameterName: NAME });

describe("SsmWebhookUrl", () => {
  it("reads the SecureString decrypted, once: a second call does not reach SSM", async () => {
    ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Name: NAME, Type: "SecureString", Value: URL_VALUE } });
    const url = source();
    expect(await url.get()).toBe(URL_VALUE);
    expect(await url.get()).toBe(URL_VALUE);
    const calls = ssm.commandCalls(GetParameterCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ Name: NAME, WithDecryption: true });
  });

  it("concurrent first calls share one GetParameter", async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: URL_VALUE } });
    const url = source();
    expect(await Promise.all([url.get(), url.get(), url.get()])).toEqual([URL_VALUE, URL_VALUE, URL_VALUE]);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
  });

  it("does not cache a failure: the next call reads again", async () => {
    ssm
      .on(GetParameterCommand)
      .rejectsOnce(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }))
      .resolves({ Parameter: { Value: URL_VALUE } });
    const url = source();
    const error = await url.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DetectorError);
    expect((error as DetectorError).retryable).toBe(true);
    expect(await url.get()).toBe(URL_VALUE);
    expect(await url.get()).toBe(URL_VALUE);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
  });

  it("a missing parameter is not retryable and names the parameter", async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: "", $metadata: {} }));
    const error = (await source()
      .get()
      .catch((e: unknown) => e)) as DetectorError;
    expect(error).toBeInstanceOf(DetectorError);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(NAME);
  });

  it("forget() makes the next call read the (rotated) URL", async () => {
    const rotated = `${URL_VALUE.slice(0, -3)}NEW`;
    ssm
      .on(GetParameterCommand)
      .resolvesOnce({ Parameter: { Value: URL_VALUE } })
      .resolves({ Parameter: { Value: rotated } });
    const url = source();
    expect(await url.get()).toBe(URL_VALUE);
    url.forget();
    expect(await url.get()).toBe(rotated);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
  });

  it.each([
    ["an empty value", "", /has no value/],
    ["not a URL", "hooks.slack.com/services/T0/B0/SECRETPART", /does not hold a URL/],
    ["plain http", "http://hooks.slack.com/services/T0/B0/SECRETPART", /must be https/],
    ["http to another local address", "http://localhost:8080/services/T0/B0/SECRETPART", /must be https/],
    ["credentials in it", "https://user:SECRETPART@hooks.slack.com/services/T0", /credentials/],
  ])("rejects %s, without showing the value", async (_, value, message) => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: value } });
    const error = (await source()
      .get()
      .catch((e: unknown) => e)) as DetectorError;
    expect(error).toBeInstanceOf(DetectorError);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(message);
    expect(`${error.message} ${JSON.stringify(error.context)}`).not.toContain("SECRETPART");
  });
});

describe("checkWebhookUrl", () => {
  it.each([URL_VALUE, "https://chat.example.internal/hooks/abc", "http://127.0.0.1:8080/services/T0/B0/x"])(
    "accepts %s",
    (value) => {
      expect(checkWebhookUrl(value, NAME)).toBe(new URL(value).href);
    },
  );
});
