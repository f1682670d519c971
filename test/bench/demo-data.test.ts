import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Alert } from "../../lib/alerts/alert.js";
import { DEMO_FILES, runCli } from "../../lib/cli/run-cli.js";
import { demoTelemetry } from "./generate-telemetry.js";

/**
 * The demo behind `npm start` is generated, not hand-edited: lib/demo must be exactly the generator's output
 * for the fixed demo seeds. `UPDATE_DEMO=1 npx vitest run test/bench/demo-data.test.ts` rewrites it.
 */
const DEMO_DIR = fileURLToPath(new URL("../../lib/demo/", import.meta.url));
const [AUDITD_FILE, ECS_FILE] = DEMO_FILES;

/** What a first-time user must see: one alert per attack chain, each naming the file that gave it away. */
const EXPECTED_ALERTS = [
  { utility: "curl", path: "/dev/shm/.kworker", kind: "ancestor", container: false },
  { utility: "curl", path: "/tmp/s", kind: "script", container: true },
  { utility: "nc", path: "/var/tmp/run", kind: "ancestor", container: false },
  { utility: "nslookup", path: "/tmp/.x.sh", kind: "script", container: false },
  { utility: "socat", path: "/tmp/.s", kind: "exec-chain", container: false },
  { utility: "wget", path: "/tmp/p.py", kind: "script", container: false },
];

describe("demo data (npm start)", () => {
  const demo = demoTelemetry();
  const files = [
    [AUDITD_FILE, demo.auditd],
    [ECS_FILE, demo.ecs],
  ] as const;

  it.each(files)("lib/demo/%s is the generator's output, byte for byte", (file, content) => {
    const path = `${DEMO_DIR}${file}`;
    if (process.env["UPDATE_DEMO"] === "1") {
      mkdirSync(DEMO_DIR, { recursive: true });
      writeFileSync(path, content);
    }
    const committed = readFileSync(path);
    expect(committed.toString("utf8")).toBe(content);
    expect(committed.equals(Buffer.from(content, "utf8"))).toBe(true);
  });

  it("shows every attack chain once, the loopback healthchecks suppressed, nothing malformed", async () => {
    let stdout = "";
    let stderr = "";
    const code = await runCli(["demo", "--output", "json"], {
      stdin: (async function* () {})(),
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    });
    expect(code).toBe(0);

    const alerts = stdout
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Alert);
    const seen = alerts
      .map((a) => ({
        utility: a.utility.name,
        path: a.location.path,
        kind: a.location.kind,
        container: a.container !== null,
      }))
      .sort((a, b) => `${a.utility} ${a.path}`.localeCompare(`${b.utility} ${b.path}`));
    expect(seen).toEqual(EXPECTED_ALERTS);

    // The generator knows where each attack's utility ran: the alerts must point at exactly those processes.
    const attacks = [...demo.scenarios.auditd.attacks, ...demo.scenarios.ecs.attacks];
    expect(alerts.map((a) => `${a.host.name}:${a.process.pid}`).sort()).toEqual(
      attacks.map((a) => `${a.host}:${a.pid}`).sort(),
    );

    // One summary: the demo ran through the Kinesis handler with lineage in an embedded dynalite.
    const summary = stderr.split("\n").find((line) => line.startsWith("netutil-detector demo: "));
    expect(summary).toBeDefined();
    const events = demo.scenarios.auditd.events + demo.scenarios.ecs.events;
    expect(summary).toContain(`${events} exec events, ${EXPECTED_ALERTS.length} alerts`);
    expect(Number(/suppressed loopback (\d+)/.exec(summary!)?.[1])).toBeGreaterThan(0);
    expect(summary).toMatch(/, 0 malformed \(0 quarantined\), 0 failed batches$/);
    expect(Number(/(\d+) DynamoDB calls/.exec(summary!)?.[1])).toBeGreaterThan(0);
  });
});
