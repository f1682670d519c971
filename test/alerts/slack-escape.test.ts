import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { slackCode, slackLiteral, slackPlain, slackText } from "../../lib/alerts/slack-escape.js";
import { hostileText, rawUnsafe } from "../helpers/hostile-text.js";
import { activeMarkup } from "../helpers/slack.js";

const AT = "\uff20";
const GRAVE = "\u02cb";

describe("Slack escaping", () => {
  it.each([
    ["<!channel>", "&lt;!channel&gt;"],
    ["<!here>", "&lt;!here&gt;"],
    ["<!everyone|x>", "&lt;!everyone|x&gt;"],
    ["<@U123>", "&lt;@U123&gt;"],
    ["<#C123>", "&lt;#C123&gt;"],
    ["<https://evil.example|click>", "&lt;https://evil.example|click&gt;"],
    ["@channel", `${AT}channel`],
    ["@here now", `${AT}here now`],
    ["@Everyone", `${AT}Everyone`],
    ["@group", `${AT}group`],
    ["ping @channel, then <!here>", `ping ${AT}channel, then &lt;!here&gt;`],
    ["user@host.example stays", "user@host.example stays"],
    ["&lt; written by the attacker", "&amp;lt; written by the attacker"],
    ["a && b > c", "a &amp;&amp; b &gt; c"],
    ["newline\ninjected", "newline\\ninjected"],
    ["NUL\u0000", "NUL\\x00"],
    ["ESC\u001b[2J", "ESC\\x1b[2J"],
    ["C1 \u009b31m", "C1 \\x9b31m"],
    ["DEL\u007f", "DEL\\x7f"],
    ["rtl \u202eexe.sh", "rtl \\u202eexe.sh"],
    ["isolate \u2066x\u2069", "isolate \\u2066x\\u2069"],
    ["zero\u200bwidth", "zero\\u200bwidth"],
    ["line\u2028sep", "line\\u2028sep"],
    ["tag \u{e0041}", "tag \\u{e0041}"],
    // One visible form for a code point in every output (text, e-mail, Slack): `\uHHHH` in the BMP.
    ["lone \ud800 surrogate", "lone \\ud800 surrogate"],
    ["filler \u3164 and separator \u180e", "filler \\u3164 and separator \\u180e"],
    // The classes, not a list: variation selectors, private use and unassigned code points passed before.
    ["selector \ufe0f\u{e0100}", "selector \\ufe0f\\u{e0100}"],
    ["private \ue000\u{f0000}", "private \\ue000\\u{f0000}"],
    ["unassigned \u0378\uffff", "unassigned \\u0378\\uffff"],
    ["emoji 😀 stays", "emoji 😀 stays"],
  ])("plain_text: %j", (input, output) => {
    expect(slackPlain(input, 3000)).toBe(output);
  });

  it.each([
    ["*bold* _italic_ ~strike~", "\u2217bold\u2217 \u02cditalic\u02cd \u223cstrike\u223c"],
    ["`code` and ```block```", `${GRAVE}code${GRAVE} and ${GRAVE.repeat(3)}block${GRAVE.repeat(3)}`],
    ["> quoted", "&gt; quoted"],
    ["<!channel> @here", `&lt;!channel&gt; ${AT}here`],
  ])("mrkdwn prose renders literally: %j", (input, output) => {
    expect(slackText(input, 3000)).toBe(output);
  });

  it.each([
    ["sh -c 'echo `id`'", `sh -c 'echo ${GRAVE}id${GRAVE}'`],
    ["x ``` y", `x ${GRAVE.repeat(3)} y`],
    ["/tmp/my_tool *", "/tmp/my_tool *"],
    ["a\nb", "a\\nb"],
    ["@here", `${AT}here`],
  ])("inside a code block: %j", (input, output) => {
    expect(slackCode(input, 3000)).toBe(output);
  });

  it("an identifier is a code span; an empty one is not a pair of stray backticks", () => {
    expect(slackLiteral("/tmp/my_tool", 100)).toBe("`/tmp/my_tool`");
    expect(slackLiteral("a`b", 100)).toBe(`\`a${GRAVE}b\``);
    expect(slackLiteral("", 100)).toBe("(empty)");
  });

  it("caps the escaped text with a visible marker counting the original characters", () => {
    const long = "A".repeat(5000);
    const out = slackPlain(long, 150);
    expect(out).toHaveLength(150);
    expect(out).toMatch(/…\[\+\d+ chars\]$/);
    const kept = out.indexOf("…");
    expect(out.endsWith(`…[+${5000 - kept} chars]`)).toBe(true);
    expect(slackLiteral(long, 100)).toHaveLength(100);
  });

  it("never cuts through an entity, an escape or a surrogate pair", () => {
    for (let max = 12; max < 40; max++) {
      for (const input of ["&".repeat(50), "\u001b".repeat(50), "😀".repeat(50), "\u202e".repeat(50)]) {
        const out = slackCode(input, max);
        expect(out.length).toBeLessThanOrEqual(max);
        const body = out.slice(0, out.indexOf("…"));
        expect(body).toMatch(/^(?:&amp;|\\x1b|😀|\\u202e)*$/);
      }
    }
  });

  it("truncation cannot complete a broadcast word", () => {
    for (let max = 12; max < 30; max++) {
      const out = slackPlain(`@channel${"X".repeat(30)}`, max);
      expect(out).not.toContain("@");
      expect(out.startsWith(AT) || out.startsWith("…")).toBe(true);
    }
  });

  it("property: no output of any escaper holds a code point of the classes the reports escape", () => {
    fc.assert(
      fc.property(hostileText, fc.integer({ min: 20, max: 400 }), (input, max) => {
        for (const out of [slackPlain, slackText, slackCode, slackLiteral].map((f) => f(input, max))) {
          expect(rawUnsafe(out)).toEqual([]);
        }
      }),
      { numRuns: 500, seed: 20261127 },
    );
  });

  it("property: no output of any escaper holds active markup, control characters or an unbalanced span", () => {
    const hostile = fc.constantFrom(
      "<",
      ">",
      "&",
      "|",
      "!",
      "@channel",
      "@here",
      "<!channel>",
      "<https://evil.example|click>",
      "`",
      "```",
      "*",
      "_",
      "~",
      "\n",
      "\u0000",
      "\u001b",
      "\u009b",
      "\u202e",
      "\u2066",
      "\u200b",
      "\ud800",
      "\u{e0041}",
      "&amp;",
    );
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.array(fc.oneof(hostile, fc.string({ maxLength: 4 })), { maxLength: 300 }).map((a) => a.join("")),
    );
    fc.assert(
      fc.property(text, fc.integer({ min: 20, max: 400 }), (input, max) => {
        const plain = slackPlain(input, max);
        expect(plain.length).toBeLessThanOrEqual(max);
        expect(activeMarkup(plain, "plain_text")).toEqual([]);
        expect(plain).not.toContain("\n");
        for (const out of [slackText(input, max), slackCode(input, max)]) {
          expect(out.length).toBeLessThanOrEqual(max);
          expect(activeMarkup(out)).toEqual([]);
          expect(out).not.toContain("\n");
          expect(out).not.toContain("`");
        }
        const literal = slackLiteral(input, max);
        expect(literal.length).toBeLessThanOrEqual(max);
        expect(activeMarkup(literal)).toEqual([]);
        if (input !== "") expect(literal).toMatch(/^`[^`\n]*`$/);
        expect(slackText(input, max)).not.toMatch(/[*_~]/);
      }),
      { numRuns: 500 },
    );
  });
});
