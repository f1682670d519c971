import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Alert, AlertAncestor, AlertImage } from "../../lib/alerts/alert.js";
import { formatEmailBody } from "../../lib/alerts/format-email.js";
import {
  attributesBytes,
  buildSnsMessage,
  SNS_MAX_PUBLISH_BYTES,
  type SnsMessage,
} from "../../lib/alerts/sns-message.js";
import { detect, exec, shell } from "../helpers/exec-events.js";
import { validateDetectionFinding } from "../helpers/ocsf.js";
import { replayText } from "../helpers/replay-text.js";
import { CAPTURED_AUDITD, readSample } from "../helpers/samples.js";

async function alertFor(options: { host?: string; script?: string; args?: string[] } = {}): Promise<Alert> {
  const host = options.host ?? "web-01";
  const script = options.script ?? "/tmp/x.sh";
  const { alerts } = await detect([
    shell({ host }),
    exec({ pid: 200, ppid: 100, exe: "/usr/bin/dash", args: ["/bin/sh", script], host }),
    exec({
      pid: 300,
      ppid: 200,
      exe: "/usr/bin/curl",
      args: options.args ?? ["curl", "http://192.0.2.1/"],
      host,
    }),
  ]);
  expect(alerts).toHaveLength(1);
  return alerts[0]!;
}

/** What SNS counts against the topic's MaximumMessageSize (plus the subject, which we count too). */
function publishBytes(sns: SnsMessage): number {
  return (
    Buffer.byteLength(sns.subject, "utf8") +
    Buffer.byteLength(sns.message, "utf8") +
    attributesBytes(sns.attributes)
  );
}

function parse(sns: SnsMessage): Record<string, string> {
  return JSON.parse(sns.message) as Record<string, string>;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** A subject SNS accepts: under 100 characters, printable ASCII, one line, not starting with whitespace. */
const VALID_SUBJECT = /^[\x21-\x7e][\x20-\x7e]{0,98}$/;
/** A cut through an escapeText escape, right before the "..." marker. */
const HALF_ESCAPE = /\\(?:x[0-9a-f]?|u[0-9a-f]{0,3}|u\{[0-9a-f]{0,6})\.\.\.$/;

describe("buildSnsMessage", () => {
  it("sends the readable report to default and email, the alert JSON to sqs, lambda and https", async () => {
    const alert = await alertFor();
    const sns = buildSnsMessage(alert);
    const message = parse(sns);
    expect(Object.keys(message)).toEqual(["default", "email", "sqs", "lambda", "https"]);
    expect(message["default"]).toBe(formatEmailBody(alert));
    expect(message["email"]).toBe(message["default"]);
    expect(JSON.parse(message["sqs"]!)).toEqual(alert);
    expect(message["lambda"]).toBe(message["sqs"]);
    expect(message["https"]).toBe(message["sqs"]);
    expect(sns.trimmed).toBe(false);
    expect(JSON.parse(message["sqs"]!)).not.toHaveProperty("trimmed");
  });

  it("has a one-line subject and filter-policy attributes", async () => {
    const sns = buildSnsMessage(await alertFor());
    expect(sns.subject).toBe("[HIGH] curl run from /tmp/x.sh on web-01");
    expect(sns.attributes).toEqual({
      severity: { DataType: "String", StringValue: "high" },
      rule_id: { DataType: "String", StringValue: "netutil-writable-exec" },
      utility: { DataType: "String", StringValue: "curl" },
      category: { DataType: "String", StringValue: "transfer" },
      host: { DataType: "String", StringValue: "web-01" },
    });
  });

  it.each([
    [
      "a new line in the host",
      { host: "web\n[CRITICAL] fake" },
      "[HIGH] curl run from /tmp/x.sh on web\\n[CRITICAL] fake",
    ],
    [
      "a bidi override in the script path",
      { script: "/tmp/\u202ehs.exe" },
      "[HIGH] curl run from /tmp/\\u202ehs.exe on web-01",
    ],
    ["an emoji in the host", { host: "web-🔥" }, "[HIGH] curl run from /tmp/x.sh on web-?"],
    ["an accented host", { host: "héte" }, "[HIGH] curl run from /tmp/x.sh on h?te"],
    [
      "ANSI in the script path",
      { script: "/tmp/\u001b[2Jx" },
      "[HIGH] curl run from /tmp/\\x1b[2Jx on web-01",
    ],
  ])("subject with %s", async (_name, options, expected) => {
    const sns = buildSnsMessage(await alertFor(options));
    expect(sns.subject).toBe(expected);
    expect(sns.subject).toMatch(VALID_SUBJECT);
  });

  it("cuts a subject over 99 characters with '...', never inside an escape", async () => {
    const sns = buildSnsMessage(await alertFor({ host: "h".repeat(500) }));
    expect(sns.subject).toMatch(VALID_SUBJECT);
    expect(sns.subject).toMatch(/^\[HIGH\] curl run from \/tmp\/x\.sh on h+\.\.\.$/);
    expect(sns.subject.length).toBe(99);

    // Escapes at every offset around the cut: none is left half.
    for (let pad = 0; pad < 8; pad++) {
      const host = `${"a".repeat(50 + pad)}${"\u202e\n\u0007".repeat(20)}`;
      const subject = buildSnsMessage(await alertFor({ host })).subject;
      expect(subject).toMatch(VALID_SUBJECT);
      expect(subject).not.toMatch(HALF_ESCAPE);
      expect(subject.endsWith("...")).toBe(true);
    }
  });

  it("escapes and caps the host attribute, and never sends it empty", async () => {
    const hostile = buildSnsMessage(await alertFor({ host: "web\n01\u202e" }));
    expect(hostile.attributes["host"]).toEqual({ DataType: "String", StringValue: "web\\n01\\u202e" });

    const long = buildSnsMessage(await alertFor({ host: "h".repeat(500) }));
    expect(long.attributes["host"]!.StringValue).toBe(`${"h".repeat(253)}...`);

    const alert = await alertFor();
    const empty = buildSnsMessage({ ...alert, host: { name: "", id: null } });
    expect(empty.attributes["host"]!.StringValue).toBe("-");
  });

  it("sends well-formed text when telemetry carries a lone surrogate", async () => {
    const alert = await alertFor({ args: ["curl", "http://x/\ud800", "\udc00y"] });
    const sns = buildSnsMessage({ ...alert, user: { id: "33", name: "a\ud83d" } });
    const message = parse(sns);
    expect(message["default"]).not.toMatch(LONE_SURROGATE);
    // Escaped as every other invisible or invalid code point, so a reader sees what telemetry carried.
    expect(message["default"]).toContain("hxxp[://]x/\\ud800 \\udc00y");
    expect(message["default"]).toContain("user       a\\ud83d (uid 33)");
    // The JSON keeps the exact argv: its escapes decode back to the lone surrogates.
    expect(JSON.parse(message["sqs"]!).process.args).toEqual(["curl", "http://x/\ud800", "\udc00y"]);
  });

  describe("size", () => {
    const big = (n: number, c: string) => c.repeat(n);
    const image = (i: number, args: string[]): AlertImage => ({
      executable: `/usr/bin/sh${i}`,
      args,
      script: null,
    });

    /** 16 ancestors (lineage's MAX_DEPTH), each with two earlier images, every image with `argv(i)`. */
    async function hugeAlert(argv: (i: number) => string[]): Promise<Alert> {
      const alert = await alertFor();
      const ancestors: AlertAncestor[] = Array.from({ length: 16 }, (_, i) => ({
        ...image(i, argv(i)),
        pid: 1000 + i,
        user: { id: "0", name: "root" },
        execChain: [image(i + 100, argv(i + 100)), image(i + 200, argv(i + 200))],
      }));
      const args = ["curl", "-o", "/tmp/k", `http://192.0.2.1/${big(100_000, "q")}`];
      return {
        ...alert,
        process: { ...alert.process, args, execChain: [image(999, argv(999))] },
        utility: { ...alert.utility, args: args.slice(1) },
        ancestors,
      };
    }

    function trimmedJson(alert: Alert): Alert & { trimmed?: boolean } {
      const sns = buildSnsMessage(alert);
      expect(sns.trimmed).toBe(true);
      expect(publishBytes(sns)).toBeLessThanOrEqual(SNS_MAX_PUBLISH_BYTES);
      const message = parse(sns);
      expect(message["lambda"]).toBe(message["sqs"]);
      expect(message["https"]).toBe(message["sqs"]);
      expect(message["email"]).toBe(message["default"]);
      expect(message["default"]).toMatch(/note {7}trimmed to fit the SNS message size limit/);
      const json = JSON.parse(message["sqs"]!) as Alert & { trimmed?: boolean };
      expect(json.trimmed).toBe(true);
      // What identifies the alert is untouched; the utility's argv keeps its head.
      expect(json.id).toBe(alert.id);
      expect(json.location).toEqual(alert.location);
      expect(json.process.args.slice(0, 3)).toEqual(["curl", "-o", "/tmp/k"]);
      expect(json.process.args[3]).toMatch(/^http:\/\/192\.0\.2\.1\/q+…\[\+\d+ chars\]$/);
      return json;
    }

    it("trims args of 100 KB in every image of 16 ancestors under 256 KiB, flagged in the JSON and the text", async () => {
      const alert = await hugeAlert((i) => ["sh", "-c", big(100_000, String.fromCharCode(97 + (i % 26)))]);
      expect(Buffer.byteLength(JSON.stringify(alert))).toBeGreaterThan(5_000_000);
      const json = trimmedJson(alert);
      // Shortening args was enough: every ancestor and earlier image is still there.
      expect(json.ancestors.map((a) => a.pid)).toEqual(alert.ancestors.map((a) => a.pid));
      expect(json.ancestors.every((a) => a.execChain.length === 2)).toBe(true);
      expect(json.ancestors[0]!.args[2]).toBe(`${big(1024, "a")}…[+${100_000 - 1024} chars]`);
    });

    it("then drops the earlier images of ancestors holding no match and cuts their args to a head: every ancestor stays", async () => {
      // Lineage's own caps (32 args of 512 chars) in every image: args alone cannot make it fit.
      const alert = await hugeAlert((i) =>
        Array.from({ length: 32 }, (_, j) => `${i}:${j}:${big(2_000, "w")}`),
      );
      const json = trimmedJson(alert);
      expect(json.ancestors.map((a) => a.pid)).toEqual(alert.ancestors.map((a) => a.pid));
      // The parent holds the match (the script, depth 1): its earlier images and 32 args of 256 stay.
      expect(alert.location.depth).toBe(1);
      expect(json.ancestors[0]!.execChain).toHaveLength(2);
      expect(json.ancestors[0]!.args).toHaveLength(32);
      expect(json.ancestors[0]!.args[31]).toBe(`0:31:${big(251, "w")}…[+1749 chars]`);
      for (const a of json.ancestors.slice(1)) {
        expect(a.execChain).toEqual([]);
        expect(a.args).toEqual([
          expect.stringMatching(/^\d+:0:w+…/),
          expect.stringMatching(/^\d+:1:w+…/),
          "…[+30 args]",
        ]);
      }
    });

    it("keeps ancestors whole when shortening args is enough", async () => {
      const alert = await alertFor();
      const args = ["curl", big(200_000, "z")];
      const sns = buildSnsMessage({ ...alert, process: { ...alert.process, args } });
      expect(sns.trimmed).toBe(true);
      expect(publishBytes(sns)).toBeLessThanOrEqual(SNS_MAX_PUBLISH_BYTES);
      const json = JSON.parse(parse(sns)["sqs"]!) as Alert;
      expect(json.ancestors).toEqual(alert.ancestors);
      expect(json.process.args[1]).toBe(`${big(4096, "z")}…[+${200_000 - 4096} chars]`);
    });

    it("fits absurd host names and paths too", async () => {
      const alert = await alertFor();
      const sns = buildSnsMessage({
        ...alert,
        host: { name: big(200_000, "h"), id: big(100_000, "i") },
        location: { ...alert.location, path: big(200_000, "/") },
        dedup: { ...alert.dedup, key: big(200_000, "k") },
        user: { id: big(100_000, "u"), name: big(100_000, "\u202e") },
      });
      expect(sns.trimmed).toBe(true);
      expect(publishBytes(sns)).toBeLessThanOrEqual(SNS_MAX_PUBLISH_BYTES);
      expect(sns.subject).toMatch(VALID_SUBJECT);
    });

    it("honours a topic's raised MaximumMessageSize", async () => {
      const alert = await hugeAlert((i) => ["sh", "-c", big(100_000, String.fromCharCode(97 + (i % 26)))]);
      const sns = buildSnsMessage(alert, { maxBytes: 1_048_576 });
      expect(publishBytes(sns)).toBeLessThanOrEqual(1_048_576);
      expect(publishBytes(sns)).toBeGreaterThan(SNS_MAX_PUBLISH_BYTES);
    });
  });

  describe("any telemetry strings", () => {
    const specials = fc.constantFrom(
      "\n",
      "\r",
      "\t",
      "\u0000",
      "\u001b[2J",
      "\u009b",
      "\u202e",
      "\u2028",
      "\ufeff",
      "\ufffe",
      "\ud800",
      "\udfff",
      "🔥",
      "…",
      "\\",
      "\\u202",
      "\\x1",
      " ",
      "é",
      '"',
    );
    const unit = fc.oneof(specials, fc.string({ unit: "binary", minLength: 1, maxLength: 1 }));
    const text = fc.string({ unit, maxLength: 40 });
    /** Now and then a long one, so that trimming runs. */
    const arg = fc.oneof(
      { weight: 4, arbitrary: text },
      {
        weight: 1,
        arbitrary: fc.tuple(text, fc.integer({ min: 1, max: 20_000 })).map(([s, n]) => s.repeat(n)),
      },
    );
    const args = fc.array(arg, { maxLength: 4 });
    const img = fc.record({ executable: text, args, script: fc.option(text) });
    const ancestor = fc.record({
      executable: text,
      args,
      script: fc.option(text),
      pid: fc.nat(),
      user: fc.option(fc.record({ id: fc.option(text), name: fc.option(text) })),
      execChain: fc.array(img, { maxLength: 2 }),
    });
    const strings = fc.record({
      host: arg,
      path: text,
      user: fc.option(text),
      args,
      chain: fc.array(img, { maxLength: 2 }),
      ancestors: fc.array(ancestor, { maxLength: 8 }),
      container: fc.option(fc.record({ id: text, image: fc.option(text) })),
    });

    it("subject under 100 printable ASCII, message within SNS's limit, all of it deliverable", async () => {
      const base = await alertFor();
      let trimmedRuns = 0;
      fc.assert(
        fc.property(strings, (s) => {
          const alert: Alert = {
            ...base,
            host: { name: s.host, id: null },
            container: s.container,
            user: { id: "0", name: s.user },
            process: { ...base.process, args: s.args, execChain: s.chain },
            utility: { ...base.utility, args: s.args.slice(1) },
            location: { ...base.location, path: s.path },
            matches: [{ ...base.matches[0]!, path: s.path }],
            ancestors: s.ancestors,
          };
          const sns = buildSnsMessage(alert);
          if (sns.trimmed) trimmedRuns++;
          expect(sns.subject).toMatch(VALID_SUBJECT);
          // A backslash from telemetry is not escaped (escape.ts), so only then can "\\u20..." be a half escape.
          if (![s.host, s.path].some((x) => x.includes("\\"))) expect(sns.subject).not.toMatch(HALF_ESCAPE);
          expect(publishBytes(sns)).toBeLessThanOrEqual(SNS_MAX_PUBLISH_BYTES);
          for (const value of Object.values(sns.attributes)) {
            expect(value.StringValue.length).toBeGreaterThan(0);
            expect(value.StringValue.length).toBeLessThanOrEqual(256);
            expect(value.StringValue).not.toMatch(LONE_SURROGATE);
          }
          const message = parse(sns);
          expect(message["default"]).not.toMatch(LONE_SURROGATE);
          expect(message["default"]).not.toMatch(
            /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\ufffe\uffff]/,
          );
          const json = JSON.parse(message["sqs"]!) as Alert & { trimmed?: boolean };
          expect(json.trimmed).toBe(sns.trimmed ? true : undefined);
          if (!sns.trimmed) expect(json).toEqual(alert);
        }),
        { numRuns: 150 },
      );
      expect(trimmedRuns).toBeGreaterThan(0);
    });
  });
});

describe("ALERT_JSON_FORMAT=ocsf", () => {
  it("sqs and https carry an OCSF Detection Finding; lambda keeps the native alert for the notifier", async () => {
    const { alerts } = await replayText(readSample(CAPTURED_AUDITD));
    const alert = alerts[0]!;
    const message = JSON.parse(buildSnsMessage(alert, { jsonFormat: "ocsf" }).message) as Record<
      string,
      string
    >;
    const finding = JSON.parse(message["sqs"]!);
    expect(validateDetectionFinding(finding)).toEqual([]);
    expect(finding.finding_info.uid).toBe(alert.id);
    expect(message["https"]).toBe(message["sqs"]);
    expect(JSON.parse(message["lambda"]!)).toEqual(alert);
    expect(message["email"]).toBe(formatEmailBody(alert));
  });
});
