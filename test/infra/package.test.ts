/**
 * Packages the service as `npm run package` does, offline and without AWS credentials, then checks the
 * CloudFormation template that would be deployed: cfn-lint, the reliability settings of DESIGN §7, encryption
 * at rest, least-privilege IAM and no secret in the functions' environment. cfn-lint is a Python tool: without
 * it the two lint tests are reported skipped with the install hint, except under CI=true, where they fail.
 *
 * The two steps of the script run in a private copy of the service (serverless.yml, infra/*.yml, and the
 * Lambda bundles built there from the real handlers by infra/esbuild.mjs): the repository's dist/ is rebuilt
 * by test/global-setup.ts and read by other test files while this one runs, and osls refuses a file that
 * changes under it. A developer's .serverless/ is left alone too.
 */
import { execFile, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/config.js";
import { OVERFLOW_PREFIX } from "../../lib/quarantine/s3-overflow-store.js";
import { loadSlackConfig } from "../../lib/slack/slack-config.js";
import { cfnLintOnPath, cfnLintPlan, underCi } from "../helpers/cfn-lint.js";
import { plotted, resolveSub, type Widget, widgetsOf } from "../helpers/dashboard-body.js";
import { detectionMetrics, type EmittedMetric, slackNotifierMetrics } from "../helpers/emitted-metrics.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);

// ---------------------------------------------------------------------------------------------------------
// Template shape (only what the checks read)

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
interface Resource {
  Type: string;
  Condition?: string;
  Properties: JsonObject;
}
interface Template {
  Parameters?: Record<string, JsonObject>;
  Conditions?: JsonObject;
  Resources: Record<string, Resource>;
  Outputs: Record<string, JsonObject>;
}
interface Statement {
  Sid?: string;
  Effect: string;
  Action?: Json;
  NotAction?: Json;
  Resource?: Json;
  NotResource?: Json;
  Condition?: JsonObject;
}
interface LintFinding {
  Level: "Error" | "Warning" | "Informational";
  Message: string;
  Rule: { Id: string };
  Location: { Path: (string | number)[] };
}

const isObject = (v: Json | undefined): v is JsonObject =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const asList = (v: Json | undefined): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const getAtt = (logicalId: string, attribute: string) => ({ "Fn::GetAtt": [logicalId, attribute] });
/** kms:ViaService as the template spells it: CloudFormation's `${AWS::Region}`, escaped in the JS template. */
const viaService = (service: string) => ({ "Fn::Sub": `${service}.\${AWS::Region}.amazonaws.com` });

const resourcesOfType = (t: Template, type: string): [string, Resource][] =>
  Object.entries(t.Resources).filter(([, r]) => r.Type === type);

function resource(t: Template, logicalId: string, type: string): Resource {
  const r = t.Resources[logicalId];
  if (r === undefined) throw new Error(`resource ${logicalId} not in the template`);
  expect(r.Type).toBe(type);
  return r;
}

/** Policy statements with both branches of an `Fn::If` (a statement present only under a condition). */
function statementsOf(document: Json | undefined): Statement[] {
  if (!isObject(document)) throw new Error(`not a policy document: ${JSON.stringify(document)}`);
  return asList(document["Statement"]).flatMap((s): Statement[] => {
    if (isObject(s) && Array.isArray(s["Fn::If"])) {
      const [, whenTrue, whenFalse] = s["Fn::If"];
      return [whenTrue, whenFalse]
        .filter((b): b is JsonObject => isObject(b) && !("Ref" in b && b["Ref"] === "AWS::NoValue"))
        .map((b) => b as unknown as Statement);
    }
    return [s as unknown as Statement];
  });
}

/** Every identity-policy statement of the stack, by role (inline policies; managed policies are refused). */
function identityStatements(t: Template): { owner: string; statement: Statement }[] {
  const found: { owner: string; statement: Statement }[] = [];
  for (const [id, r] of Object.entries(t.Resources)) {
    if (r.Type === "AWS::IAM::Role") {
      for (const policy of asList(r.Properties["Policies"])) {
        if (!isObject(policy)) throw new Error(`${id}: policy is not an object`);
        for (const statement of statementsOf(policy["PolicyDocument"])) found.push({ owner: id, statement });
      }
    } else if (r.Type === "AWS::IAM::Policy" || r.Type === "AWS::IAM::ManagedPolicy") {
      for (const statement of statementsOf(r.Properties["PolicyDocument"]))
        found.push({ owner: id, statement });
    }
  }
  return found;
}

function lambdaFunctions(t: Template) {
  return resourcesOfType(t, "AWS::Lambda::Function");
}

function statementBySid(t: Template, role: string, sid: string): Statement {
  const s = identityStatements(t).find((x) => x.owner === role && x.statement.Sid === sid);
  if (s === undefined) throw new Error(`${role} has no statement ${sid}`);
  return s.statement;
}

// ---------------------------------------------------------------------------------------------------------
// Packaging and linting

const handlerFiles = ["handlers/kinesis.ts", "handlers/cloudwatch-logs.ts", "handlers/slack-notifier.ts"];
const bundles = {
  kinesis: "dist/lambda/kinesis/index.mjs",
  cloudwatchLogs: "dist/lambda/cloudwatch-logs/index.mjs",
  slackNotifier: "dist/lambda/slack-notifier/index.mjs",
} as const;

/** The environment of a machine with no AWS account: packaging must not need one (or reach for one). */
function envWithoutAws(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_")) env[k] = v;
  return {
    ...env,
    AWS_CONFIG_FILE: "/nonexistent/aws-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

/** The osls half of the `package` script, as written in package.json, into `outDir`. */
function packageCommand(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const script = pkg.scripts["package"] ?? "";
  const steps = script.split("&&").map((s) => s.trim());
  expect(steps[0], "the package script builds with the one esbuild configuration first").toBe(
    "node infra/esbuild.mjs",
  );
  const osls = steps[1]?.split(/\s+/) ?? [];
  expect(osls.slice(0, 2), `package script: ${script}`).toEqual(["osls", "package"]);
  return osls.slice(1);
}

async function oslsPackage(
  service: string,
  outDir: string,
  extra: string[] = [],
): Promise<{ template: Template; ms: number }> {
  const started = performance.now();
  try {
    await run(join(root, "node_modules/.bin/osls"), [...packageCommand(), "--package", outDir, ...extra], {
      cwd: service,
      env: envWithoutAws(),
      timeout: 150_000,
      maxBuffer: 16 << 20,
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`osls package failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
  const ms = performance.now() - started;
  const file = join(outDir, "cloudformation-template-update-stack.json");
  return { template: JSON.parse(readFileSync(file, "utf8")) as Template, ms };
}

/** Decided once per run: cfn-lint on PATH (run), absent on a developer's machine (skip), absent in CI (fail). */
const lintPlan = cfnLintPlan(cfnLintOnPath(), underCi());
// The default reporter lists a skipped test's note only in verbose mode: say it once where everyone sees it.
if (lintPlan.kind === "skip") console.warn(`the two cfn-lint tests are skipped: ${lintPlan.note}`);

/** Applies the plan at the top of a lint test: returns when cfn-lint can run. */
function requireCfnLint(ctx: { skip: (note: string) => never }): void {
  if (lintPlan.kind === "fail") throw new Error(lintPlan.message);
  if (lintPlan.kind === "skip") ctx.skip(lintPlan.note);
}

/** cfn-lint findings for one template. */
function cfnLint(templateFile: string, extra: readonly string[] = []): LintFinding[] {
  // The template first: `--include-checks` takes every argument after it, a file name included.
  const result = spawnSync("cfn-lint", ["--format", "json", templateFile, ...extra], { encoding: "utf8" });
  if (result.error !== undefined) throw new Error(`cfn-lint could not run: ${result.error.message}`);
  try {
    return JSON.parse(result.stdout) as LintFinding[];
  } catch {
    throw new Error(`cfn-lint (exit ${result.status}) printed no JSON:\n${result.stdout}\n${result.stderr}`);
  }
}

function reportWarnings(label: string, findings: LintFinding[]): void {
  const rest = findings.filter((f) => f.Level !== "Error");
  if (rest.length > 0) {
    console.warn(
      `cfn-lint ${label}: ${rest.length} non-error finding(s)\n` +
        rest.map((f) => `  ${f.Level} ${f.Rule.Id} at ${f.Location.Path.join("/")}: ${f.Message}`).join("\n"),
    );
  }
}

const errorsOf = (findings: LintFinding[]) =>
  findings
    .filter((f) => f.Level === "Error")
    .map((f) => `${f.Rule.Id} ${f.Location.Path.join("/")}: ${f.Message}`);

/** Names of the files in a zip, from its central directory (enough for what osls writes). */
function zipEntries(file: string): string[] {
  const zip = readFileSync(file);
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error(`${file} is not a zip`);
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${i}`);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    names.push(zip.toString("utf8", at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

/** What CloudFormation fills in for the references in the functions' environment, in the ci stage. */
const DEPLOYED: Record<string, string> = {
  '{"Ref":"ProcessTable"}': "netutil-detector-ci-ProcessTable-1A2B3C4D5E6F",
  '{"Ref":"AlertTopic"}': "arn:aws:sns:us-east-1:123456789012:netutil-detector-ci-AlertTopic-1A2B3C4D5E6F",
  '{"Ref":"QuarantineQueue"}':
    "https://sqs.us-east-1.amazonaws.com/123456789012/netutil-detector-ci-QuarantineQueue-1A2B3C4D5E6F",
  '{"Ref":"QuarantineBucket"}': "netutil-detector-ci-quarantinebucket-1a2b3c4d5e6f",
  '{"Ref":"SlackWebhookParameter"}': "/netutil-detector/ci/slack-webhook-url",
};

/** A function's environment as Lambda hands it over once deployed (an unknown reference stays unresolved). */
function deployedEnvironment(template: Template, functionId: string): Record<string, string> {
  const env = resource(template, functionId, "AWS::Lambda::Function").Properties["Environment"];
  const vars = isObject(env) ? env["Variables"] : undefined;
  if (!isObject(vars)) throw new Error(`${functionId} has no environment`);
  return Object.fromEntries(
    Object.entries(vars).map(([k, v]) => [k, typeof v === "string" ? v : DEPLOYED[JSON.stringify(v)]]),
  ) as Record<string, string>;
}

// ---------------------------------------------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), "netutil-package-"));
const service = join(work, "service");
const defaults = join(work, "ci");
const withOptions = join(work, "ci-with-options");
const STREAM_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const SSM_KEY = "arn:aws:kms:us-east-1:123456789012:key/5678abcd-12ab-34cd-56ef-1234567890ab";
let t: Template;
let optional: Template;

beforeAll(async () => {
  const missing = handlerFiles.filter((f) => !existsSync(join(root, f)));
  if (missing.length > 0) {
    throw new Error(
      `cannot package: ${missing.join(", ")} not found; the package test builds the real handlers`,
    );
  }
  cpSync(join(root, "serverless.yml"), join(service, "serverless.yml"));
  cpSync(join(root, "infra"), join(service, "infra"), {
    recursive: true,
    filter: (f) => !f.endsWith(".mjs"),
  });
  // @ts-expect-error: plain ESM build script without type declarations
  const { buildLambdas } = (await import("../../infra/esbuild.mjs")) as {
    buildLambdas: (outdir: string) => Promise<void>;
  };
  const started = performance.now();
  await buildLambdas(join(service, "dist"));
  const built = performance.now() - started;
  const first = await oslsPackage(service, defaults);
  t = first.template;
  console.info(
    `npm run package, both steps: esbuild Lambda bundles ${Math.round(built)} ms, ` +
      `osls package (stage ci, offline, no credentials) ${Math.round(first.ms)} ms`,
  );
  const second = await oslsPackage(service, withOptions, [
    "--param=alertEmail=soc@example.com",
    "--param=opsEmail=ops@example.com",
    `--param=streamKmsKeyArn=${STREAM_KEY}`,
    "--param=parallelizationFactor=4",
    `--param=slackWebhookKmsKeyArn=${SSM_KEY}`,
    "--param=slackSeverities=critical",
    "--param=slackWebhookParameter=/soc/slack/netutil-hook",
  ]);
  optional = second.template;
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("npm run package (osls, stage ci)", () => {
  it("cfn-lint finds no error in the template (warnings are printed)", (ctx) => {
    requireCfnLint(ctx);
    const lintDefaults = cfnLint(join(defaults, "cloudformation-template-update-stack.json"));
    reportWarnings("(defaults)", lintDefaults);
    expect(errorsOf(lintDefaults)).toEqual([]);
  });

  it("cfn-lint finds no error with the optional parameters set (e-mail, stream key)", (ctx) => {
    requireCfnLint(ctx);
    const lintOptions = cfnLint(join(withOptions, "cloudformation-template-update-stack.json"));
    reportWarnings("(optional parameters set)", lintOptions);
    expect(errorsOf(lintOptions)).toEqual([]);
  });

  it("stateful resources outlive a stack deletion or replacement (and cfn-lint's I3011 agrees)", (ctx) => {
    const stateful = [
      ["ProcessTable", "AWS::DynamoDB::Table"],
      ["AlertKey", "AWS::KMS::Key"],
      ["QuarantineQueue", "AWS::SQS::Queue"],
      ["QuarantineBucket", "AWS::S3::Bucket"],
      // A retained bucket keeps its TLS-only guard.
      ["QuarantineBucketPolicy", "AWS::S3::BucketPolicy"],
      ["FailureQueue", "AWS::SQS::Queue"],
      ["SlackDeadLetterQueue", "AWS::SQS::Queue"],
      ["KinesisLogGroup", "AWS::Logs::LogGroup"],
      ["CloudwatchLogsLogGroup", "AWS::Logs::LogGroup"],
      ["SlackNotifierLogGroup", "AWS::Logs::LogGroup"],
    ] as const;
    for (const [name, type] of stateful) {
      const r = resource(t, name, type) as { DeletionPolicy?: string; UpdateReplacePolicy?: string };
      expect([name, r.DeletionPolicy, r.UpdateReplacePolicy]).toEqual([name, "Retain", "Retain"]);
    }
    requireCfnLint(ctx);
    const findings = cfnLint(join(defaults, "cloudformation-template-update-stack.json"), [
      "--include-checks",
      "I3011",
    ]);
    expect(errorsOf(findings)).toEqual([]);
    expect(findings.filter((f) => f.Rule.Id === "I3011")).toEqual([]);
  });

  it("each function's zip holds its own bundle and source map, nothing else", () => {
    for (const [fn, bundle] of Object.entries(bundles)) {
      expect(zipEntries(join(defaults, `${fn}.zip`)).sort(), fn).toEqual([bundle, `${bundle}.map`]);
    }
  });

  it("three functions, nodejs22.x on arm64, each handler in its bundle, with a role of its own", () => {
    const fns = lambdaFunctions(t);
    expect(fns.map(([id]) => id).sort()).toEqual([
      "CloudwatchLogsLambdaFunction",
      "KinesisLambdaFunction",
      "SlackNotifierLambdaFunction",
    ]);
    for (const [, fn] of fns) {
      expect(fn.Properties["Runtime"]).toBe("nodejs22.x");
      expect(fn.Properties["Architectures"]).toEqual(["arm64"]);
      expect(fn.Properties["TracingConfig"]).toBeUndefined();
      expect(fn.Properties["Timeout"]).toBeLessThan(900);
    }
    expect(resource(t, "KinesisLambdaFunction", "AWS::Lambda::Function").Properties["Handler"]).toBe(
      "dist/lambda/kinesis/index.handler",
    );
    expect(resource(t, "CloudwatchLogsLambdaFunction", "AWS::Lambda::Function").Properties["Handler"]).toBe(
      "dist/lambda/cloudwatch-logs/index.handler",
    );
    expect(resource(t, "KinesisLambdaFunction", "AWS::Lambda::Function").Properties["Role"]).toEqual(
      getAtt("KinesisFunctionRole", "Arn"),
    );
    expect(resource(t, "CloudwatchLogsLambdaFunction", "AWS::Lambda::Function").Properties["Role"]).toEqual(
      getAtt("CloudwatchLogsFunctionRole", "Arn"),
    );
    const notifier = resource(t, "SlackNotifierLambdaFunction", "AWS::Lambda::Function").Properties;
    expect(notifier["Handler"]).toBe("dist/lambda/slack-notifier/index.handler");
    expect(notifier["Role"]).toEqual(getAtt("SlackNotifierFunctionRole", "Arn"));
    // Under a minute: Lambda's first asynchronous retry comes a minute after a failure, when the failed
    // invocation's claims on its alerts (lib/slack/posted-alerts.ts) have run out.
    expect(notifier["Timeout"]).toBeLessThan(60);
    // No shared default role with statements for every function.
    expect(t.Resources["IamRoleLambdaExecution"]).toBeUndefined();
  });

  it("Kinesis: partial batch failures, bisect, bounded retries and record age, on-failure queue", () => {
    const mappings = resourcesOfType(t, "AWS::Lambda::EventSourceMapping");
    expect(mappings).toHaveLength(1);
    const p = mappings[0]![1].Properties;
    expect(p["FunctionName"]).toEqual(getAtt("KinesisLambdaFunction", "Arn"));
    expect(p["FunctionResponseTypes"]).toEqual(["ReportBatchItemFailures"]);
    expect(p["BisectBatchOnFunctionError"]).toBe(true);
    // -1 means "forever" for both: a poison batch would block its shard for the whole stream retention.
    expect(p["MaximumRetryAttempts"]).toBeGreaterThanOrEqual(0);
    expect(p["MaximumRetryAttempts"]).toBeLessThanOrEqual(10);
    expect(p["MaximumRecordAgeInSeconds"]).toBeGreaterThanOrEqual(60);
    expect(p["MaximumRecordAgeInSeconds"]).toBeLessThanOrEqual(86_400);
    expect(p["StartingPosition"]).toBe("LATEST");
    expect(p["BatchSize"]).toBe(1000);
    expect(p["ParallelizationFactor"]).toBe(1);
    expect(p["DestinationConfig"]).toEqual({ OnFailure: { Destination: getAtt("FailureQueue", "Arn") } });

    const withParams = resourcesOfType(optional, "AWS::Lambda::EventSourceMapping")[0]![1].Properties;
    expect(withParams["ParallelizationFactor"]).toBe(4);
  });

  it("CloudWatch Logs: subscription on the log group, at most 2 async retries, on-failure queue", () => {
    const filters = resourcesOfType(t, "AWS::Logs::SubscriptionFilter");
    expect(filters).toHaveLength(1);
    expect(filters[0]![1].Properties["DestinationArn"]).toEqual(
      getAtt("CloudwatchLogsLambdaFunction", "Arn"),
    );
    expect(filters[0]![1].Properties["FilterPattern"]).toBe("");

    const configs = resourcesOfType(t, "AWS::Lambda::EventInvokeConfig").filter(([, c]) =>
      isObject(c.Properties["FunctionName"])
        ? c.Properties["FunctionName"]["Ref"] === "CloudwatchLogsLambdaFunction"
        : false,
    );
    expect(configs).toHaveLength(1);
    const p = configs[0]![1].Properties;
    expect(p["MaximumRetryAttempts"]).toBeLessThanOrEqual(2);
    expect(p["MaximumEventAgeInSeconds"]).toBeLessThanOrEqual(21_600);
    expect(p["DestinationConfig"]).toEqual({ OnFailure: { Destination: getAtt("FailureQueue", "Arn") } });
  });

  it("DynamoDB: on demand, pk hash key, TTL on expiresAt, point-in-time recovery, encrypted", () => {
    const tables = resourcesOfType(t, "AWS::DynamoDB::Table");
    expect(tables).toHaveLength(1);
    const p = tables[0]![1].Properties;
    expect(p["BillingMode"]).toBe("PAY_PER_REQUEST");
    expect(p["KeySchema"]).toEqual([{ AttributeName: "pk", KeyType: "HASH" }]);
    expect(p["AttributeDefinitions"]).toEqual([{ AttributeName: "pk", AttributeType: "S" }]);
    expect(p["TimeToLiveSpecification"]).toEqual({ AttributeName: "expiresAt", Enabled: true });
    expect(p["PointInTimeRecoverySpecification"]).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(p["SSESpecification"]).toEqual({ SSEEnabled: true });
  });

  it("SNS: the alert and operations topics are encrypted with the customer-managed key, which rotates", () => {
    const topics = resourcesOfType(t, "AWS::SNS::Topic");
    expect(topics.map(([name]) => name).sort()).toEqual(["AlertTopic", "OpsTopic"]);
    for (const [, topic] of topics) expect(topic.Properties["KmsMasterKeyId"]).toEqual({ Ref: "AlertKey" });
    expect(resource(t, "AlertKey", "AWS::KMS::Key").Properties["EnableKeyRotation"]).toBe(true);
  });

  it("SNS: the e-mail subscription exists only when an address is given", () => {
    for (const template of [t, optional]) {
      const sub = resource(template, "AlertEmailSubscription", "AWS::SNS::Subscription");
      expect(sub.Condition).toBe("HasAlertEmail");
      expect(sub.Properties["Endpoint"]).toEqual({ Ref: "AlertEmail" });
    }
    expect(t.Parameters?.["AlertEmail"]?.["Default"]).toBe("");
    expect(optional.Parameters?.["AlertEmail"]?.["Default"]).toBe("soc@example.com");
    for (const template of [t, optional]) {
      const sub = resource(template, "OpsEmailSubscription", "AWS::SNS::Subscription");
      expect(sub.Condition).toBe("HasOpsEmail");
      expect(sub.Properties["TopicArn"]).toEqual({ Ref: "OpsTopic" });
      expect(sub.Properties["Endpoint"]).toEqual({ Ref: "OpsEmail" });
    }
    expect(t.Parameters?.["OpsEmail"]?.["Default"]).toBe("");
    expect(optional.Parameters?.["OpsEmail"]?.["Default"]).toBe("ops@example.com");
  });

  it("SQS: quarantine, failure and Slack dead-letter queues, all encrypted, kept 14 days", () => {
    const queues = resourcesOfType(t, "AWS::SQS::Queue");
    expect(queues.map(([id]) => id).sort()).toEqual([
      "FailureQueue",
      "QuarantineQueue",
      "SlackDeadLetterQueue",
    ]);
    for (const [, q] of queues) {
      const encrypted =
        q.Properties["SqsManagedSseEnabled"] === true || q.Properties["KmsMasterKeyId"] !== undefined;
      expect(encrypted).toBe(true);
      expect(q.Properties["MessageRetentionPeriod"]).toBe(1_209_600);
    }
  });

  it("S3: the quarantine overflow bucket is under the stack's key, private, TLS-only, and expires with the quarantine queue", () => {
    // Besides the bucket osls uploads the deployment's artifacts to.
    const ours = ([id]: [string, Resource]) => !id.startsWith("ServerlessDeploymentBucket");
    expect(
      resourcesOfType(t, "AWS::S3::Bucket")
        .filter(ours)
        .map(([id]) => id),
    ).toEqual(["QuarantineBucket"]);
    const p = resource(t, "QuarantineBucket", "AWS::S3::Bucket").Properties;
    expect(p["BucketEncryption"]).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: "aws:kms",
            KMSMasterKeyID: getAtt("AlertKey", "Arn"),
          },
          BucketKeyEnabled: true,
        },
      ],
    });
    expect(p["PublicAccessBlockConfiguration"]).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(p["OwnershipControls"]).toEqual({ Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] });
    // Written once per key, never overwritten: versions would only keep deleted raw telemetry around.
    expect(p["VersioningConfiguration"]).toBeUndefined();
    // A generated, collision-free name, handed to the functions (checked with their environment).
    expect(p["BucketName"]).toBeUndefined();

    // One rule over the whole bucket: objects go when the messages that point to them can no longer exist.
    const lifecycle = p["LifecycleConfiguration"];
    const rules = isObject(lifecycle) ? asList(lifecycle["Rules"]) : [];
    expect(rules).toHaveLength(1);
    const rule = rules[0] as JsonObject;
    expect(rule).toMatchObject({
      Status: "Enabled",
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
    });
    expect(rule["Prefix"] ?? rule["Filter"]).toBeUndefined();
    const retention = resource(t, "QuarantineQueue", "AWS::SQS::Queue").Properties["MessageRetentionPeriod"];
    expect(rule["ExpirationInDays"]).toBe(Number(retention) / 86_400);

    const policies = resourcesOfType(t, "AWS::S3::BucketPolicy").filter(ours);
    expect(policies.map(([id]) => id)).toEqual(["QuarantineBucketPolicy"]);
    const policy = policies[0]![1].Properties;
    expect(policy["Bucket"]).toEqual({ Ref: "QuarantineBucket" });
    // Nothing allowed here (access is the roles' IAM policies); every request without TLS denied.
    expect(statementsOf(policy["PolicyDocument"])).toEqual([
      {
        Sid: "DenyWithoutTls",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [getAtt("QuarantineBucket", "Arn"), { "Fn::Sub": `\${QuarantineBucket.Arn}/*` }],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
  });

  it("alarms on lag, errors and set-aside messages go to the operations topic, missing data not breaching", () => {
    const alarms = resourcesOfType(t, "AWS::CloudWatch::Alarm").map(([, a]) => a.Properties);
    for (const a of alarms) {
      // Not the alert topic: its Slack subscription filters on severity, which an alarm lacks.
      expect(a["AlarmActions"]).toEqual([{ Ref: "OpsTopic" }]);
      expect(a["OKActions"]).toEqual([{ Ref: "OpsTopic" }]);
      expect(a["TreatMissingData"]).toBe("notBreaching");
    }
    const watched = alarms.map((a) => {
      const dimension = asList(a["Dimensions"])[0];
      return `${a["MetricName"]} ${JSON.stringify(isObject(dimension) ? dimension["Value"] : null)}`;
    });
    expect(watched.sort()).toEqual(
      [
        `ApproximateNumberOfMessagesVisible ${JSON.stringify(getAtt("FailureQueue", "QueueName"))}`,
        `ApproximateNumberOfMessagesVisible ${JSON.stringify(getAtt("QuarantineQueue", "QueueName"))}`,
        `ApproximateNumberOfMessagesVisible ${JSON.stringify(getAtt("SlackDeadLetterQueue", "QueueName"))}`,
        `Errors {"Ref":"CloudwatchLogsLambdaFunction"}`,
        `Errors {"Ref":"KinesisLambdaFunction"}`,
        `IteratorAge {"Ref":"KinesisLambdaFunction"}`,
      ].sort(),
    );
    const iteratorAge = alarms.find((a) => a["MetricName"] === "IteratorAge");
    expect(iteratorAge?.["Statistic"]).toBe("Maximum");
  });

  it("outputs: table name, topic ARN, queue URLs, bucket name, dashboard", () => {
    expect(t.Outputs["ProcessTableName"]?.["Value"]).toEqual({ Ref: "ProcessTable" });
    expect(t.Outputs["AlertTopicArn"]?.["Value"]).toEqual({ Ref: "AlertTopic" });
    expect(t.Outputs["QuarantineQueueUrl"]?.["Value"]).toEqual({ Ref: "QuarantineQueue" });
    expect(t.Outputs["FailureQueueUrl"]?.["Value"]).toEqual({ Ref: "FailureQueue" });
    expect(t.Outputs["SlackDeadLetterQueueUrl"]?.["Value"]).toEqual({ Ref: "SlackDeadLetterQueue" });
    expect(t.Outputs["QuarantineBucketName"]?.["Value"]).toEqual({ Ref: "QuarantineBucket" });
    expect(t.Outputs["DashboardName"]?.["Value"]).toEqual({ Ref: "Dashboard" });
    expect(t.Outputs["DashboardUrl"]?.["Value"]).toEqual({
      "Fn::Sub": `https://\${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=\${AWS::Region}#dashboards:name=\${Dashboard}`,
    });
  });
});

describe("Slack notifier: subscription, retries and dead-letter queue", () => {
  const subscription = (template: Template) => {
    const subs = resourcesOfType(template, "AWS::SNS::Subscription").filter(
      ([, s]) => s.Properties["Protocol"] === "lambda",
    );
    expect(subs).toHaveLength(1);
    return subs[0]![1].Properties;
  };

  it("subscribes to the alert topic with a filter policy on the severity attribute", () => {
    const p = subscription(t);
    expect(p["TopicArn"]).toEqual({ Ref: "AlertTopic" });
    expect(p["Endpoint"]).toEqual(getAtt("SlackNotifierLambdaFunction", "Arn"));
    expect(p["FilterPolicyScope"]).toBe("MessageAttributes");
    expect(p["FilterPolicy"]).toEqual({ severity: { Ref: "SlackSeverities" } });
    // A list of exact values, high and critical unless the stage says otherwise; only real severities.
    for (const [template, severities] of [
      [t, "high,critical"],
      [optional, "critical"],
    ] as const) {
      const parameter = template.Parameters?.["SlackSeverities"];
      expect(parameter?.["Type"]).toBe("CommaDelimitedList");
      expect(parameter?.["Default"]).toBe(severities);
      expect(parameter?.["AllowedValues"]).toEqual(["low", "medium", "high", "critical"]);
    }
    // SNS may invoke the function, from this topic only.
    const permissions = resourcesOfType(t, "AWS::Lambda::Permission").filter(
      ([, r]) => r.Properties["Principal"] === "sns.amazonaws.com",
    );
    expect(permissions.map(([, r]) => r.Properties)).toEqual([
      {
        FunctionName: getAtt("SlackNotifierLambdaFunction", "Arn"),
        Action: "lambda:InvokeFunction",
        Principal: "sns.amazonaws.com",
        SourceArn: { Ref: "AlertTopic" },
      },
    ]);
  });

  it("what SNS cannot deliver goes to the encrypted dead-letter queue, which only the topic may send to", () => {
    expect(subscription(t)["RedrivePolicy"]).toEqual({
      deadLetterTargetArn: getAtt("SlackDeadLetterQueue", "Arn"),
    });
    const queue = resource(t, "SlackDeadLetterQueue", "AWS::SQS::Queue").Properties;
    // SQS-managed keys: SNS sends without a key policy (a customer-managed key would need one).
    expect(queue["SqsManagedSseEnabled"]).toBe(true);
    expect(queue["KmsMasterKeyId"]).toBeUndefined();

    const policies = resourcesOfType(t, "AWS::SQS::QueuePolicy");
    expect(policies).toHaveLength(1);
    const policy = policies[0]![1].Properties;
    expect(policy["Queues"]).toEqual([{ Ref: "SlackDeadLetterQueue" }]);
    const statements = statementsOf(policy["PolicyDocument"]);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({
      Effect: "Allow",
      Principal: { Service: "sns.amazonaws.com" },
      Action: "sqs:SendMessage",
      Resource: getAtt("SlackDeadLetterQueue", "Arn"),
      Condition: { ArnEquals: { "aws:SourceArn": { Ref: "AlertTopic" } } },
    });
  });

  it("a failed invocation is retried at most twice, then kept in the same queue", () => {
    const configs = resourcesOfType(t, "AWS::Lambda::EventInvokeConfig").filter(([, c]) =>
      isObject(c.Properties["FunctionName"])
        ? c.Properties["FunctionName"]["Ref"] === "SlackNotifierLambdaFunction"
        : false,
    );
    expect(configs).toHaveLength(1);
    const p = configs[0]![1].Properties;
    expect(p["MaximumRetryAttempts"]).toBeLessThanOrEqual(2);
    expect(p["MaximumEventAgeInSeconds"]).toBeLessThanOrEqual(21_600);
    expect(p["DestinationConfig"]).toEqual({
      OnFailure: { Destination: getAtt("SlackDeadLetterQueue", "Arn") },
    });
  });

  it("the webhook URL is not in the environment: the parameter's name is", () => {
    const env = resource(t, "SlackNotifierLambdaFunction", "AWS::Lambda::Function").Properties["Environment"];
    const vars = isObject(env) && isObject(env["Variables"]) ? env["Variables"] : {};
    expect(vars["SLACK_WEBHOOK_PARAMETER"]).toEqual({ Ref: "SlackWebhookParameter" });
    expect(t.Parameters?.["SlackWebhookParameter"]?.["Default"]).toBe(
      "/netutil-detector/ci/slack-webhook-url",
    );
    expect(optional.Parameters?.["SlackWebhookParameter"]?.["Default"]).toBe("/soc/slack/netutil-hook");
    // The detector's settings stay with the detector.
    for (const name of ["TOPIC_ARN", "QUARANTINE_QUEUE_URL", "QUARANTINE_BUCKET", "RULE_CONFIG"])
      expect(vars[name], name).toBeUndefined();
  });
});

describe("IAM: least privilege", () => {
  /**
   * Statements allowed a wildcard, with the reason. Identity policies: none today; every action we call
   * supports resource-level permissions. (Log-group ARNs end in ":*", which names the log streams of that one
   * group; that is a pattern inside a full ARN, not a bare "*".)
   */
  const identityExceptions: { owner: string; sid: string; reason: string }[] = [];
  /** Resource policies: a KMS key policy's "Resource: *" means the key itself. */
  const keyPolicyExceptions = [
    {
      owner: "AlertKey",
      sid: "AccountRootAdministers",
      reason:
        "the default key policy statement (kms:* for the account root): without it no IAM policy can grant use " +
        "of the key and the key cannot be administered",
    },
  ];

  const wildcardActions = (s: Statement) =>
    asList(s.Action).filter((a) => typeof a !== "string" || a.includes("*"));
  const bareResources = (s: Statement) => asList(s.Resource).filter((r) => r === "*");

  it("every identity statement names its actions and exact resources (no *, no NotAction/NotResource)", () => {
    const statements = identityStatements(t).concat(identityStatements(optional));
    expect(statements.length).toBeGreaterThan(0);
    for (const { owner, statement } of statements) {
      const where = `${owner}/${statement.Sid ?? "(no Sid)"}`;
      if (identityExceptions.some((e) => e.owner === owner && e.sid === statement.Sid)) continue;
      expect(statement.Sid, `${where}: every statement says what it is for`).toBeDefined();
      expect(statement.Effect, where).toBe("Allow");
      expect(statement.NotAction, where).toBeUndefined();
      expect(statement.NotResource, where).toBeUndefined();
      expect(asList(statement.Action).length, where).toBeGreaterThan(0);
      expect(wildcardActions(statement), `${where}: wildcard action`).toEqual([]);
      expect(asList(statement.Resource).length, where).toBeGreaterThan(0);
      expect(bareResources(statement), `${where}: bare * resource`).toEqual([]);
    }
  });

  it("roles carry no managed policy (everything they may do is in this template)", () => {
    for (const [id, role] of resourcesOfType(t, "AWS::IAM::Role")) {
      expect(role.Properties["ManagedPolicyArns"], id).toBeUndefined();
      expect(role.Properties["PermissionsBoundary"], id).toBeUndefined();
      const trust = statementsOf(role.Properties["AssumeRolePolicyDocument"]);
      expect(trust, id).toEqual([
        { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
      ]);
    }
  });

  it("each role reaches exactly its function's needs, on this stack's resources", () => {
    const byRole = (template: Template, role: string) =>
      Object.fromEntries(
        identityStatements(template)
          .filter((s) => s.owner === role)
          .map(({ statement: s }) => [s.Sid, { Action: asList(s.Action).sort(), Resource: s.Resource }]),
      );
    const shared = {
      LineageAndDedup: {
        Action: [
          "dynamodb:BatchGetItem",
          "dynamodb:BatchWriteItem",
          "dynamodb:DeleteItem",
          "dynamodb:GetItem",
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
        ],
        Resource: getAtt("ProcessTable", "Arn"),
      },
      PublishAlerts: { Action: ["sns:Publish"], Resource: { Ref: "AlertTopic" } },
      EncryptAlerts: { Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: getAtt("AlertKey", "Arn") },
      SetAsideFailures: {
        Action: ["sqs:SendMessage"],
        Resource: [getAtt("QuarantineQueue", "Arn"), getAtt("FailureQueue", "Arn")],
      },
      StoreQuarantineOverflow: {
        Action: ["s3:PutObject"],
        // The prefix the adapter writes under (lib/quarantine/s3-overflow-store.ts), and nothing else.
        Resource: { "Fn::Sub": `\${QuarantineBucket.Arn}/${OVERFLOW_PREFIX}*` },
      },
      EncryptQuarantineOverflow: { Action: ["kms:GenerateDataKey"], Resource: getAtt("AlertKey", "Arn") },
    };
    const streamArn = resourcesOfType(t, "AWS::Lambda::EventSourceMapping")[0]![1].Properties[
      "EventSourceArn"
    ];
    expect(byRole(t, "KinesisFunctionRole")).toEqual({
      WriteOwnLogs: {
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: getAtt("KinesisLogGroup", "Arn"),
      },
      ReadExecTelemetryStream: {
        Action: [
          "kinesis:DescribeStream",
          "kinesis:DescribeStreamSummary",
          "kinesis:GetRecords",
          "kinesis:GetShardIterator",
          "kinesis:ListShards",
        ],
        Resource: streamArn,
      },
      // Present in the template under HasStreamKmsKey; only used when the stream key parameter is set.
      DecryptExecTelemetryStream: { Action: ["kms:Decrypt"], Resource: { Ref: "StreamKmsKeyArn" } },
      ...shared,
    });
    expect(byRole(t, "CloudwatchLogsFunctionRole")).toEqual({
      WriteOwnLogs: {
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: getAtt("CloudwatchLogsLogGroup", "Arn"),
      },
      ...shared,
    });
    expect(byRole(t, "SlackNotifierFunctionRole")).toEqual({
      WriteOwnLogs: {
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: getAtt("SlackNotifierLogGroup", "Arn"),
      },
      // Exactly the one parameter's ARN (its name starts with "/", hence no slash after "parameter").
      ReadSlackWebhookUrl: {
        Action: ["ssm:GetParameter"],
        Resource: {
          "Fn::Sub":
            // CloudFormation's ${…}, escaped in the JS template.
            `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter\${SlackWebhookParameter}`,
        },
      },
      // Present under HasSlackWebhookKmsKey: a SecureString under a customer-managed key.
      DecryptSlackWebhookUrl: { Action: ["kms:Decrypt"], Resource: { Ref: "SlackWebhookKmsKeyArn" } },
      PostedAlerts: {
        Action: ["dynamodb:GetItem", "dynamodb:PutItem"],
        Resource: getAtt("ProcessTable", "Arn"),
      },
      KeepFailedAlerts: { Action: ["sqs:SendMessage"], Resource: getAtt("SlackDeadLetterQueue", "Arn") },
    });
    // The notifier reads and writes only its own items (lib/slack/posted-alerts.ts: `slack|<alertId>`).
    expect(statementBySid(t, "SlackNotifierFunctionRole", "PostedAlerts").Condition).toEqual({
      "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["slack|*"] },
    });
    expect(statementBySid(t, "SlackNotifierFunctionRole", "DecryptSlackWebhookUrl").Condition).toEqual({
      StringEquals: { "kms:ViaService": viaService("ssm") },
    });
    expect(t.Conditions?.["HasSlackWebhookKmsKey"]).toEqual({
      "Fn::Not": [{ "Fn::Equals": [{ Ref: "SlackWebhookKmsKeyArn" }, ""] }],
    });
    expect(t.Parameters?.["SlackWebhookKmsKeyArn"]?.["Default"]).toBe("");
    expect(optional.Parameters?.["SlackWebhookKmsKeyArn"]?.["Default"]).toBe(SSM_KEY);
    // The parameter's name must be a full path, or the ARN above would name another parameter.
    const pattern = new RegExp(String(t.Parameters?.["SlackWebhookParameter"]?.["AllowedPattern"]));
    expect(pattern.test("/netutil-detector/prod/slack-webhook-url")).toBe(true);
    for (const bad of ["netutil/slack", "/a/*", "/a//b", "/a/", ""])
      expect(pattern.test(bad), bad).toBe(false);
    // Quarantine overflow: objects under quarantine/ of the one bucket, put and nothing else; a data key of the
    // stack's key, through S3 only (a single PutObject needs no kms:Decrypt).
    for (const role of ["KinesisFunctionRole", "CloudwatchLogsFunctionRole"]) {
      expect(statementBySid(t, role, "StoreQuarantineOverflow"), role).toEqual({
        Sid: "StoreQuarantineOverflow",
        Effect: "Allow",
        Action: "s3:PutObject",
        Resource: { "Fn::Sub": `\${QuarantineBucket.Arn}/quarantine/*` },
      });
      expect(statementBySid(t, role, "EncryptQuarantineOverflow"), role).toEqual({
        Sid: "EncryptQuarantineOverflow",
        Effect: "Allow",
        Action: "kms:GenerateDataKey",
        Resource: getAtt("AlertKey", "Arn"),
        Condition: { StringEquals: { "kms:ViaService": viaService("s3") } },
      });
    }
    const s3Statements = identityStatements(t).filter(({ statement }) =>
      asList(statement.Action).some((a) => typeof a === "string" && a.startsWith("s3:")),
    );
    expect(s3Statements.map(({ owner }) => owner).sort()).toEqual([
      "CloudwatchLogsFunctionRole",
      "KinesisFunctionRole",
    ]);
    // KMS use is limited to calls made through the service that needs it.
    expect(statementBySid(t, "KinesisFunctionRole", "EncryptAlerts").Condition).toEqual({
      StringEquals: { "kms:ViaService": viaService("sns") },
    });
    expect(statementBySid(t, "KinesisFunctionRole", "DecryptExecTelemetryStream").Condition).toEqual({
      StringEquals: { "kms:ViaService": viaService("kinesis") },
    });
    expect(t.Conditions?.["HasStreamKmsKey"]).toEqual({
      "Fn::Not": [{ "Fn::Equals": [{ Ref: "StreamKmsKeyArn" }, ""] }],
    });
    expect(t.Parameters?.["StreamKmsKeyArn"]?.["Default"]).toBe("");
    expect(optional.Parameters?.["StreamKmsKeyArn"]?.["Default"]).toBe(STREAM_KEY);
  });

  it("the key policy: account root administers, AWS services encrypt only for this account", () => {
    const policy = statementsOf(resource(t, "AlertKey", "AWS::KMS::Key").Properties["KeyPolicy"]);
    for (const s of policy) {
      const where = `AlertKey/${s.Sid ?? "(no Sid)"}`;
      if (keyPolicyExceptions.some((e) => e.sid === s.Sid)) continue;
      expect(wildcardActions(s), `${where}: wildcard action`).toEqual([]);
      expect(s.Condition?.["StringEquals"], `${where}: scoped to this account`).toEqual({
        "aws:SourceAccount": { Ref: "AWS::AccountId" },
      });
    }
    expect(policy.map((s) => s.Sid).sort()).toEqual([
      "AccountRootAdministers",
      "AwsServicesEncryptAlertsOfThisAccount",
    ]);
  });
});

describe("function environment", () => {
  const SECRET_NAME = /WEBHOOK|SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE|CREDENTIAL|API_?KEY/i;
  const SECRET_VALUE = /hooks\.slack\.com|https?:|xox[abposr]-|AKIA[0-9A-Z]{16}|-----BEGIN/;
  /**
   * Names that match SECRET_NAME but hold where the secret is, not the secret: their value must be a
   * reference to a parameter name (checked below), never a URL.
   */
  const SECRET_POINTERS = new Set(["SLACK_WEBHOOK_PARAMETER"]);

  const environments = () =>
    lambdaFunctions(t).map(([id, fn]) => {
      const env = fn.Properties["Environment"];
      const vars = isObject(env) ? env["Variables"] : undefined;
      if (!isObject(vars)) throw new Error(`${id} has no environment`);
      return [id, vars] as const;
    });

  it("holds no secret (by name or by look)", () => {
    for (const [id, vars] of environments()) {
      for (const [name, value] of Object.entries(vars)) {
        if (SECRET_POINTERS.has(name))
          expect(value, `${id}: ${name}`).toEqual({ Ref: "SlackWebhookParameter" });
        else expect(name, `${id}: ${name}`).not.toMatch(SECRET_NAME);
        expect(JSON.stringify(value), `${id}: ${name}`).not.toMatch(SECRET_VALUE);
      }
    }
  });

  it("the detection functions name the quarantine queue and its overflow bucket", () => {
    for (const id of ["KinesisLambdaFunction", "CloudwatchLogsLambdaFunction"]) {
      const env = resource(t, id, "AWS::Lambda::Function").Properties["Environment"];
      const vars = isObject(env) ? env["Variables"] : undefined;
      expect(vars, id).toMatchObject({
        QUARANTINE_QUEUE_URL: { Ref: "QuarantineQueue" },
        QUARANTINE_BUCKET: { Ref: "QuarantineBucket" },
      });
    }
  });

  it("is what lib/config.ts (the notifier: lib/slack/slack-config.ts) accepts once CloudFormation fills in the references", () => {
    for (const [id] of environments()) {
      const env = deployedEnvironment(t, id);
      for (const [k, v] of Object.entries(env))
        expect(typeof v, `${id}: ${k} resolves to a string`).toBe("string");
      const load = id === "SlackNotifierLambdaFunction" ? loadSlackConfig : loadConfig;
      expect(() => load(env as Record<string, string>), id).not.toThrow();
      expect(env).toMatchObject({
        POWERTOOLS_SERVICE_NAME: "netutil-detector",
        POWERTOOLS_METRICS_NAMESPACE: "NetutilDetector",
        POWERTOOLS_LOG_LEVEL: "INFO",
      });
    }
  });
});

describe("CloudWatch dashboard", () => {
  const REGION = "eu-west-1";
  const DETECTORS = ["KinesisLambdaFunction", "CloudwatchLogsLambdaFunction"] as const;
  const FUNCTIONS = [...DETECTORS, "SlackNotifierLambdaFunction"] as const;
  const QUEUES = ["QuarantineQueue", "FailureQueue", "SlackDeadLetterQueue"] as const;
  let widgets: Widget[];
  let emitted: EmittedMetric[];

  beforeAll(async () => {
    const dashboard = resource(t, "Dashboard", "AWS::CloudWatch::Dashboard").Properties;
    const body = dashboard["DashboardBody"];
    if (!isObject(body) || !("Fn::Sub" in body)) throw new Error("DashboardBody is not an Fn::Sub");
    widgets = widgetsOf(resolveSub(body["Fn::Sub"], new Set(Object.keys(t.Resources)), REGION));
    // What the deployed functions publish: their own wiring, given their environment as deployed.
    emitted = [
      ...(await detectionMetrics(deployedEnvironment(t, "KinesisLambdaFunction"))),
      ...(await detectionMetrics(deployedEnvironment(t, "CloudwatchLogsLambdaFunction"))),
      ...(await slackNotifierMetrics(deployedEnvironment(t, "SlackNotifierLambdaFunction"))),
    ];
  });

  const key = (m: { namespace: string; name: string; dimensions: Readonly<Record<string, string>> }) =>
    `${m.namespace} ${m.name} ${JSON.stringify(Object.entries(m.dimensions).sort())}`;

  it("names only metrics the functions publish, with the exact dimensions they publish them under", () => {
    const published = new Set(emitted.map(key));
    // The capture itself: observe-report.ts and the notifier publish under one namespace and `service`.
    expect(published.size).toBeGreaterThanOrEqual(13);
    expect(new Set(emitted.map((m) => JSON.stringify([m.namespace, m.dimensions])))).toEqual(
      new Set([JSON.stringify(["NetutilDetector", { service: "netutil-detector" }])]),
    );
    const custom = plotted(widgets).metrics.filter((m) => !m.namespace.startsWith("AWS/"));
    expect(custom.length).toBeGreaterThan(0);
    for (const m of custom) expect(published, `${m.widget}: ${key(m)}`).toContain(key(m));
  });

  it("shows the key detection metrics: alerts, suppressed by reason, quarantined, store calls", () => {
    const shown = new Set(plotted(widgets).metrics.map(key));
    const keyMetrics = [
      "Alerts",
      "Suppressed",
      "SuppressedByDedup",
      "Quarantined",
      "FailedBatches",
      "StoreCalls",
      "Records",
      "SlackFailed",
    ];
    for (const name of keyMetrics) {
      const m = emitted.find((e) => e.name === name);
      expect(m, `${name} is published`).toBeDefined();
      expect(shown, name).toContain(key(m!));
    }
  });

  it("shows each function's duration, errors and throttles, the Kinesis iterator age and the queues' depth", () => {
    const shown = plotted(widgets).metrics.map((m) => ({ ...m, stat: m.options["stat"] }));
    const has = (namespace: string, name: string, dimensions: Record<string, string>) =>
      shown.some((m) => key(m) === key({ namespace, name, dimensions }));
    for (const fn of FUNCTIONS) {
      for (const name of ["Duration", "Errors", "Throttles"])
        expect(has("AWS/Lambda", name, { FunctionName: `<${fn}>` }), `${name} ${fn}`).toBe(true);
    }
    expect(has("AWS/Lambda", "IteratorAge", { FunctionName: "<KinesisLambdaFunction>" })).toBe(true);
    // How far behind the stream the worst shard is: the maximum, as the alarm reads it.
    const age = widgets.find((w) => JSON.stringify(w.properties["metrics"] ?? []).includes("IteratorAge"));
    expect(age?.properties["stat"]).toBe("Maximum");
    for (const q of QUEUES)
      expect(has("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: `<${q}.QueueName>` }), q).toBe(
        true,
      );
  });

  it("every metric widget reads this stack's region, expressions name their widget's ids, the grid holds", () => {
    const metricWidgets = widgets.filter((w) => w.type === "metric");
    expect(metricWidgets.length).toBeGreaterThanOrEqual(10);
    for (const w of metricWidgets) expect(w.properties["region"], String(w.properties["title"])).toBe(REGION);
    const { metrics, expressions } = plotted(widgets);
    for (const e of expressions) {
      const ids = new Set(metrics.filter((m) => m.widget === e.widget).map((m) => m.options["id"]));
      const used = e.expression.match(/[a-zA-Z][a-zA-Z0-9_]*/g) ?? [];
      for (const id of used) expect(ids, `${e.widget}: ${e.expression}`).toContain(id);
    }
    // Widgets inside CloudWatch's 24 columns, none on top of another.
    const cells = new Set<string>();
    for (const w of widgets) {
      expect(w.x + w.width, String(w.properties["title"])).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++)
        for (let y = w.y; y < w.y + w.height; y++) {
          expect(cells.has(`${x},${y}`), `overlap at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
    }
  });

  it("is named per stage and region", () => {
    expect(resource(t, "Dashboard", "AWS::CloudWatch::Dashboard").Properties["DashboardName"]).toEqual({
      "Fn::Sub": `netutil-detector-ci-\${AWS::Region}`,
    });
  });
});
