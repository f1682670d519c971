import { describe, expect, it } from "vitest";
import type { Alert } from "../../lib/alerts/alert.js";
import { cli } from "../helpers/cli.js";
import { replayText } from "../helpers/replay-text.js";
import { readSample, samplePath, telemetrySampleFiles } from "../helpers/samples.js";

/**
 * Every telemetry file under test/fixtures/samples (captured, upstream, and recorded when present) through
 * `replay --format auto`: zero malformed records; events of other kinds (osquery socket_events, Tetragon
 * process_exit, Falco alerts that are not spawns) skipped and counted. What is not telemetry is left out by
 * telemetrySampleFiles (test/helpers/samples.ts) and tested elsewhere.
 */
const telemetry = telemetrySampleFiles();

describe("replay --format auto on every sample", () => {
  it("covers every source directory", () => {
    // A recorded/ directory, when there is one, adds to these.
    expect([...new Set(telemetry.map((p) => p.split("/").slice(0, 2).join("/")))]).toEqual(
      expect.arrayContaining([
        "captured/exec-cases.auditd.log",
        "captured/exec-cases.laurel.jsonl",
        "upstream/auditd",
        "upstream/ecs",
        "upstream/falco",
        "upstream/ocsf",
        "upstream/osquery",
        "upstream/tetragon",
      ]),
    );
  });

  it.each(telemetry)("%s: zero malformed records", async (file) => {
    const { code, stderr } = await cli(["replay", "--format", "auto", "--output", "json", samplePath(file)]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/ records read, /);
    expect(stderr).toMatch(/, 0 malformed\n/);
  });

  it("events of other kinds are skipped and counted, with their reason", async () => {
    const socket = await cli([
      "replay",
      samplePath("upstream/osquery/docs_process-auditing_socket_events_curl.json"),
    ]);
    expect(socket.stderr).toMatch(/0 exec events, .*1 skipped/);
    expect(socket.stderr).toContain("socket_events");
    const exit = await cli(["replay", samplePath("upstream/tetragon/isovalent-book_nc_process_exit.json")]);
    expect(exit.stderr).toMatch(/1 skipped/);
    expect(exit.stderr).toContain("process_exit");
  });

  it("the Tetragon nc sample is decoded with its parent `sh lifecycle.sh`, and raises no alert", async () => {
    const lifecycle = readSample("upstream/tetragon/isovalent-book_lifecycle_sh_process_exec.json");
    const nc = readSample("upstream/tetragon/isovalent-book_nc_process_exec.json");
    const { alerts, summary } = await replayText(
      `${JSON.stringify(JSON.parse(lifecycle))}\n${JSON.stringify(JSON.parse(nc))}\n`,
    );
    expect(summary.counters.execEvents).toBe(2);
    expect(summary.counters.malformed).toBe(0);
    expect(alerts).toEqual([]);
    // nc is a network utility: it was evaluated, and its lineage (sh lifecycle.sh in /usr/share/elasticsearch)
    // holds no file in a writable directory. Rename the parent's script into /tmp and the same event alerts.
    const planted = replayText(
      `${JSON.stringify(JSON.parse(nc.replaceAll("lifecycle.sh", "/tmp/lifecycle.sh")))}\n`,
    );
    const [alert] = (await planted).alerts as Alert[];
    expect(alert?.utility.name).toBe("nc");
    expect(alert?.location.path).toBe("/tmp/lifecycle.sh");
    expect(alert?.ancestors[0]).toMatchObject({
      executable: "/usr/bin/sh",
      args: ["sh", "/tmp/lifecycle.sh"],
    });
  });
});
