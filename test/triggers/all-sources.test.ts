import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { KinesisStreamEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { toKinesisEvents } from "../../lib/cli/kinesis-demo.js";
import { makeCloudWatchLogsHandler } from "../../lib/triggers/cloudwatch-logs-trigger.js";
import { makeKinesisHandler } from "../../lib/triggers/kinesis-trigger.js";
import { cloudWatchLogsEvent } from "../helpers/cloudwatch-logs-events.js";
import { detectorHarness } from "../helpers/detector-harness.js";
import { startDynalite } from "../helpers/dynalite.js";

/**
 * The same attack chain in every supported source's format goes through both handlers unchanged (one line per
 * Kinesis record, partition key = host; or one CloudWatch Logs event per line) and gives the same alert.
 */
const CHAINS = [
  "tetragon.jsonl",
  "falco.jsonl",
  "osquery.jsonl",
  "ocsf.jsonl",
  "datadog.jsonl",
  "sysmon.log",
];

const lines = (file: string) =>
  readFileSync(fileURLToPath(new URL(`../fixtures/chains/${file}`, import.meta.url)), "utf8")
    .split("\n")
    .filter((l) => l.length > 0);

describe.each(CHAINS)("%s", (file) => {
  const expectTheAlert = (h: ReturnType<typeof detectorHarness>) => {
    const alerts = h.published();
    expect(alerts.map((a) => [a.utility.name, a.location.path, a.location.kind])).toEqual([
      ["nslookup", "/tmp/x.sh", "script"],
    ]);
    expect(h.reports.every((r) => r.counters.malformed === 0)).toBe(true);
  };

  // A table per test: the chains share host and location, so one table would dedup them into one alert.
  it("through the Kinesis handler", async () => {
    const local = await startDynalite();
    try {
      const h = detectorHarness(local.client, local.tableName);
      const events: KinesisStreamEvent[] = toKinesisEvents(
        lines(file).map((l) => ({ data: Buffer.from(l), partitionKey: "host-a" })),
      );
      for (const event of events)
        expect(await makeKinesisHandler(h.deps)(event)).toEqual({ batchItemFailures: [] });
      expectTheAlert(h);
    } finally {
      await local.close();
    }
  });

  it("through the CloudWatch Logs handler", async () => {
    const local = await startDynalite();
    try {
      const h = detectorHarness(local.client, local.tableName);
      await makeCloudWatchLogsHandler(h.deps)(cloudWatchLogsEvent(lines(file), "host-a"));
      expectTheAlert(h);
    } finally {
      await local.close();
    }
  });
});
