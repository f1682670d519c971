import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Alert } from "../../lib/alerts/alert.js";
import { cli } from "../helpers/cli.js";

/**
 * A replay whose telemetry is written against the tuning file's patterns: a 2 KB path of one-letter
 * directories under globs with several `**` and `*`, and a 40-character argument under an argument pattern
 * with a nested quantifier. On a backtracking engine each takes minutes to hours (DESIGN §7); timings are
 * not asserted: vitest fails a test that overran its timeout (test/vitest.config.ts) once it returns, and one
 * that never returns hangs the suite.
 */
const T0 = Date.parse("2026-11-27T08:00:00Z");
const deep = `/tmp${"/a".repeat(1020)}`; // 2044 characters, 1021 directories deep

const line = (host: string, parent: string, args: string[], i: number) =>
  JSON.stringify({
    schema: "netutil-detector/exec@1",
    time: T0 + i,
    source: { eventId: `${host}:${i}` },
    host: { name: host },
    process: { pid: 100 + i, ppid: 50, executable: "/usr/bin/curl", args },
    parent: { pid: 50, executable: parent },
  });

describe("replay with hostile paths and arguments against the tuning file's patterns", () => {
  it("gives each verdict (the matching is linear, so it returns at all)", async () => {
    const config = join(mkdtempSync(join(tmpdir(), "netutil-")), "tuning.json");
    writeFileSync(
      config,
      JSON.stringify({
        benignLocations: { add: [{ glob: "/tmp/**/**/**/**/**/y", reason: "never matches" }] },
        allowlist: [
          { reason: "deep build tree", location: "/tmp/**/**/**/**/*a*/**/x" },
          { reason: "status probe", args: "^curl (\\S+\\s*)+https://status\\.example/$" },
        ],
      }),
    );
    const hostile = "a".repeat(40);
    const input = [
      line("alerts", deep, ["curl", hostile], 1),
      line("by-location", `${deep}/x`, ["curl", hostile], 2),
      line("by-args", deep, ["curl", "-fsS", "https://status.example/"], 3),
    ].join("\n");
    const { code, stdout, stderr } = await cli(
      ["replay", "--config", config, "--output", "json", "-"],
      input,
    );
    expect(code).toBe(0);
    const alerts = stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Alert);
    expect(alerts.map((a) => [a.host.name, a.location.path, a.process.args])).toEqual([
      ["alerts", deep, ["curl", hostile]],
    ]);
    expect(stderr).toContain(
      "3 exec events, 1 alerts, 2 suppressed (loopback 0, allowlist 2, benign location 0, dedup 0)",
    );
  });
});
