/**
 * Each function's bundle loads only the AWS clients it calls: a client module costs cold-start time even when
 * nothing uses it (the SSM client in the detection functions took about 70 ms). The bundles are the ones the
 * test run built (test/global-setup.ts), with the SDK left to the runtime, so their imports name the clients.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const bundle = (name: string) =>
  readFileSync(new URL(`../../dist/lambda/${name}/index.mjs`, import.meta.url), "utf8");

/** The @aws-sdk client packages a bundle imports (`from"@aws-sdk/client-x"`, minified or not). */
const clientsOf = (code: string) =>
  [...new Set([...code.matchAll(/from\s*"@aws-sdk\/(client-[a-z0-9-]+)"/g)].map((m) => m[1]))].sort();

describe("AWS clients per function bundle", () => {
  // The S3 client is imported only when a quarantined record overflows its message (lib/wiring.ts).
  it.each(["kinesis", "cloudwatch-logs"])("%s imports the S3 client on demand only", (name) => {
    expect(bundle(name)).toMatch(/import\(\s*"@aws-sdk\/client-s3"\s*\)/);
  });

  it.each([
    ["kinesis", ["client-dynamodb", "client-sns", "client-sqs"]],
    ["cloudwatch-logs", ["client-dynamodb", "client-sns", "client-sqs"]],
    ["slack-notifier", ["client-dynamodb", "client-ssm"]],
  ])("%s imports %j", (name, clients) => {
    expect(clientsOf(bundle(name))).toEqual(clients);
  });
});
