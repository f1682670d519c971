import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cut } from "../helpers/cut-harness.js";
import { runCut, SAMPLES } from "../helpers/cut-sweep.js";
import { type LocalDynamo, startDynalite } from "../helpers/dynalite.js";
import { type FaultProxy, seeded, startFaultProxy } from "../helpers/fault-proxy.js";

/**
 * The cut-equivalence harness again, with faults: DynamoDB throttling past the SDK's retries (the bundles run
 * with AWS_MAX_ATTEMPTS=1, so every injected throttle is past them) on every call the functions make, batch
 * calls left partly unprocessed, SNS throttling, and Lambda delivering some invocations twice, one after
 * the other or in two containers at once. Every alert id the CLI raises is still published, exactly once.
 * Fixed seeds, a bounded sample: the real-telemetry samples through one Kinesis and one CloudWatch Logs cut
 * each, in order and shuffled.
 */
let dynamo: LocalDynamo;
let proxy: FaultProxy;
const saved = { ...process.env };
beforeAll(async () => {
  dynamo = await startDynalite();
  proxy = await startFaultProxy(dynamo.endpoint);
});
afterAll(async () => {
  process.env = saved;
  await proxy.close();
  await dynamo.close();
});

const FAULTY_SAMPLES = SAMPLES.filter((s) => /(recorded|captured)\//.test(s.path));

const CUTS: Cut[] = [
  { kind: "kinesis", batch: 7 },
  { kind: "kinesis", batch: "random", seed: 21 },
  { kind: "cloudwatch", envelope: 5, shuffled: false },
  { kind: "cloudwatch", envelope: 5, shuffled: true, seed: 5 },
];

const RATES = {
  throttle: {
    BatchGetItem: 0.08,
    BatchWriteItem: 0.08,
    UpdateItem: 0.05,
    GetItem: 0.05,
    PutItem: 0.08,
    DeleteItem: 0.08,
  },
  unprocessed: 0.25,
};

describe("every alert published exactly once under throttling, partial batches and duplicate deliveries", () => {
  it("the faulty runs cover the samples recorded with real auditd and laurel", () => {
    expect(FAULTY_SAMPLES.map((s) => s.path)).toEqual(
      expect.arrayContaining([
        "test/fixtures/samples/recorded/attack-cases.auditd.log",
        "test/fixtures/samples/recorded/attack-cases.laurel.jsonl",
      ]),
    );
  });

  for (const sample of FAULTY_SAMPLES) {
    it.each(CUTS.map((cut, i) => [JSON.stringify(cut), cut, i] as const))(
      `${sample.path}: %s`,
      async (_name, cut, i) => {
        const seed = 1_000 + i;
        proxy.setRates(RATES, seed);
        const before = { ...proxy.log.throttled };
        const snsRandom = seeded(seed * 7);
        const run = await runCut(dynamo, sample, cut, {
          endpoint: proxy.endpoint,
          failPublish: () => snsRandom() < 0.15,
          faults: { seed, duplicate: 0.15, concurrent: 0.15 },
          env: { AWS_MAX_ATTEMPTS: "1" },
        });
        proxy.setRates(undefined);
        // The faults happened: throttles were injected and invocations failed and were delivered again.
        const throttled = Object.entries(proxy.log.throttled).reduce(
          (n, [op, count]) => n + count - (before[op] ?? 0),
          0,
        );
        expect(throttled).toBeGreaterThan(0);
        expect(run.stats.failedInvocations).toBeGreaterThan(0);
      },
      120_000,
    );
  }

  it("the proxy left batch calls partly unprocessed and throttled each kind of call", () => {
    expect(proxy.log.unprocessed["BatchWriteItem"]).toBeGreaterThan(0);
    expect(proxy.log.unprocessed["BatchGetItem"]).toBeGreaterThan(0);
    for (const op of ["BatchGetItem", "BatchWriteItem", "UpdateItem", "GetItem", "PutItem"]) {
      expect(proxy.log.throttled[op], op).toBeGreaterThan(0);
    }
  });
});
