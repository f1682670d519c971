import { describe, expect, it } from "vitest";
import type { Alert } from "../../lib/alerts/alert.js";
import { toKinesisEvents } from "../../lib/cli/kinesis-demo.js";
import { DynamoDbLineageStore } from "../../lib/lineage/dynamodb-lineage-store.js";
import { makeKinesisHandler } from "../../lib/triggers/kinesis-trigger.js";
import type { ScenarioOptions } from "../bench/generate-telemetry.js";
import { storeInput } from "../bench/store-phase.js";
import { detectorHarness } from "../helpers/detector-harness.js";
import { type LocalDynamo, startDynalite } from "../helpers/dynalite.js";

/**
 * Lineage v2 writes only what a later container can need (lib/pipeline/keep-record.ts) and keeps the rest in
 * the container's memory (lib/lineage/tiered-store.ts). On a generated fleet with every workload (cron, ssh,
 * builds that wrap the pid space, containers) and every attack kind, through the Kinesis handler as wired
 * for Lambda: the alerts and their whole ancestry are those of writing every record to the table and reading
 * it back, as the functions did before.
 */
const SCENARIO: ScenarioOptions = {
  seed: 11,
  events: 6_000,
  history: 3_000,
  hosts: 12,
  roles: ["web", "app", "k8s", "build"],
  attackShare: 0.03,
  containersPerHost: 2,
  nearPidMax: 0.3,
};
const BATCH = 250;

/** What an alert says of the process tree: the utility, its exec chain, its ancestors with theirs. */
const tree = (alert: Alert) => ({
  id: alert.id,
  location: alert.location.path,
  process: [alert.process.pid, alert.process.executable, alert.process.execChain?.map((i) => i.executable)],
  ancestors: alert.ancestors.map((a) => [a.pid, a.executable, a.args, a.execChain?.map((i) => i.executable)]),
});

/** The scenario through the Kinesis handler on a table of its own; the alerts published. */
async function run(store: "tiered" | "everything" | "new container each batch"): Promise<Alert[]> {
  const dynamo: LocalDynamo = await startDynalite();
  try {
    const harness = detectorHarness(dynamo.client, dynamo.tableName);
    if (store === "new container each batch") {
      const published: Alert[] = [];
      for (const event of toKinesisEvents(storeInput(SCENARIO).payloads, BATCH)) {
        // A fresh wiring is a fresh container: nothing remembered, only what the table holds.
        const fresh = detectorHarness(dynamo.client, dynamo.tableName);
        const { batchItemFailures } = await makeKinesisHandler(fresh.deps)(event);
        expect(batchItemFailures).toEqual([]);
        published.push(...fresh.published());
      }
      return published;
    }
    const deps =
      store === "tiered"
        ? harness.deps
        : {
            ...harness.deps,
            store: new DynamoDbLineageStore({
              client: dynamo.client,
              tableName: dynamo.tableName,
              ttlSeconds: 7 * 86_400,
            }),
          };
    const handler = makeKinesisHandler(deps);
    for (const event of toKinesisEvents(storeInput(SCENARIO).payloads, BATCH)) {
      const { batchItemFailures } = await handler(event);
      expect(batchItemFailures).toEqual([]);
    }
    return harness.published();
  } finally {
    await dynamo.close();
  }
}

describe("lineage v2 against writing every record", () => {
  it("the same alerts with the same ancestry, as deep as the telemetry allows", async () => {
    const everything = await run("everything");
    const tiered = await run("tiered");
    expect(everything.length).toBeGreaterThan(10);
    // The fleet's deepest alerts: the comparison is not about one-level trees.
    expect(Math.max(...everything.map((a) => a.ancestors.length))).toBeGreaterThanOrEqual(3);
    expect(tiered.map(tree)).toEqual(everything.map(tree));
  }, 120_000);

  it("a new container at every batch raises the same alerts: what a verdict needs is in the table", async () => {
    const everything = await run("everything");
    const cold = await run("new container each batch");
    const verdict = (alert: Alert) => [alert.id, alert.location.path, alert.utility.name];
    expect(cold.map(verdict)).toEqual(everything.map(verdict));
  }, 120_000);
});
