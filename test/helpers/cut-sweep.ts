import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDetectorTable } from "../../lib/cli/local-dynamodb.js";
import {
  type AlertKey,
  bundleEnvironment,
  type Cut,
  cliAlerts,
  type DeliveryFaults,
  type DriveStats,
  deliveries,
  describeCut,
  difference,
  drive,
  loadBundle,
  mockTopic,
  repositorySamples,
  sampleRecords,
  sortedKeys,
  windowDifference,
} from "./cut-harness.js";
import { type LocalDynamo, startDynalite } from "./dynalite.js";

/** The largest samples are replayed by their first records only: every cut of them stays within budget. */
export const MAX_RECORDS = 1_000;

export interface Sample {
  readonly path: string;
  readonly records: string[];
}

export const SAMPLES: Sample[] = repositorySamples().map((path) => ({
  path,
  records: sampleRecords(path, MAX_RECORDS),
}));

const expected = new Map<string, Promise<AlertKey[]>>();

/** The CLI's verdict on a sample (with dedup, or every alert), computed once per test file. */
export function cliVerdict(sample: Sample, dedup = true): Promise<AlertKey[]> {
  const key = `${dedup} ${sample.path}`;
  let verdict = expected.get(key);
  if (verdict === undefined) {
    verdict = cliAlerts(sample.records, dedup);
    expected.set(key, verdict);
  }
  return verdict;
}

let tables = 0;

export interface Run {
  readonly stats: DriveStats;
  readonly publishes: number;
}

/**
 * One sample through one cut: a fresh table, two fresh containers of the bundle, the deliveries driven as
 * Lambda would; then every alert id the CLI raised is published exactly once, with the same utility and
 * location, and nothing else is.
 */
export async function runCut(
  dynamo: LocalDynamo,
  sample: Sample,
  cut: Cut,
  options: {
    readonly endpoint?: string;
    readonly faults?: DeliveryFaults;
    readonly failPublish?: () => boolean;
    readonly env?: Record<string, string>;
  } = {},
): Promise<Run> {
  const tableName = `cut-${++tables}`;
  await createDetectorTable(dynamo.client, tableName);
  Object.assign(process.env, bundleEnvironment(options.endpoint ?? dynamo.endpoint, tableName), options.env);
  const name = cut.kind === "kinesis" ? "kinesis" : "cloudwatch-logs";
  const containers = [await loadBundle(name), await loadBundle(name)] as const;
  const topic = mockTopic(options.failPublish);
  try {
    const cli = await cliVerdict(sample);
    // biome-ignore lint/suspicious/noExplicitAny: the two handler shapes are told apart by the event.
    const stats = await drive(containers as any, deliveries(sample.records, cut), options.faults);
    const published = topic.published;
    if (cut.kind === "cloudwatch" && cut.shuffled) {
      const problems = windowDifference(cli, await cliVerdict(sample, false), published);
      expect(problems, `${sample.path}, ${describeCut(cut)}:\n${problems}`).toBe("");
    } else {
      const message = `${sample.path}, ${describeCut(cut)}:\n${difference(cli, published)}`;
      expect(sortedKeys(published), message).toEqual(cli);
    }
    return { stats, publishes: published.length };
  } finally {
    topic.restore();
  }
}

/**
 * Every sample through every cut, one test each, on a dynalite of the file's own: the sweep of
 * test/triggers/cut-equivalence-{kinesis,cloudwatch}.test.ts.
 */
export function sweep(title: string, cuts: readonly Cut[]): void {
  let dynamo: LocalDynamo;
  const saved = { ...process.env };
  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => {
    process.env = saved;
    await dynamo.close();
  });

  describe(title, () => {
    it("the samples include the recorded attacks, and the CLI finds them", async () => {
      const recorded = SAMPLES.find((s) => s.path.endsWith("recorded/attack-cases.auditd.log"));
      expect(recorded).toBeDefined();
      expect((await cliVerdict(recorded!)).length).toBe(14);
    });

    for (const sample of SAMPLES) {
      it.each(cuts.map((cut) => [JSON.stringify(cut), cut] as const))(
        `${sample.path}: %s`,
        async (_name, cut) => {
          await runCut(dynamo, sample, cut);
        },
      );
    }
  });
}
