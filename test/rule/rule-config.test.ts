import { describe, expect, it } from "vitest";
import { ConfigError } from "../../lib/errors.js";
import { parseRuleConfig, type RuleConfig } from "../../lib/rule/rule-config.js";
import { detect, exec, shell } from "../helpers/exec-events.js";

const fromTmp = (exe: string, args: string[], extra: { user?: string; host?: string } = {}) => [
  shell(extra),
  exec({ pid: 200, ppid: 100, exe: "/tmp/ci-42/run.sh", args: ["/tmp/ci-42/run.sh"], ...extra }),
  exec({ pid: 300, ppid: 200, exe, args, ...extra }),
];

describe("rule config validation", () => {
  it("accepts a full tuning file", () => {
    const config = parseRuleConfig(
      {
        utilities: { add: { transfer: ["rclone"] }, remove: ["telnet"], disableCategories: ["sniff"] },
        tiers: { home: { add: ["/root/"], severity: "medium" }, web: { enabled: false } },
        benignLocations: { defaults: false, add: [{ glob: "/tmp/build-*/**", reason: "our CI" }] },
        allowlist: [
          {
            reason: "CI fetches artifacts",
            utility: ["curl", "wget"],
            location: "/tmp/ci-*/**",
            user: "jenkins",
          },
        ],
      },
      "tuning.yaml",
    );
    expect(config.allowlist?.[0]?.reason).toBe("CI fetches artifacts");
  });

  it("names every bad key in one error", () => {
    let error: unknown;
    try {
      parseRuleConfig(
        {
          utilities: { add: { dnss: ["x"] }, remove: ["a/b"] },
          tiers: { temp: { severity: "urgent" } },
          allowlist: [{ utility: "curl" }, { reason: "r" }, { reason: "r", args: "(" }],
          surprise: true,
        },
        "tuning.yaml",
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues.join("\n");
    for (const key of [
      "surprise",
      "utilities.add",
      "utilities.remove.0",
      "tiers.temp.severity",
      "allowlist.0.reason",
      "allowlist.1",
      "allowlist.2.args",
    ]) {
      expect(issues).toContain(key);
    }
    expect((error as ConfigError).message.startsWith("tuning.yaml: invalid config")).toBe(true);
  });
});

describe("rule config validation: patterns", () => {
  const issuesOf = (data: unknown): string => {
    try {
      parseRuleConfig(data, "tuning.yaml");
    } catch (e) {
      return (e as ConfigError).issues.join("\n");
    }
    return "";
  };

  // Valid JavaScript, not RE2: the pattern runs on RE2, so it is refused where it is written.
  it.each([
    ["a backreference", "^curl (a)\\1"],
    ["a lookahead", "^curl (?!.*evil)"],
    ["a lookbehind", "(?<=curl )https"],
    ["a repeat over RE2's limit", "a{1001}"],
  ])("an args pattern with %s is an error that names RE2 syntax", (_name, args) => {
    const issues = issuesOf({ allowlist: [{ reason: "r", args }] });
    expect(issues).toContain("allowlist.0.args: not a valid RE2 regular expression");
    expect(issues).toContain("RE2 syntax");
  });

  it.each([
    "^curl (\\S+\\s*)+https://status\\.example/$",
    "(?i)^curl -fsS https://status\\.example/",
    "^curl (?P<flags>-\\w+ )*https://",
  ])("an RE2 args pattern %s is accepted", (args) => {
    expect(issuesOf({ allowlist: [{ reason: "r", args }] })).toBe("");
  });

  it.each([
    ["/root", true],
    ["/root/", true],
    ["/home/*/bin", true],
    ["memfd:", true],
    ["root/", false],
    ["*/tmp", false],
  ])("tier entry %s is accepted: %s", (entry, ok) => {
    const issues = issuesOf({ tiers: { home: { add: [entry] }, temp: { remove: [entry] } } });
    if (ok) expect(issues).toBe("");
    else {
      expect(issues).toContain("tiers.home.add.0: a directory (an absolute path such as /root)");
      expect(issues).toContain("tiers.temp.remove.0");
    }
  });
});

describe("rule config effects", () => {
  it("allowlist suppresses only when every condition holds, and counts it", async () => {
    const config = {
      allowlist: [{ reason: "CI", utility: "curl", location: "/tmp/ci-*/**", user: "jenkins" }],
    };
    const ci = await detect(
      fromTmp("/usr/bin/curl", ["curl", "http://192.0.2.1/"], { user: "jenkins" }),
      config,
    );
    expect(ci.alerts).toEqual([]);
    expect(ci.counters.suppressed.allowlist).toBe(1);
    const other = await detect(
      fromTmp("/usr/bin/curl", ["curl", "http://192.0.2.1/"], { user: "www-data" }),
      config,
    );
    expect(other.alerts).toHaveLength(1);
    const wget = await detect(
      fromTmp("/usr/bin/wget", ["wget", "http://192.0.2.1/"], { user: "jenkins" }),
      config,
    );
    expect(wget.alerts).toHaveLength(1);
  });

  it.each([
    [{ host: "build-*" }, "build-7", true],
    [{ host: "build-*" }, "web-01", false],
    [{ args: "artifacts\\.example" }, "web-01", true],
    [{ ancestor: "/tmp/ci-*/**" }, "web-01", true],
    [{ ancestor: "/opt/**" }, "web-01", false],
  ])("allowlist condition %j on host %s suppresses: %s", async (condition, host, suppressed) => {
    const { alerts } = await detect(
      fromTmp("/usr/bin/curl", ["curl", "http://artifacts.example/a"], { host }),
      {
        allowlist: [{ reason: "r", ...condition }],
      },
    );
    expect(alerts.length === 0).toBe(suppressed);
  });

  it("adds and removes utilities, disables categories", async () => {
    const config = {
      utilities: { add: { transfer: ["rclone"] }, remove: ["wget"], disableCategories: ["scan" as const] },
    };
    expect(
      (await detect(fromTmp("/usr/bin/rclone", ["rclone", "copy", "a", "r:b"]), config)).alerts,
    ).toHaveLength(1);
    expect(
      (await detect(fromTmp("/usr/bin/wget", ["wget", "http://192.0.2.1/"]), config)).alerts,
    ).toHaveLength(0);
    expect((await detect(fromTmp("/usr/bin/nmap", ["nmap", "192.0.2.0/24"]), config)).alerts).toHaveLength(0);
  });

  it("adds a directory to a tier (/root) and changes a tier's severity", async () => {
    const tree = [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/root/x", args: ["/root/x"] }),
      exec({ pid: 300, ppid: 200, exe: "/usr/bin/dig", args: ["dig", "a.example"] }),
    ];
    expect((await detect(tree)).alerts).toHaveLength(0);
    const { alerts } = await detect(tree, { tiers: { home: { add: ["/root/"], severity: "high" } } });
    expect(alerts.map((a) => [a.location.tier, a.severity])).toEqual([["home", "high"]]);
  });

  // A tier entry names a directory: the boundary is added however the entry is written.
  it.each([
    { entry: "/root", path: "/root/x", alerts: true },
    { entry: "/root", path: "/rootfs/x", alerts: false },
    { entry: "/root", path: "/root.old/x", alerts: false },
    { entry: "/root/", path: "/root/x", alerts: true },
    { entry: "/root/", path: "/rootfs/x", alerts: false },
    { entry: "/root//", path: "/root/a/b", alerts: true },
    { entry: "/opt/*/bin", path: "/opt/app/bin/x", alerts: true },
    { entry: "/opt/*/bin", path: "/opt/app/binx/x", alerts: false },
    { entry: "/opt/*/bin/", path: "/opt/app/bin/x", alerts: true },
    { entry: "/srv/up*", path: "/srv/uploads/x", alerts: true },
    { entry: "/srv/up*", path: "/srv/other/x", alerts: false },
    // Entries are canonical like the paths: the old name of a directory adds the directory.
    { entry: "/var/run/app", path: "/run/app/x", alerts: true },
    { entry: "/run/app", path: "/var/run/app/x", alerts: true },
    { entry: "/var/run/app", path: "/var/run/appx/x", alerts: false },
  ])("tier entry $entry added: $path alerts: $alerts", async ({ entry, path, alerts: want }) => {
    const tree = [
      shell(),
      exec({ pid: 200, ppid: 100, exe: path, args: [path] }),
      exec({ pid: 300, ppid: 200, exe: "/usr/bin/dig", args: ["dig", "a.example"] }),
    ];
    const { alerts } = await detect(tree, { tiers: { home: { add: [entry] } } });
    expect(alerts.map((a) => a.location.tier)).toEqual(want ? ["home"] : []);
  });

  it.each([
    { remove: "/run/lock/", path: "/run/lock/x" },
    { remove: "/run/lock", path: "/var/lock/x" },
    { remove: "/var/lock/", path: "/run/lock/x" },
    { remove: "/tmp", path: "/tmp/x" },
  ])("tier entry $remove removed: $path no longer alerts", async ({ remove, path }) => {
    const tree = [
      shell(),
      exec({ pid: 200, ppid: 100, exe: path, args: [path] }),
      exec({ pid: 300, ppid: 200, exe: "/usr/bin/dig", args: ["dig", "a.example"] }),
    ];
    expect((await detect(tree)).alerts).toHaveLength(1);
    const tier = path.includes("lock") ? "runtime" : "temp";
    expect((await detect(tree, { tiers: { [tier]: { remove: [remove] } } })).alerts).toEqual([]);
  });

  // Benign and allowlist location globs see the canonical path, so they are made canonical too.
  it.each([
    {
      config: { benignLocations: { add: [{ glob: "/var/run/user/*/ci/**", reason: "r" }] } },
      path: "/run/user/1/ci/x",
      by: "benign-location",
    },
    {
      config: { benignLocations: { add: [{ glob: "/run/user/*/ci/**", reason: "r" }] } },
      path: "/var/run/user/1/ci/x",
      by: "benign-location",
    },
    {
      config: { allowlist: [{ reason: "r", location: "/var/lock/ci-*/**" }] },
      path: "/run/lock/ci-1/x",
      by: "allowlist",
    },
    {
      config: { allowlist: [{ reason: "r", location: "/run/lock/ci-*/**" }] },
      path: "/var/lock/ci-1/x",
      by: "allowlist",
    },
    {
      config: { allowlist: [{ reason: "r", ancestor: "/usr/tmp/ci/**" }] },
      path: "/var/tmp/ci/x",
      by: "allowlist",
    },
    {
      config: { allowlist: [{ reason: "r", location: "/var/lock/ci-*/**" }] },
      path: "/var/lockx/ci-1/x",
      by: undefined,
    },
  ] as { config: RuleConfig; path: string; by?: "benign-location" | "allowlist" }[])(
    "$config on $path suppresses by $by",
    async ({ config, path, by }) => {
      const tree = [
        shell(),
        exec({ pid: 200, ppid: 100, exe: path, args: [path] }),
        exec({ pid: 300, ppid: 200, exe: "/usr/bin/dig", args: ["dig", "a.example"] }),
      ];
      const { alerts, counters } = await detect(tree, {
        ...config,
        tiers: { runtime: { add: ["/var/lockx/"] } },
      });
      if (by === undefined) expect(alerts).toHaveLength(1);
      else {
        expect(alerts).toEqual([]);
        expect(counters.suppressed[by]).toBe(1);
      }
    },
  );

  /**
   * The argument pattern runs on RE2. On a backtracking engine this pattern takes half a second on a
   * 23-character argument and four times as long per two more characters: about a day on the 40 characters
   * below. No timing is asserted: the suite's test timeout (test/vitest.config.ts) fails a synchronous overrun
   * once it returns, and an engine that backtracks does not return within the run.
   */
  const catastrophic = "^curl (\\S+\\s*)+https://status\\.example/$";
  it.each([
    ["curl", "a".repeat(40)],
    ["curl", `${"a".repeat(40)}!`],
    ["curl", "https://status.example/", "a".repeat(40)],
  ])("catastrophic args pattern on a hostile command line (%s %s …): not suppressed", async (...args) => {
    const config = parseRuleConfig({ allowlist: [{ reason: "status probe", args: catastrophic }] }, "t");
    const { alerts, counters } = await detect(fromTmp("/usr/bin/curl", args), config);
    expect(alerts).toHaveLength(1);
    expect(counters.suppressed.allowlist).toBe(0);
  });

  it.each([
    [catastrophic, ["curl", "-fsS", "https://status.example/"], true],
    [catastrophic, ["curl", "a".repeat(40), "https://status.example/"], true],
    // Search, not a whole-string match, as RegExp.test: the user anchors with ^ and $.
    ["status\\.example", ["curl", "-s", "https://status.example/x"], true],
    ["^status", ["curl", "https://status.example/"], false],
    ["example/$", ["curl", "https://status.example/"], true],
    ["example/$", ["curl", "https://status.example/", "-o", "x"], false],
  ])("args %s on %j suppresses: %s", async (args, argv, suppressed) => {
    const { alerts } = await detect(fromTmp("/usr/bin/curl", argv as string[]), {
      allowlist: [{ reason: "r", args: args as string }],
    });
    expect(alerts).toHaveLength(suppressed ? 0 : 1);
  });

  it("turning the default benign locations off makes go-build binaries alert", async () => {
    const tree = [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/tmp/go-build1/b001/x.test", args: ["x.test"] }),
      exec({ pid: 300, ppid: 200, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.1/"] }),
    ];
    expect((await detect(tree)).alerts).toHaveLength(0);
    expect((await detect(tree, { benignLocations: { defaults: false } })).alerts).toHaveLength(1);
  });
});
