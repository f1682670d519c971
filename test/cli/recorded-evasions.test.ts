/**
 * The recorded evasions (test/fixtures/samples/recorded/evasion-cases.*, their README has the cases): real
 * auditd and laurel telemetry of an attacker who read our source. Each E case must alert naming the file it
 * came from; N1 (inline code run from /tmp) must not; N2 (loopback only) is suppressed. At 694eecb the replay
 * raised 3 alerts here, 2 of them false, and missed E1–E4.
 */
import { describe, expect, it } from "vitest";
import type { Alert } from "../../lib/alerts/alert.js";
import { cli } from "../helpers/cli.js";
import { samplePath } from "../helpers/samples.js";

/** [case, pid, utility, location, kind] — pids and paths as recorded. */
const EXPECTED: readonly (readonly [string, number, string, string, string])[] = [
  ["E1 re-parented to init before `exec nc`", 32636, "nc.traditional", "/tmp/daemon.sh", "exec-chain"],
  ["E2 real nc with argv[0] busybox", 32643, "nc.traditional", "/tmp/spoof.sh", "script"],
  ["E2 real curl with argv[0] toybox", 32645, "curl", "/tmp/spoof.sh", "script"],
  ["E3 interpreter with argv[0] busybox", 32649, "dig", "/tmp/inner.sh", "script"],
  ["E4 curl -sx<proxy> (cluster)", 32755, "curl", "/tmp/lo-cluster.sh", "script"],
  ["E4 curl --connect-to", 499, "curl", "/tmp/lo-connect-to.sh", "script"],
  ["E4 curl --resolve", 719, "curl", "/tmp/lo-resolve.sh", "script"],
  ["E4 wget --exec= (abbreviated --execute)", 724, "wget", "/tmp/lo-wget-exec.sh", "script"],
  ["E4 socat dual address", 731, "socat", "/tmp/lo-socat-dual.sh", "script"],
  ["E4 openssl s_client -proxy", 737, "openssl", "/tmp/lo-openssl-proxy.sh", "script"],
  ["E4 nc.traditional -o <file>", 744, "nc.traditional", "/tmp/lo-nc-output.sh", "script"],
  ["E5 sh ./rel.sh in /tmp", 749, "dig", "/tmp/rel.sh", "script"],
];

describe.each(["recorded/evasion-cases.auditd.log", "recorded/evasion-cases.laurel.jsonl"])(
  "replay %s",
  (file) => {
    const run = cli(["replay", "--output", "json", samplePath(file)]);
    const alerts = run.then(({ stdout }) =>
      stdout
        .trim()
        .split("\n")
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Alert),
    );

    it.each(EXPECTED)("%s: alerts (pid %i, %s, %s, %s)", async (_name, pid, utility, path, kind) => {
      const alert = (await alerts).find((a) => a.process.pid === pid);
      expect(alert && [alert.utility.name, alert.location.path, alert.location.kind]).toEqual([
        utility,
        path,
        kind,
      ]);
    });

    it("nothing else: no alert for inline code run from /tmp (N1), loopback-only suppressed (N2)", async () => {
      expect((await alerts).map((a) => a.process.pid).sort((a, b) => a - b)).toEqual(
        EXPECTED.map((e) => e[1]).sort((a, b) => a - b),
      );
      expect((await run).stderr).toContain(
        `80 exec events, ${EXPECTED.length} alerts, 3 suppressed (loopback 3, allowlist 0, benign location 0, dedup 0)`,
      );
    });
  },
);
