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

  /**
   * Exec events per file, counted from the files themselves: successful execve/execveat SYSCALL records
   * (`grep -E 'type=SYSCALL.*syscall=(59|322).*success=yes'`), laurel lines with `"syscall":59,"success":"yes"`,
   * and the exec documents of the upstream JSON samples (Falco's lack process fields or are not spawns,
   * osquery socket_events and Tetragon process_exit are not execs). A file missing here fails the test.
   */
  const EXEC_EVENTS: Readonly<Record<string, number>> = {
    "captured/exec-cases.auditd.log": 27,
    "captured/exec-cases.laurel.jsonl": 27,
    "recorded/attack-cases.auditd.log": 117,
    "recorded/attack-cases.laurel.jsonl": 117,
    "recorded/evasion-cases.auditd.log": 80,
    "recorded/evasion-cases.laurel.jsonl": 80,
    // Two lone records (a CWD and an EXECVE) of two events whose SYSCALL the excerpt does not hold.
    "upstream/auditd/go-libaudit_auparse_rhel7_hex-encoded.log-excerpt": 0,
    "upstream/auditd/go-libaudit_testdata_normal.log": 2,
    "upstream/ecs/beats_auditbeat_auditd_meta_execve.json": 1,
    "upstream/falco/website_blog_k8smeta_text-output.txt": 0,
    "upstream/falco/website_blog_openfaas_alerts.jsonl": 0,
    "upstream/falco/website_docs_outputs_channels_terminal-shell.json": 0,
    "upstream/ocsf/ocsf-docs_process_activity_launch_1007.json": 1,
    "upstream/osquery/docs_process-auditing_process_events_curl.json": 1,
    "upstream/osquery/docs_process-auditing_socket_events_curl.json": 0,
    "upstream/tetragon/docs_concepts_events_curl_exec.json": 1,
    "upstream/tetragon/isovalent-book_lifecycle_sh_process_exec.json": 1,
    "upstream/tetragon/isovalent-book_nc_process_exec.json": 1,
    "upstream/tetragon/isovalent-book_nc_process_exit.json": 0,
    "upstream/tetragon/testdata_events.json": 3,
  };

  it.each(telemetry)("%s: zero malformed records, every exec event decoded", async (file) => {
    const { code, stderr } = await cli(["replay", "--format", "auto", "--output", "json", samplePath(file)]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/ records read, /);
    expect(stderr).toMatch(/, 0 malformed\n/);
    expect(EXEC_EVENTS[file], `exec events of ${file} (add the file to EXEC_EVENTS)`).toBeDefined();
    expect(stderr).toContain(`, ${EXEC_EVENTS[file]} exec events, `);
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
