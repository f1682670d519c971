import { describe, expect, it } from "vitest";
import { commandLine, escapeAndTruncate, escapeText, safeJson } from "../../lib/alerts/escape.js";

describe("escapeText", () => {
  it.each([
    ["ANSI clear screen", "a\u001b[2Jb", "a\\x1b[2Jb"],
    ["C1 CSI", "a\u009b31mb", "a\\x9b31mb"],
    ["newline and tab", "a\nb\tc", "a\\nb\\tc"],
    ["right-to-left override", "evil\u202Eexe.sh", "evil\\u202eexe.sh"],
    ["zero width space", "n\u200Bc", "n\\u200bc"],
    ["line separator", "a\u2028b", "a\\u2028b"],
    ["plain text is unchanged", "curl -s http://x/ é", "curl -s http://x/ é"],
  ])("%s", (_name, input, output) => {
    expect(escapeText(input)).toBe(output);
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
});
