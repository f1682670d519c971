import { describe, expect, it } from "vitest";
import { alertSummary, replayText as run } from "../helpers/replay-text.js";
import { CAPTURED_ALERTS, CAPTURED_AUDITD, CAPTURED_LAUREL, readSample } from "../helpers/samples.js";

const lines = (sample: string) =>
  readSample(sample)
    .split("\n")
    .filter((l) => l.length > 0);

describe("--format auto", () => {
  it("mixes auditd and laurel lines in one input", async () => {
    const { alerts, summary } = await run(
      `${lines(CAPTURED_AUDITD).join("\n")}\n${lines(CAPTURED_LAUREL).join("\n")}\n`,
    );
    expect(summary.counters.malformed).toBe(0);
    expect(summary.counters.execEvents).toBe(54);
    // The same two attacks seen by both sources on one host: dedup keeps one alert each.
    expect(alerts.map((a) => a.utility.name)).toEqual(["nslookup", "curl"]);
  });

  it.each([
    ["Fluent Bit / Fluentd", "log"],
    ["CloudWatch agent export", "message"],
  ])('unwraps a %s wrapper around the raw line ({"%s": …})', async (_name, key) => {
    const wrapped = lines(CAPTURED_AUDITD).map((line) =>
      JSON.stringify({ [key]: line, source: "/var/log/audit/audit.log" }),
    );
    const { alerts, summary } = await run(`${wrapped.join("\n")}\n`);
    expect(summary.counters.malformed).toBe(0);
    expect(alertSummary(alerts)).toEqual(CAPTURED_ALERTS);
  });

  it("unwraps once: a wrapper of a wrapper is malformed, not a loop", async () => {
    const twice = JSON.stringify({ log: JSON.stringify({ log: "type=EOE msg=audit(1.000:1):" }) });
    const { summary } = await run(`${twice}\n`);
    expect(summary.counters.malformed).toBe(1);
    expect(summary.malformed[0]!.reason).toMatch(/no known format/);
  });
});
