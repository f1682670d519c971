import { readFileSync, writeFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Alert, AlertImage } from "../../lib/alerts/alert.js";
import { buildSlackMessage, type SlackMessage } from "../../lib/alerts/format-slack.js";
import { processTree } from "../../lib/alerts/format-text.js";
import { SLACK_LIMITS, slackCode } from "../../lib/alerts/slack-escape.js";
import { detect, exec, shell } from "../helpers/exec-events.js";
import { replayText } from "../helpers/replay-text.js";
import { CAPTURED_AUDITD, readSample } from "../helpers/samples.js";
import { activeMarkup, assertValidBlockKit, slackTexts } from "../helpers/slack.js";

const GOLDEN = new URL("../fixtures/slack/captured-nslookup.json", import.meta.url);

async function capturedNslookup(): Promise<Alert> {
  const { alerts } = await replayText(readSample(CAPTURED_AUDITD));
  const alert = alerts.find((a) => a.utility.name === "nslookup");
  if (alert === undefined) throw new Error("the captured sample no longer yields the nslookup alert");
  return alert;
}

/** The code block's lines, between the fences; the test fails if there are not exactly two fences. */
function treeLines(message: SlackMessage): string[] {
  const block = message.blocks[3];
  if (block?.type !== "section" || !("text" in block)) throw new Error("block 3 is not the tree section");
  const parts = block.text.text.split("```");
  expect(parts).toHaveLength(3);
  return parts[1]!.replace(/^\n/, "").replace(/\n$/, "").split("\n");
}

/** Nothing any text holds can act on Slack: the same check for every generated or hostile alert. */
function expectInert(message: SlackMessage): void {
  assertValidBlockKit(message);
  for (const { type, text } of slackTexts(message)) {
    expect(activeMarkup(text, type), text).toEqual([]);
    if (type === "mrkdwn") {
      // Outside code, the only emphasis is the template's own bold labels.
      const outside = text
        .replace(/```[\s\S]*?```/g, "")
        .replace(/`[^`]*`/g, "")
        .replace(/^\*[A-Za-z][A-Za-z &;/]*\*(?= |$)/gm, "");
      expect(outside, text).not.toMatch(/[*_~]/);
    }
  }
  // JSON.stringify escapes C0 itself; C1, bidi and separators would travel raw to Slack.
  expect(JSON.stringify(message)).not.toMatch(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
}

describe("buildSlackMessage", () => {
  it("matches the golden payload for the captured nslookup alert", async () => {
    const json = `${JSON.stringify(buildSlackMessage(await capturedNslookup()), null, 2)}\n`;
    if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(GOLDEN, json);
    expect(json).toBe(readFileSync(GOLDEN, "utf8"));
  });

  it("lays out header, facts, why, tree, triage and ids within Slack's limits", async () => {
    const alert = await capturedNslookup();
    const message = buildSlackMessage(alert);
    assertValidBlockKit(message);
    expect(message.blocks.map((b) => b.type)).toEqual([
      "header",
      "section",
      "section",
      "section",
      "section",
      "context",
    ]);
    expect(message.text).toBe("[HIGH] nslookup run from /tmp/dropper.sh on vm");
    expect(message.blocks[0]).toEqual({
      type: "header",
      text: { type: "plain_text", text: "[HIGH] nslookup run from /tmp/dropper.sh on vm" },
    });
    const lines = treeLines(message);
    expect(lines).toEqual(processTree(alert).map((l) => slackCode(l, 1000)));
    expect(lines.at(-1)).toContain("◀ utility");
    // The `&&` of the captured wrapper's command line is escaped, and shows as `&&` in Slack.
    expect(lines.join("\n")).toContain("&amp;&amp;");
    const context = message.blocks[5];
    expect(context?.type === "context" && context.elements[0]?.text).toBe(
      `rule \`netutil-writable-exec\` v1.0.0 · alert \`${alert.id}\``,
    );
  });

  it("an exec whose command line, script, host and user are hostile posts nothing active", async () => {
    const host = "web-01 @channel <!here>\u202e";
    const hostile =
      "<!channel> <https://evil.example|click> `id` ```\n*fake* @here \u202eexe.sh\u2066\n[CRITICAL] fake alert\u0000\u009b";
    const { alerts } = await detect([
      shell({ host }),
      exec({
        pid: 200,
        ppid: 100,
        host,
        user: "@here`x`",
        exe: "/usr/bin/dash",
        args: ["/bin/sh", "/tmp/```<@U123>\u202e.sh"],
      }),
      exec({ pid: 300, ppid: 200, host, exe: "/usr/bin/curl", args: ["curl", hostile, "http://192.0.2.1/"] }),
    ]);
    expect(alerts).toHaveLength(1);
    const alert = alerts[0]!;
    const message = buildSlackMessage(alert);
    expectInert(message);
    const json = JSON.stringify(message);
    for (const active of ["<!", "<http", "<@", "@channel", "@here", "\u202e", "\u2066"]) {
      expect(json).not.toContain(active);
    }
    // Every line of the code block is one node of the tree: the new lines in the command line did not add any.
    const lines = treeLines(message);
    expect(lines).toHaveLength(processTree(alert).length);
    const utilityLine = lines.at(-1)!;
    expect(utilityLine).toContain("&lt;!channel&gt; &lt;https://evil.example|click&gt;");
    expect(utilityLine).toContain(
      "\u02cbid\u02cb \u02cb\u02cb\u02cb\\n*fake* \uff20here \\u202eexe.sh\\u2066\\n[CRITICAL] fake alert",
    );
    expect(message.text).toContain("on web-01 \uff20channel &lt;!here&gt;\\u202e");
  });

  it("keeps the utility's line and the nearest ancestors when the tree is over 3000 characters", async () => {
    const base = await capturedNslookup();
    const ancestor = (pid: number) => ({
      pid,
      executable: `/usr/bin/${"a".repeat(100)}`,
      args: [`/tmp/${"&".repeat(200)}`],
      script: null,
      user: { id: "0", name: "root" },
      execChain: [],
    });
    const alert: Alert = {
      ...base,
      ancestors: Array.from({ length: 40 }, (_, i) => ancestor(1000 + i)),
      process: { ...base.process, execChain: [{ executable: "/tmp/.x", args: ["x"], script: null }] },
    };
    const message = buildSlackMessage(alert);
    expectInert(message);
    const lines = treeLines(message);
    expect(lines[0]).toMatch(/^… \d+ line\(s\) toward the root not shown/);
    expect(lines.at(-2)).toContain("◀ utility");
    expect(lines.at(-1)).toContain("(earlier image) /tmp/.x");
    // The nearest ancestor (pid 1000) is kept, the farthest (1039) is not.
    expect(lines.some((l) => l.includes("[1000]"))).toBe(true);
    expect(lines.some((l) => l.includes("[1039]"))).toBe(false);
  });

  it("property: command lines, paths, scripts and host names from the pipeline never make an active payload", async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileText,
        fc.array(hostileText, { maxLength: 6 }),
        fc.string({
          unit: fc.constantFrom("a", "`", "<", "!", "@here", "\u202e", "&", " ", "\n", "*"),
          maxLength: 20,
        }),
        hostileText,
        async (host, args, scriptName, user) => {
          const h = host === "" ? "h" : host;
          const { alerts } = await detect([
            shell({ host: h }),
            exec({
              pid: 200,
              ppid: 100,
              host: h,
              user,
              exe: "/usr/bin/dash",
              args: ["/bin/sh", `/tmp/${scriptName}.sh`],
            }),
            exec({ pid: 300, ppid: 200, host: h, exe: "/usr/bin/curl", args: ["curl", ...args] }),
          ]);
          expect(alerts).toHaveLength(1);
          const message = buildSlackMessage(alerts[0]!);
          expectInert(message);
          expectTemplateLines(message, alerts[0]!);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("property: any alert document (as SNS could deliver it) yields a valid, inert payload", async () => {
    const base = await capturedNslookup();
    const baseline = buildSlackMessage(base);
    const image = fc.record({
      executable: anyText,
      args: fc.array(anyText, { maxLength: 5 }),
      script: fc.option(anyText, { nil: null }),
    });
    const user = fc.option(
      fc.record({ id: fc.option(anyText, { nil: null }), name: fc.option(anyText, { nil: null }) }),
      { nil: null },
    );
    const alertArb = fc.record({
      id: anyText,
      ruleId: anyText,
      version: anyText,
      severity: anyText,
      host: anyText,
      container: fc.option(fc.record({ id: anyText, image: fc.option(anyText, { nil: null }) }), {
        nil: null,
      }),
      user: fc.record({ id: fc.option(anyText, { nil: null }), name: fc.option(anyText, { nil: null }) }),
      exe: anyText,
      args: fc.array(anyText, { maxLength: 6 }),
      chain: fc.array(image, { maxLength: 4 }),
      utility: anyText,
      category: anyText,
      path: anyText,
      kind: anyText,
      tier: anyText,
      reason: anyText,
      matches: fc.array(fc.record({ path: anyText, depth: fc.nat(12) }), { maxLength: 4 }),
      ancestors: fc.array(
        fc.record({
          pid: fc.integer(),
          executable: anyText,
          args: fc.array(anyText, { maxLength: 4 }),
          script: fc.option(anyText, { nil: null }),
          user,
          execChain: fc.array(image, { maxLength: 3 }),
        }),
        { maxLength: 14 },
      ),
      attack: fc.array(fc.record({ id: anyText, name: anyText, tactic: anyText }), { maxLength: 20 }),
      firstSeen: anyText,
      count: fc.nat(),
      time: anyText,
      triage: fc.array(anyText, { maxLength: 20 }),
      trimmed: fc.boolean(),
    });
    fc.assert(
      fc.property(alertArb, (g) => {
        const alert = {
          ...base,
          id: g.id,
          rule: { ...base.rule, id: g.ruleId, version: g.version },
          severity: g.severity,
          time: g.time,
          host: { name: g.host, id: null },
          container: g.container,
          user: g.user,
          process: { ...base.process, executable: g.exe, args: g.args, execChain: g.chain as AlertImage[] },
          utility: { ...base.utility, name: g.utility, category: g.category },
          location: { ...base.location, path: g.path, kind: g.kind, tier: g.tier, reason: g.reason },
          matches: g.matches.map((m) => ({ ...base.matches[0]!, path: m.path, depth: m.depth })),
          ancestors: g.ancestors,
          attack: g.attack,
          dedup: { ...base.dedup, firstSeen: g.firstSeen, count: g.count },
          triage: g.triage,
          ...(g.trimmed && { trimmed: true as const }),
        } as unknown as Alert;
        const message = buildSlackMessage(alert);
        expectInert(message);
        expectTemplateLines(message, alert);
        // The fields' line structure is the template's alone.
        const fieldLines = (m: SlackMessage) =>
          m.blocks[1]?.type === "section" && "fields" in m.blocks[1]
            ? m.blocks[1].fields.map((f) => f.text.split("\n").length)
            : [];
        expect(fieldLines(message)).toEqual(fieldLines(baseline));
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * No text gains a line the template did not write: header, fallback and context are one line, every code
 * block line is a tree line or a trim marker, every triage line is a numbered step or the overflow count.
 */
function expectTemplateLines(message: SlackMessage, alert: Alert): void {
  expect(message.text).not.toContain("\n");
  const [header, , why, , triage, context] = message.blocks;
  expect(header?.type === "header" && header.text.text.includes("\n")).toBe(false);
  expect(context?.type === "context" && context.elements.some((e) => e.text.includes("\n"))).toBe(false);
  expect(why?.type === "section" && "text" in why && why.text.text.split("\n").length).toBe(2);
  const allowed = new Set(processTree(alert).map((l) => slackCode(l, 1000)));
  for (const line of treeLines(message)) {
    if (!allowed.has(line))
      expect(line).toMatch(/^(?:… \d+ line\(s\) toward the root| {3}… \d+ earlier image)/);
  }
  const steps = triage?.type === "section" && "text" in triage ? triage.text.text.split("\n") : [];
  expect(steps[0]).toBe("*Triage*");
  for (const line of steps.slice(1)) expect(line).toMatch(/^(?:\d+\. |… \d+ more$|none$)/);
  expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
}

/** Fragments that a command line would use to act on Slack or on its reader. */
const fragment = fc.constantFrom(
  "<",
  ">",
  "&",
  "|",
  "!",
  "@channel",
  "@here",
  "@everyone",
  "<!channel>",
  "<!here>",
  "<@U123>",
  "<https://evil.example|click>",
  "&lt;",
  "`",
  "```",
  "*",
  "_",
  "~",
  "\n",
  "\r",
  "\t",
  "\u0000",
  "\u001b[2J",
  "\u007f",
  "\u0085",
  "\u009b",
  "\u202e",
  "\u2066",
  "\u2069",
  "\u200b",
  "\u2028",
  "\ufeff",
  "\u{e0041}",
  "\ud800",
  "😀",
);

const hostileText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.array(fc.oneof(fragment, fc.string({ maxLength: 5 })), { maxLength: 40 }).map((a) => a.join("")),
);

/** As hostileText, plus texts far over any Slack limit. */
const anyText = fc.oneof(
  { weight: 4, arbitrary: hostileText },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.oneof(fragment, fc.string({ minLength: 1, maxLength: 3 })),
        fc.integer({ min: 100, max: 2000 }),
      )
      .map(([f, n]) => f.repeat(n)),
  },
);
