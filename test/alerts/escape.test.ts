import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { commandLine, escapeAndTruncate, escapeText, safeJson } from "../../lib/alerts/escape.js";
import { hostileText, rawUnsafe } from "../helpers/hostile-text.js";

describe("escapeText", () => {
  it.each([
    ["ANSI clear screen", "a\u001b[2Jb", "a\\x1b[2Jb"],
    ["C1 CSI", "a\u009b31mb", "a\\x9b31mb"],
    ["newline and tab", "a\nb\tc", "a\\nb\\tc"],
    ["right-to-left override", "evil\u202Eexe.sh", "evil\\u202eexe.sh"],
    ["zero width space", "n\u200Bc", "n\\u200bc"],
    ["line separator", "a\u2028b", "a\\u2028b"],
    ["plain text is unchanged", "curl -s http://x/ é", "curl -s http://x/ é"],
    // The "Hostile text" cases: each passed raw before.
    ["tag characters (Cf, astral)", "a\u{e0001}\u{e0041}\u{e007f}b", "a\\u{e0001}\\u{e0041}\\u{e007f}b"],
    ["tag block ends unassigned (Cn)", "\u{e0000}\u{e0080}", "\\u{e0000}\\u{e0080}"],
    ["Hangul fillers", "\u115f\u1160\u3164\uffa0", "\\u115f\\u1160\\u3164\\uffa0"],
    ["Mongolian vowel separator", "a\u180eb", "a\\u180eb"],
    ["combining grapheme joiner", "a\u034fb", "a\\u034fb"],
    ["interlinear annotation marks", "\ufff9x\ufffay\ufffb", "\\ufff9x\\ufffay\\ufffb"],
    ["variation selectors", "a\ufe00\ufe0f", "a\\ufe00\\ufe0f"],
    ["variation selectors supplement", "a\u{e0100}\u{e01ef}", "a\\u{e0100}\\u{e01ef}"],
    // Every member of a class, not a list: format characters the old list did not name …
    ["Arabic number sign (Cf)", "\u0600", "\\u0600"],
    ["musical beam (astral Cf)", "\u{1d173}", "\\u{1d173}"],
    // … private use, unassigned and noncharacters, the paragraph separator, lone surrogates.
    ["private use (Co)", "\ue000\u{f0000}\u{10fffd}", "\\ue000\\u{f0000}\\u{10fffd}"],
    ["unassigned (Cn)", "\u0378\u{10ffff}", "\\u0378\\u{10ffff}"],
    ["noncharacters (Cn)", "\ufdd0\ufffe\uffff", "\\ufdd0\\ufffe\\uffff"],
    ["paragraph separator (Zp)", "a\u2029b", "a\\u2029b"],
    ["lone surrogates (Cs)", "\ud800 \udfff", "\\ud800 \\udfff"],
    ["a surrogate pair is one character and stays", "😀 e\u0301 ㅎ", "😀 e\u0301 ㅎ"],
  ])("%s", (_name, input, output) => {
    expect(escapeText(input)).toBe(output);
  });

  it("property: no code point of the escaped classes is left raw, and the visible text is kept", () => {
    fc.assert(
      // Without backslashes in the input, an escape in the output can only be one escapeText wrote.
      fc.property(hostileText, (hostile) => {
        const input = hostile.replaceAll("\\", "/");
        const out = escapeText(input);
        expect(rawUnsafe(out)).toEqual([]);
        // Only the escaped classes change: every other character is kept, in order.
        expect(out.replace(/\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|u\{[0-9a-f]{5,6}\}|[ntr])/g, "")).toBe(
          [...input].filter((ch) => rawUnsafe(ch).length === 0).join(""),
        );
      }),
      { numRuns: 1000, seed: 20261127 },
    );
  });

  it("property: escapeAndTruncate leaves no code point of the escaped classes raw either", () => {
    fc.assert(
      fc.property(hostileText, fc.nat(60), (input, max) => {
        expect(rawUnsafe(escapeAndTruncate(input, max))).toEqual([]);
      }),
      { numRuns: 500, seed: 20261127 },
    );
  });

  it("truncates with a visible marker", () => {
    expect(escapeAndTruncate("abcdef", 3)).toBe("abc…[+3 chars]");
  });

  it("never splits a surrogate pair", () => {
    expect(escapeAndTruncate("ab😀cd", 3)).toBe("ab…[+4 chars]");
  });
});

describe("commandLine", () => {
  it("quotes arguments a shell would split", () => {
    expect(commandLine(["sh", "-c", "curl x; true", "it's", ""])).toBe(`sh -c 'curl x; true' 'it'\\''s' ''`);
  });
});

describe("safeJson", () => {
  it("stays valid JSON and escapes what JSON.stringify leaves raw", () => {
    const value = { a: "x\u009b\u202e\u2028y\u0007" };
    const text = safeJson(value);
    expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u202e]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it.each([
    ["tag characters", "\u{e0041}", "\\udb40\\udc41"],
    ["variation selector", "\ufe0f", "\\ufe0f"],
    ["Hangul filler", "\u3164", "\\u3164"],
    ["combining grapheme joiner", "\u034f", "\\u034f"],
    ["interlinear annotation", "\ufffa", "\\ufffa"],
    ["astral format character", "\u{1d173}", "\\ud834\\udd73"],
    ["paragraph separator", "\u2029", "\\u2029"],
  ])("escapes %s the JSON way, as the text escapes the same class", (_name, input, escaped) => {
    expect(safeJson({ a: input })).toBe(`{"a":"${escaped}"}`);
  });

  it("keeps private-use and unassigned code points raw: they neither act nor hide, and would triple in bytes", () => {
    const value = { a: "\ue000\u{f0000}\u0378\u{50000}" };
    expect(safeJson(value)).toBe(JSON.stringify(value));
  });

  it("property: valid JSON of the same value, with nothing that acts or hides raw", () => {
    fc.assert(
      fc.property(fc.array(hostileText, { maxLength: 4 }), (value) => {
        const text = safeJson(value);
        expect(rawUnsafe(text, "", "active-or-hidden")).toEqual([]);
        expect(JSON.parse(text)).toEqual(value);
      }),
      { numRuns: 500, seed: 20261127 },
    );
  });
});
