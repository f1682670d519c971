import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import type {
  CloudWatchLogsEvent,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import type { Alert } from "../../lib/alerts/alert.js";
import { toKinesisEvents } from "../../lib/cli/kinesis-demo.js";
import { createDocumentJoiner, flushDocumentJoiner, frameText } from "../../lib/telemetry/framing.js";
import { cli } from "./cli.js";
import { seeded } from "./fault-proxy.js";
import { telemetrySampleFiles } from "./samples.js";

/**
 * The cut-equivalence harness (issue "the functions see exactly what the CLI sees"): a telemetry sample is
 * replayed through the CLI, then through the built Lambda bundles, delivered the ways the transports cut a
 * stream, and the alerts must be the same ids with the same utility and location, each published once.
 */

const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const HOST = "vm";

/** Fixtures that are telemetry besides the samples: the per-source attack chains, Sysmon and Datadog events. */
const FIXTURE_TELEMETRY = ["test/fixtures/chains", "test/fixtures/sysmon", "test/fixtures/datadog"];
const NOT_TELEMETRY = [/\.md$/, /\.sh$/, /(^|\/)\./];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/**
 * Every telemetry sample the repository holds (paths from its root): the samples (test/helpers/samples.ts,
 * captured with real auditd and laurel, and the sensors' own upstream examples), the fixtures that are
 * telemetry, and the demo's data in lib/demo.
 */
export function repositorySamples(): string[] {
  const fixtures = [...FIXTURE_TELEMETRY, "lib/demo"].flatMap((dir) => files(join(REPO, dir)));
  return [
    ...telemetrySampleFiles().map((path) => `test/fixtures/samples/${path}`),
    ...fixtures.map((path) => relative(REPO, path)).filter((p) => !NOT_TELEMETRY.some((re) => re.test(p))),
  ].sort();
}

/**
 * A sample as a producer ships it: one record per audit line or JSON document (pretty-printed documents
 * joined, as the CLI frames them). `maxRecords` keeps a contiguous head of the largest samples so that the
 * sweep over every cut stays within the test budget; the CLI is then run on the same head.
 */
export function sampleRecords(path: string, maxRecords = Number.POSITIVE_INFINITY): string[] {
  const text = readFileSync(join(REPO, path), "utf8");
  const joiner = createDocumentJoiner();
  const framed = [...joiner(frameText(text)), ...flushDocumentJoiner(joiner)];
  return framed
    .filter((r) => r.text.trim().length > 0)
    .slice(0, maxRecords)
    .map((r) => r.text);
}

/** What is compared of an alert: its id, the utility and the suspicious file (and its dedup window key). */
export interface AlertKey {
  readonly id: string;
  readonly utility: string;
  readonly path: string;
  readonly dedup: string;
}

export const keyOf = (alert: Alert): AlertKey => ({
  id: alert.id,
  utility: alert.utility.name,
  path: alert.location.path,
  dedup: alert.dedup.key,
});

const byId = (a: AlertKey, b: AlertKey) => a.id.localeCompare(b.id);

/**
 * The CLI's alerts for the records (joined by newlines, replayed from stdin with the same default host); with
 * `dedup: false`, every alert, repeats of a dedup window included.
 */
export async function cliAlerts(records: readonly string[], dedup = true): Promise<AlertKey[]> {
  const { code, stdout, stderr } = await cli(
    ["replay", "--output", "json", "--host", HOST, ...(dedup ? [] : ["--no-dedup"]), "-"],
    `${records.join("\n")}\n`,
  );
  if (code !== 0) throw new Error(`CLI exited ${code}: ${stderr}`);
  return stdout
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => keyOf(JSON.parse(l) as Alert))
    .sort(byId);
}

/** A cut of the stream: how records are grouped into invocations. */
export type Cut =
  | { readonly kind: "kinesis"; readonly batch: number | "random"; readonly seed?: number }
  | {
      readonly kind: "cloudwatch";
      readonly envelope: number;
      readonly shuffled: boolean;
      readonly seed?: number;
    };

export const describeCut = (cut: Cut): string =>
  cut.kind === "kinesis"
    ? `Kinesis, batches of ${cut.batch}${cut.batch === "random" ? ` (seed ${cut.seed})` : ""}`
    : `CloudWatch Logs, envelopes of ${cut.envelope} lines${cut.shuffled ? `, shuffled (seed ${cut.seed})` : ""}`;

/** The Lambda events of a cut, in delivery order. */
export function deliveries(
  records: readonly string[],
  cut: Cut,
): (KinesisStreamEvent | CloudWatchLogsEvent)[] {
  if (cut.kind === "kinesis") {
    const all = kinesisRecords(records);
    const events: KinesisStreamEvent[] = [];
    const random = seeded(cut.seed ?? 1);
    for (let i = 0; i < all.length; ) {
      const size = cut.batch === "random" ? 1 + Math.floor(random() * 60) : cut.batch;
      events.push({ Records: all.slice(i, i + size) });
      i += size;
    }
    return events;
  }
  const envelopes: CloudWatchLogsEvent[] = [];
  for (let i = 0; i < records.length; i += cut.envelope) {
    envelopes.push(cloudWatchEvent(records.slice(i, i + cut.envelope), i));
  }
  if (cut.shuffled) {
    const random = seeded(cut.seed ?? 1);
    for (let i = envelopes.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [envelopes[i], envelopes[j]] = [envelopes[j]!, envelopes[i]!];
    }
  }
  return envelopes;
}

/** One record per framed record, as the event source mapping builds them (the demo's own builder). */
function kinesisRecords(records: readonly string[]): KinesisStreamRecord[] {
  const payloads = records.map((text) => ({ data: Buffer.from(text), partitionKey: HOST }));
  return toKinesisEvents(payloads, Math.max(1, payloads.length))[0]?.Records ?? [];
}

function cloudWatchEvent(lines: readonly string[], first: number): CloudWatchLogsEvent {
  const envelope = {
    messageType: "DATA_MESSAGE",
    owner: "123456789012",
    logGroup: "/exec-telemetry/auditd",
    logStream: HOST,
    subscriptionFilters: ["netutil-detector"],
    logEvents: lines.map((message, i) => ({
      id: String(37_000_000_000 + first + i),
      timestamp: 1_795_822_038_000 + first + i,
      message,
    })),
  };
  return { awslogs: { data: gzipSync(JSON.stringify(envelope)).toString("base64") } };
}

type KinesisHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;
type CloudWatchHandler = (event: CloudWatchLogsEvent) => Promise<void>;

let instances = 0;

/**
 * A fresh instance of a built bundle, as a new Lambda container loads it: dist/lambda/<name>/index.mjs
 * evaluated again (its own clients and in-memory state), configured from the environment as it is now.
 */
export async function loadBundle<H>(name: "kinesis" | "cloudwatch-logs"): Promise<H> {
  const url = pathToFileURL(join(REPO, `dist/lambda/${name}/index.mjs`));
  url.searchParams.set("container", String(++instances));
  const module = (await import(url.href)) as { handler: H };
  return module.handler;
}

/** The environment of the bundles (lib/config.ts), with DynamoDB at `endpoint`. */
export function bundleEnvironment(endpoint: string, tableName: string): Record<string, string> {
  return {
    TABLE_NAME: tableName,
    TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:netutil-detector-ci-alerts",
    QUARANTINE_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/netutil-detector-ci-quarantine",
    QUARANTINE_BUCKET: "netutil-detector-ci-quarantine",
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    POWERTOOLS_LOG_LEVEL: "SILENT",
    POWERTOOLS_METRICS_DISABLED: "true",
  };
}

/**
 * SNS and SQS for the bundles: mocked at the client classes, which the bundles share with the tests (the
 * runtime's SDK is left out of them). `failPublish` decides, per Publish, whether SNS throttles it.
 */
export function mockTopic(failPublish: () => boolean = () => false) {
  const sns = mockClient(SNSClient);
  const sqs = mockClient(SQSClient);
  const published: Alert[] = [];
  let throttled = 0;
  sns.on(PublishCommand).callsFake((input: { Message: string }) => {
    if (failPublish()) {
      throttled++;
      throw Object.assign(new Error("Rate exceeded (injected)"), {
        name: "ThrottlingException",
        $fault: "client",
        $metadata: { httpStatusCode: 400 },
      });
    }
    published.push(JSON.parse((JSON.parse(input.Message) as { sqs: string }).sqs) as Alert);
    return { MessageId: `m-${published.length}` };
  });
  sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
    Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: `q-${e.Id}`, MD5OfMessageBody: "0" })),
    Failed: [],
  }));
  return {
    published,
    throttledPublishes: () => throttled,
    restore() {
      sns.restore();
      sqs.restore();
    },
  };
}

/** How Lambda delivers beyond the cut: redeliveries after failures, duplicates, concurrent duplicates. */
export interface DeliveryFaults {
  readonly seed: number;
  /** Probability that an invocation is delivered again after it succeeded (to the other container). */
  readonly duplicate: number;
  /** Probability that an invocation runs in both containers at once. */
  readonly concurrent: number;
}

export interface DriveStats {
  invocations: number;
  failedInvocations: number;
}

/** Attempts per invocation before the test gives up (Lambda's own bound is the mapping's retry count). */
const MAX_ATTEMPTS = 25;

/**
 * Delivers the events of a cut to two "containers" (bundle instances) as Lambda would: Kinesis retries a
 * batch from the first failed record, CloudWatch Logs retries the whole envelope; with `faults`, some
 * deliveries are repeated or run in both containers at once.
 */
export async function drive(
  containers: readonly [KinesisHandler | CloudWatchHandler, KinesisHandler | CloudWatchHandler],
  events: readonly (KinesisStreamEvent | CloudWatchLogsEvent)[],
  faults?: DeliveryFaults,
): Promise<DriveStats> {
  const random = seeded(faults?.seed ?? 1);
  const stats: DriveStats = { invocations: 0, failedInvocations: 0 };
  let next = 0;
  const pick = () => containers[next++ % 2]!;
  const other = () => containers[next % 2]!;

  for (const event of events) {
    let pending: KinesisStreamEvent | CloudWatchLogsEvent | undefined = event;
    for (let attempt = 1; pending !== undefined; attempt++) {
      if (attempt > MAX_ATTEMPTS) throw new Error(`an invocation failed ${MAX_ATTEMPTS} times in a row`);
      const concurrent = faults !== undefined && random() < faults.concurrent;
      const official = invoke(pick(), pending, stats);
      const [result]: ["ok" | "retry" | KinesisStreamEvent, unknown] = await Promise.all([
        official,
        concurrent ? invoke(other(), pending, stats) : undefined,
      ]);
      const done: KinesisStreamEvent | CloudWatchLogsEvent = pending;
      pending = result === "ok" ? undefined : result === "retry" ? done : result;
      if (pending === undefined && faults !== undefined && random() < faults.duplicate) {
        await invoke(other(), done, stats);
      }
    }
  }
  return stats;
}

/** "ok", "retry" (CloudWatch Logs threw), or the Kinesis records to deliver again. */
async function invoke(
  handler: KinesisHandler | CloudWatchHandler,
  event: KinesisStreamEvent | CloudWatchLogsEvent,
  stats: DriveStats,
): Promise<"ok" | "retry" | KinesisStreamEvent> {
  stats.invocations++;
  if ("awslogs" in event) {
    try {
      await (handler as CloudWatchHandler)(event);
      return "ok";
    } catch {
      stats.failedInvocations++;
      return "retry";
    }
  }
  const { batchItemFailures } = await (handler as KinesisHandler)(event);
  const failed = batchItemFailures[0]?.itemIdentifier;
  if (failed === undefined) return "ok";
  stats.failedInvocations++;
  return {
    Records: event.Records.slice(event.Records.findIndex((r) => r.kinesis.sequenceNumber === failed)),
  };
}

/** A readable account of two alert sets that differ, for the failure message. */
export function difference(expected: readonly AlertKey[], actual: readonly Alert[]): string {
  const got = actual.map(keyOf);
  const ids = new Map<string, number>();
  for (const a of got) ids.set(a.id, (ids.get(a.id) ?? 0) + 1);
  const lines: string[] = [];
  for (const e of expected) {
    const match = got.find((a) => a.id === e.id);
    if (match === undefined) lines.push(`  missing   ${e.utility} from ${e.path} (${e.id})`);
    else if (match.utility !== e.utility || match.path !== e.path)
      lines.push(`  differs   ${e.utility} from ${e.path} → ${match.utility} from ${match.path} (${e.id})`);
  }
  for (const a of got) {
    if (!expected.some((e) => e.id === a.id))
      lines.push(`  unexpected ${a.utility} from ${a.path} (${a.id})`);
  }
  for (const [id, n] of ids) if (n > 1) lines.push(`  published ${n} times: ${id}`);
  return lines.join("\n");
}

export const sortedKeys = (alerts: readonly Alert[]): AlertKey[] => alerts.map(keyOf).sort(byId);

/**
 * Delivered out of order, a dedup window opens with whichever of its alerts arrives first, which need not
 * be the first in the stream: then the windows must be the same (key, utility, file), each published once,
 * and each published id one of the CLI's alerts of that window.
 */
export function windowDifference(
  expected: readonly AlertKey[],
  every: readonly AlertKey[],
  actual: readonly Alert[],
): string {
  const got = actual.map(keyOf);
  const lines: string[] = [];
  const windows = (keys: readonly AlertKey[]) =>
    new Set(keys.map((k) => `${k.dedup} ${k.utility} ${k.path}`));
  const want = windows(expected);
  const have = windows(got);
  for (const w of want) if (!have.has(w)) lines.push(`  missing window    ${w}`);
  for (const w of have) if (!want.has(w)) lines.push(`  unexpected window ${w}`);
  const perWindow = new Map<string, number>();
  for (const k of got) perWindow.set(k.dedup, (perWindow.get(k.dedup) ?? 0) + 1);
  for (const [w, n] of perWindow) if (n > 1) lines.push(`  window published ${n} times: ${w}`);
  for (const k of got) {
    if (!every.some((e) => e.id === k.id && e.dedup === k.dedup))
      lines.push(`  published id not among the CLI's alerts of its window: ${k.id}`);
  }
  return lines.join("\n");
}
