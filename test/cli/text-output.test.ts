import { describe, expect, it } from "vitest";
import type { Alert } from "../../lib/alerts/alert.js";
import { inEventTimeOrder } from "../../lib/cli/alert-output.js";
import { RULE_METADATA } from "../../lib/rule/metadata.js";
import { cli } from "../helpers/cli.js";
import { CAPTURED_AUDITD, samplePath } from "../helpers/samples.js";

/** A native exec line: `utility` run by a parent at `parent`, on `host`, at `time` (epoch ms). */
const nativeLine = (host: string, pid: number, time: number, utility = "curl") =>
  JSON.stringify({
    schema: "netutil-detector/exec@1",
    time,
    source: { eventId: `${host}:${pid}` },
    host: { name: host },
    process: { pid, ppid: 1, executable: `/usr/bin/${utility}`, args: [utility, "http://198.51.100.7/x"] },
    parent: { pid: 1, executable: "/tmp/.k" },
  });

const T0 = Date.parse("2026-11-27T08:00:00Z");
const titles = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("["));

describe("alerts in event-time order per input", () => {
  it("across hosts: the pipeline evaluates host by host, the report reads in time order", async () => {
    // a-host's execs sort first by host, but happen after b-host's.
    const input = [
      nativeLine("a-host", 10, T0 + 3000),
      nativeLine("a-host", 11, T0 + 1000, "wget"),
      nativeLine("b-host", 20, T0 + 2000),
      nativeLine("b-host", 21, T0, "wget"),
    ].join("\n");
    const { stdout } = await cli(["replay", "--output", "json", "-"], input);
    const alerts = stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Alert);
    expect(alerts.map((a) => `${a.host.name}:${a.process.pid}`)).toEqual([
      "b-host:21",
      "a-host:11",
      "b-host:20",
      "a-host:10",
    ]);
  });

  it("inEventTimeOrder keeps alerts of the same instant in the order they were raised", () => {
    const at = (time: string, id: string) => ({ time, id }) as Alert;
    const alerts = [
      at("2026-01-01T00:00:02.000Z", "late"),
      at("2026-01-01T00:00:01.000Z", "first"),
      at("2026-01-01T00:00:01.000Z", "second"),
      at("2026-01-01T00:00:00.500Z", "earliest"),
    ];
    expect(inEventTimeOrder(alerts).map((a) => a.id)).toEqual(["earliest", "first", "second", "late"]);
  });
});

describe("text output for an analyst", () => {
  const steps = RULE_METADATA.triage.map((step, i) => `  ${i + 1}. ${step}`);

  it("each report has a targets line; the triage steps come once, after the last report", async () => {
    const { stdout } = await cli(["replay", "--host", "vm", samplePath(CAPTURED_AUDITD)]);
    expect(titles(stdout)).toEqual([
      "[HIGH] nslookup run from /tmp/dropper.sh on vm",
      "[HIGH] curl run from /dev/shm/.x on vm",
    ]);
    expect(stdout.split("\n").filter((l) => l.startsWith("  targets "))).toEqual([
      "  targets    vm.leak.example",
      "  targets    192.0.2.10",
    ]);
    expect(stdout).not.toContain("  triage\n");
    expect(
      stdout.endsWith(
        `\n\n${[`triage, for each of the 2 alerts above (rule ${RULE_METADATA.id} v${RULE_METADATA.version}):`, ...steps].join("\n")}\n`,
      ),
    ).toBe(true);
    expect(stdout.split(steps[0]!)).toHaveLength(2);
  });

  it("--triage puts the steps in every report instead", async () => {
    const { stdout } = await cli(["replay", "--triage", samplePath(CAPTURED_AUDITD)]);
    expect(stdout.split("\n  triage\n")).toHaveLength(3);
    expect(stdout).not.toContain("triage, for each");
  });

  it.each([["json"], ["ocsf"], ["slack"], ["email"]])(
    "--output %s has no trailing triage block",
    async (output) => {
      const { stdout } = await cli(["replay", "--output", output, samplePath(CAPTURED_AUDITD)]);
      expect(stdout).not.toContain("triage, for each");
    },
  );

  it("no alert, no triage block", async () => {
    const { stdout } = await cli(
      ["replay", "-"],
      `${nativeLine("a", 1, T0).replace("/tmp/.k", "/usr/sbin/cron")}\n`,
    );
    expect(stdout).toBe("");
  });
});
