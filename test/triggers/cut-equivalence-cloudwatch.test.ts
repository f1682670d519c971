import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cut } from "../helpers/cut-harness.js";
import { cliVerdict, runCut, SAMPLES } from "../helpers/cut-sweep.js";
import { type LocalDynamo, startDynalite } from "../helpers/dynalite.js";

/**
 * Every telemetry sample the repository holds, through the built CloudWatch Logs bundle, delivered in envelopes of 1, 5 and 50
 * lines, in order and shuffled (fixed seed): the same alert ids, utilities and locations as the CLI, each
 * published once. A failure names the sample, the cut and the alerts that differ.
 */
let dynamo: LocalDynamo;
const saved = { ...process.env };
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  process.env = saved;
  await dynamo.close();
});

const CUTS: Cut[] = [1, 5, 50].flatMap((envelope): Cut[] => [
  { kind: "cloudwatch", envelope, shuffled: false },
  { kind: "cloudwatch", envelope, shuffled: true, seed: envelope * 7 },
]);

describe("the CloudWatch Logs bundle gives the CLI's alerts, in whatever envelopes and order", () => {
  it("the samples include the recorded attacks, and the CLI finds them", async () => {
    const recorded = SAMPLES.find((s) => s.path.endsWith("recorded/attack-cases.auditd.log"));
    expect(recorded).toBeDefined();
    expect((await cliVerdict(recorded!)).length).toBe(14);
  });

  for (const sample of SAMPLES) {
    it.each(CUTS.map((cut) => [JSON.stringify(cut), cut] as const))(
      `${sample.path}: %s`,
      async (_name, cut) => {
        await runCut(dynamo, sample, cut);
      },
    );
  }
});
