import { describe, expect, it } from "vitest";
import type { SlackMessage } from "../../lib/alerts/format-slack.js";
import { cli } from "../helpers/cli.js";
import { validateDetectionFinding } from "../helpers/ocsf.js";
import { CAPTURED_AUDITD, samplePath } from "../helpers/samples.js";
import { activeMarkup, assertValidBlockKit, slackTexts } from "../helpers/slack.js";

/** `--output email|slack|ocsf` on the captured telemetry: what recipients and the data lake get (issue 4). */
const replay = (output: string) =>
  cli(["replay", "--host", "vm", "--output", output, samplePath(CAPTURED_AUDITD)]);
const jsonLines = (stdout: string) =>
  stdout
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as unknown);

describe("replay --output", () => {
  it("email: two readable e-mails, each with its subject and the full process tree", async () => {
    const { code, stdout } = await replay("email");
    expect(code).toBe(0);
    const emails = stdout.split(/\n(?=Subject: )/);
    expect(emails.map((e) => e.split("\n")[0])).toEqual([
      "Subject: [HIGH] nslookup run from /tmp/dropper.sh on vm",
      "Subject: [HIGH] curl run from /dev/shm/.x on vm",
    ]);
    for (const email of emails) {
      expect(email).toContain("  process tree\n    [14823] user=root /usr/bin/bash");
      expect(email).toContain("  triage\n    1. ");
    }
    expect(emails[0]).toContain(
      "└─ [14826] user=root /usr/bin/dash  $ /bin/sh /tmp/dropper[.]sh  script=/tmp/dropper[.]sh",
    );
    expect(emails[1]).toContain(
      "└─ [14833] user=root /dev/shm/.x  $ /dev/shm/.x -c 'curl -s -m 1 hxxp[://]192[.]0[.]2[.]10/p -o /dev/null; true'",
    );
  });

  it("slack: two valid Block Kit payloads, one per line, nothing active in them", async () => {
    const { stdout } = await replay("slack");
    const messages = jsonLines(stdout) as SlackMessage[];
    expect(messages).toHaveLength(2);
    for (const message of messages) {
      assertValidBlockKit(message);
      for (const { text, type } of slackTexts(message)) expect(activeMarkup(text, type)).toEqual([]);
    }
    expect(messages.map((m) => m.text)).toEqual([
      "[HIGH] nslookup run from /tmp/dropper.sh on vm",
      "[HIGH] curl run from /dev/shm/.x on vm",
    ]);
  });

  it("ocsf: two Detection Findings that pass the OCSF 2004 required-field test", async () => {
    const { stdout } = await replay("ocsf");
    const findings = jsonLines(stdout);
    expect(findings).toHaveLength(2);
    for (const finding of findings) expect(validateDetectionFinding(finding)).toEqual([]);
    expect(findings.map((f) => (f as { finding_info: { title: string } }).finding_info.title)).toEqual([
      "[HIGH] nslookup run from /tmp/dropper.sh on vm",
      "[HIGH] curl run from /dev/shm/.x on vm",
    ]);
  });
});
