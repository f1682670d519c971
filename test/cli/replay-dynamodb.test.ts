import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Alert } from "../../lib/alerts/alert.js";
import { cli } from "../helpers/cli.js";
import { type LocalDynamo, startDynalite } from "../helpers/dynalite.js";
import { CAPTURED_ALERTS, CAPTURED_AUDITD, readSample, samplePath } from "../helpers/samples.js";

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});

const alertsOf = (stdout: string) =>
  stdout
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Alert)
    .map((a) => ({
      pid: a.process.pid,
      utility: a.utility.name,
      path: a.location.path,
      kind: a.location.kind,
    }));

describe("replay --store dynamodb (the Lambda's table, here a dynalite)", () => {
  it("alerts through lineage kept in the table, and dedups across runs like the Lambda does", async () => {
    const args = [
      "replay",
      "--output",
      "json",
      "--store",
      "dynamodb",
      "--endpoint",
      dynamo.endpoint,
      "--table",
      dynamo.tableName,
    ];
    const first = await cli([...args, "--host", "vm", samplePath(CAPTURED_AUDITD)]);
    expect(first.code).toBe(0);
    expect(alertsOf(first.stdout)).toEqual(CAPTURED_ALERTS);

    // A second run over the same telemetry: the alerts were claimed and marked printed in the table.
    const second = await cli([...args, "--host", "vm", "-"], readSample(CAPTURED_AUDITD));
    expect(alertsOf(second.stdout)).toEqual([]);
    expect(second.stderr).toContain("dedup 2)");
  });

  it.each([
    [["replay", "--store", "dynamodb", "f"], "--store dynamodb needs --table NAME"],
    [["replay", "--table", "t", "f"], "--table and --endpoint go with --store dynamodb"],
    [
      ["replay", "--store", "dynamodb", "--table", "t", "--cache", "64", "f"],
      "--cache goes with --store memory",
    ],
    [["replay", "--store", "redis", "f"], "--store must be memory or dynamodb"],
    [
      ["replay", "--store", "dynamodb", "--table", "t", "--endpoint", "localhost:8000", "f"],
      "--endpoint must be an http(s) URL",
    ],
  ])("usage error %j", async (argv, message) => {
    const { code, stderr } = await cli(argv);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});
