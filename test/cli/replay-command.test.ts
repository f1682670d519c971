import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { Alert } from "../../lib/alerts/alert.js";
import { cli } from "../helpers/cli.js";
import {
  CAPTURED_ALERTS,
  CAPTURED_AUDITD,
  CAPTURED_LAUREL,
  readSample,
  samplePath,
} from "../helpers/samples.js";

const parseAlerts = (stdout: string): Alert[] =>
  stdout
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Alert);

const summaryOf = (alerts: Alert[]) =>
  alerts.map((a) => ({
    pid: a.process.pid,
    utility: a.utility.name,
    path: a.location.path,
    kind: a.location.kind,
  }));

describe("replay on the captured telemetry (captured/README.md)", () => {
  it.each([
    ["auditd, --format auto", CAPTURED_AUDITD, "auto"],
    ["auditd, --format auditd", CAPTURED_AUDITD, "auditd"],
    ["laurel, --format laurel", CAPTURED_LAUREL, "laurel"],
    ["laurel, --format auto", CAPTURED_LAUREL, "auto"],
  ])("%s: exactly the two described alerts, one JSON object per line", async (_name, file, format) => {
    const { code, stdout, stderr } = await cli([
      "replay",
      "--format",
      format,
      "--output",
      "json",
      samplePath(file),
    ]);
    expect(code).toBe(0);
    const alerts = parseAlerts(stdout);
    expect(summaryOf(alerts)).toEqual(CAPTURED_ALERTS);
    for (const alert of alerts) {
      expect(typeof alert.process.pid).toBe("number");
      expect(Array.isArray(alert.process.args)).toBe(true);
      expect(alert.ancestors.length).toBeGreaterThan(0);
    }
    // D4's wget to localhost is the one loopback suppression; nothing is malformed.
    expect(stderr).toMatch(/27 exec events, 2 alerts, 1 suppressed \(loopback 1,/);
    expect(stderr).toMatch(/, 0 malformed\n/);
  });

  it("the alert carries the ancestry nearest first, with command lines", async () => {
    const { stdout } = await cli(["replay", "--output", "json", samplePath(CAPTURED_AUDITD)]);
    const nslookup = parseAlerts(stdout)[0]!;
    expect(nslookup.process.args).toEqual(["nslookup", "vm.leak.example", "192.0.2.53"]);
    expect(nslookup.ancestors[0]).toMatchObject({
      pid: 14826,
      executable: "/usr/bin/dash",
      args: ["/bin/sh", "/tmp/dropper.sh"],
      script: "/tmp/dropper.sh",
    });
    expect(nslookup.ancestors[1]).toMatchObject({ pid: 14823, executable: "/usr/bin/bash" });
    expect(nslookup.attack.map((t) => t.id)).toEqual(["T1071.004"]);
    expect(nslookup.triage).toHaveLength(5);
  });

  it("reads stdin with -", async () => {
    const { code, stdout } = await cli(["replay", "--output", "json", "-"], readSample(CAPTURED_LAUREL));
    expect(code).toBe(0);
    expect(summaryOf(parseAlerts(stdout))).toEqual(CAPTURED_ALERTS);
  });

  it("text output draws the process tree, root first, indented", async () => {
    const { stdout } = await cli(["replay", samplePath(CAPTURED_AUDITD)]);
    expect(stdout).toContain("[HIGH] nslookup run from /tmp/dropper.sh on unknown");
    const tree = stdout.split("\n").filter((l) => /^\s+(└─ )?\[\d+\]/.test(l));
    expect(tree.slice(0, 3).map((l) => l.replace(/ user=.*/, ""))).toEqual([
      "    [14823]",
      "    └─ [14826]",
      "       └─ [14828]",
    ]);
  });

  it("--host names the host of lines without node=", async () => {
    const { stdout } = await cli(["replay", "--output", "json", "--host", "vm", samplePath(CAPTURED_AUDITD)]);
    expect(parseAlerts(stdout).map((a) => a.host.name)).toEqual(["vm", "vm"]);
  });
});

describe("dedup", () => {
  const twice = () => {
    const text = readSample(CAPTURED_LAUREL);
    // The same attack again on another pid an hour later would be a new window; 1 s later it is a repeat.
    const again = text
      .replace(/"ID":"1795822038\.628:1051"/, '"ID":"1795822039.999:9999"')
      .split("\n")[8]!
      .replace('"pid":14828', '"pid":14900');
    return `${text}${again}\n`;
  };

  it("repeats of the same utility and location are counted, not re-alerted", async () => {
    const { stdout, stderr } = await cli(["replay", "--output", "json", "-"], twice());
    expect(parseAlerts(stdout)).toHaveLength(2);
    expect(stderr).toContain("dedup 1)");
  });

  it("--no-dedup reports every alert", async () => {
    const { stdout, stderr } = await cli(["replay", "--no-dedup", "--output", "json", "-"], twice());
    expect(parseAlerts(stdout)).toHaveLength(3);
    expect(stderr).toContain("dedup 0)");
  });
});

describe("errors and exit codes", () => {
  it("a missing file is one clear line and exit 2", async () => {
    const { code, stdout, stderr } = await cli(["replay", "/nonexistent/x.log"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.split("\n")[0]).toBe("netutil-detector: no such file: /nonexistent/x.log");
  });

  it.each([
    [["replay"], "replay needs a FILE (or - for stdin)"],
    [["replay", "--format", "xml", "f"], "--format must be one of"],
    [["replay", "--output", "pdf", "f"], "--output must be one of"],
    [["frobnicate"], 'unknown command "frobnicate"'],
    [["replay", "--bogus", "f"], "Unknown option '--bogus'"],
    [["demo", "--host", "web-01"], "--host goes with replay, not demo"],
    [["demo", "--strict"], "--strict goes with replay, not demo"],
    [["demo", "--cache", "64"], "--cache goes with replay, not demo"],
    ...["0", "-1", "1.5", "64M", "", "99999999"].map((mib): [string[], string] => [
      ["replay", `--cache=${mib}`, "f"],
      `--cache must be a whole number of MiB from 1 to 1048576, not "${mib}"`,
    ]),
    [["frob\u001b[2Jnicate"], 'unknown command "frob\\x1b[2Jnicate"'],
  ])("usage error %j → one line that points to --help, exit 2", async (argv, message) => {
    const { code, stdout, stderr } = await cli(argv);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^netutil-detector: [^\n]+; see netutil-detector --help\n$/);
    expect(stderr).toContain(message);
  });

  it.each([
    ["a directory", () => tmpdir(), "is a directory, not a telemetry file"],
    [
      "a name with a terminal escape",
      () => "/nonexistent/\u001b[31mred",
      "no such file: /nonexistent/\\x1b[31mred",
    ],
  ])(
    "an unreadable input (%s) is one line without the help pointer, exit 2",
    async (_name, path, message) => {
      const { code, stderr } = await cli(["replay", path()]);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^netutil-detector: [^\n]+\n$/);
      expect(stderr).toContain(message);
      expect(stderr).not.toContain("--help");
    },
  );

  it.each([
    [
      "a mapping item out of line",
      "allowlist:\n  - reason: x\n  utility: [curl\n",
      ":3:1: not valid YAML or JSON: All mapping items must start at the same column",
    ],
    [
      "a duplicate key",
      "utilities: {}\nutilities: {}\n",
      ":2:1: not valid YAML or JSON: Map keys must be unique",
    ],
    ["unclosed JSON", '{"allowlist": [1,}', ":1:"],
  ])(
    "a config file that does not parse (%s): one line with file:line:column, no dangling colon",
    async (_name, text, message) => {
      const config = join(mkdtempSync(join(tmpdir(), "netutil-")), "tuning.yaml");
      writeFileSync(config, text);
      const { code, stderr } = await cli(["replay", "--config", config, "-"]);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^netutil-detector: [^\n]+[^:\n]\n$/);
      expect(stderr).toContain(`${config}${message}`);
    },
  );

  it("a bad config file gets one message naming each bad key, exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "netutil-"));
    const config = join(dir, "tuning.yaml");
    writeFileSync(
      config,
      "allowlist:\n  - utility: curl\nutilities:\n  remove: [nc]\n  ad: {}\ntiers:\n  temp:\n    severity: urgent\n",
    );
    const { code, stdout, stderr } = await cli(["replay", "--config", config, samplePath(CAPTURED_AUDITD)]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain(`${config}: invalid config`);
    for (const key of ["allowlist.0.reason", "utilities.ad: unknown key", "tiers.temp.severity"])
      expect(stderr).toContain(key);
  });

  it("a valid config file is applied (allowlist the dropper)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "netutil-"));
    const config = join(dir, "tuning.json");
    writeFileSync(
      config,
      JSON.stringify({ allowlist: [{ reason: "lab capture", location: "/tmp/dropper.sh" }] }),
    );
    const { code, stdout, stderr } = await cli([
      "replay",
      "--config",
      config,
      "--output",
      "json",
      samplePath(CAPTURED_AUDITD),
    ]);
    expect(code).toBe(0);
    expect(parseAlerts(stdout).map((a) => a.utility.name)).toEqual(["curl"]);
    expect(stderr).toContain("allowlist 1");
  });
});

describe("--strict, for scripts", () => {
  const captured = () => readSample(CAPTURED_AUDITD);
  const interpreted = () =>
    readFileSync(new URL("../fixtures/ausearch/exec-cases.interpreted.log", import.meta.url), "utf8");
  const socketEvents = () => readSample("upstream/osquery/docs_process-auditing_socket_events_curl.json");

  it.each([
    ["a clean input", [], captured, 0, undefined],
    ["a clean input", ["--strict"], captured, 0, undefined],
    ["one malformed record", [], () => `${captured()}type=SYSCALL msg=audit(x):\n`, 0, undefined],
    [
      "one malformed record",
      ["--strict"],
      () => `${captured()}type=SYSCALL msg=audit(x):\n`,
      3,
      "1 malformed record",
    ],
    ["no exec event (osquery socket_events)", ["--strict"], socketEvents, 3, "no exec event in the input"],
    ["an empty input", ["--strict"], () => "", 3, "no exec event in the input"],
    ["ausearch -i output", ["--strict"], interpreted, 3, "224 malformed records, no exec event in the input"],
  ])("%s, %j → exit %i", async (_name, flags, input, code, problem) => {
    const result = await cli(["replay", ...flags, "--output", "json", "-"], input());
    expect(result.code).toBe(code);
    const last = result.stderr.trimEnd().split("\n").at(-1);
    if (problem === undefined) expect(last).not.toMatch(/--strict/);
    else expect(last).toBe(`netutil-detector: --strict: ${problem}`);
    // The alerts and the summary are printed all the same.
    expect(result.stderr).toMatch(/^netutil-detector: stdin: \d+ records read/);
  });
});

describe("the built bin (dist/cli.js, as npx runs it)", () => {
  const bin = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
  const run = promisify(execFile);

  it("prints exactly the alerts on stdout and exits 0", async () => {
    const { stdout, stderr } = await run(process.execPath, [
      bin,
      "replay",
      "--output",
      "json",
      samplePath(CAPTURED_AUDITD),
    ]);
    expect(summaryOf(parseAlerts(stdout))).toEqual(CAPTURED_ALERTS);
    expect(stderr).toContain("2 alerts");
  });

  it("exits 2 on a missing file", async () => {
    await expect(run(process.execPath, [bin, "replay", "/nonexistent"])).rejects.toMatchObject({ code: 2 });
  });
});

describe("--version", () => {
  it("names the package version and the rule with its version", async () => {
    const { code, stdout } = await cli(["--version"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^netutil-detector \d+\.\d+\.\d+ \(rule netutil-writable-exec \d+\.\d+\.\d+\)\n$/);
  });
});
