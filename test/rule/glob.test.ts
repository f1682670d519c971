import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileGlob } from "../../lib/rule/glob.js";

/** The glob semantics as a JavaScript regex: the obvious translation, fine on short inputs, a reference. */
function referenceRegex(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === "*" && glob[i + 1] === "*") {
      source += "[^]*";
      i++;
    } else if (ch === "*") source += "[^/]*";
    else if (ch === "?") source += "[^/]";
    else source += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^(?:${source})$`);
}

describe("glob semantics", () => {
  it.each([
    // `*` stays within a segment, `**` crosses.
    ["/tmp/*", "/tmp/x", true],
    ["/tmp/*", "/tmp/a/x", false],
    ["/tmp/*", "/tmp/", true],
    ["/tmp/**", "/tmp/a/b/c", true],
    ["/tmp/**", "/tmp/", true],
    ["/tmp/**", "/tmp", false],
    ["/tmp/**/x", "/tmp/x", false],
    ["/tmp/**/x", "/tmp//x", true],
    ["/tmp/**/x", "/tmp/a/b/x", true],
    ["/tmp/go-build*/**", "/tmp/go-build123/b001/pkg.test", true],
    ["/tmp/go-build*/**", "/tmp/go-buildx", false],
    ["build-*", "build-7", true],
    ["build-*", "web-01", false],
    ["*", "", true],
    ["**", "a/b", true],
    ["***", "a/b", true],
    // `?` is one character, never `/`.
    ["/tmp/?", "/tmp/a", true],
    ["/tmp/?", "/tmp/ab", false],
    ["/tmp/?", "/tmp/", false],
    ["/a?b", "/a/b", false],
    // Anchored at both ends.
    ["/tmp/x", "/tmp/x", true],
    ["/tmp/x", "/tmp/xy", false],
    ["/tmp/x", "/a/tmp/x", false],
    ["tmp", "/tmp", false],
    // Regex metacharacters are literal.
    ["/tmp/a.b", "/tmp/a.b", true],
    ["/tmp/a.b", "/tmp/axb", false],
    ["/tmp/a+", "/tmp/aa", false],
    ["/tmp/a+", "/tmp/a+", true],
    ["/tmp/(x)", "/tmp/(x)", true],
    ["/tmp/(x)", "/tmp/x", false],
    ["/tmp/[ab]", "/tmp/a", false],
    ["/tmp/[ab]", "/tmp/[ab]", true],
    ["/tmp/^x$", "/tmp/^x$", true],
    ["/tmp/a|b", "/tmp/a", false],
    ["/tmp/\\d", "/tmp/\\d", true],
    ["/tmp/\\d", "/tmp/1", false],
    ["/tmp/{a,b}", "/tmp/{a,b}", true],
    // Any character, newlines included, is just a character.
    ["/tmp/*", "/tmp/a\nb", true],
    ["/tmp/**", "/tmp/a\n/b", true],
  ])("%j on %j → %s", (glob, subject, want) => {
    expect(compileGlob(glob).test(subject)).toBe(want);
  });

  it.each([
    // below: the match itself, or the match then `/` and anything.
    ["/home/*", "/home/alice", true],
    ["/home/*", "/home/alice/bin/x", true],
    ["/home/*", "/homes/alice/x", false],
    ["/proc/*/fd", "/proc/1/fd/3", true],
    ["/proc/*/fd", "/proc/1/fdx", false],
    ["/proc/*/fd", "/proc/1/2/fd/3", false],
    ["/root", "/root/x", true],
    ["/root", "/root", true],
    ["/root", "/rootfs/x", false],
    ["/opt/x*", "/opt/xy/z", true],
    ["/opt/x*", "/opt/y/z", false],
  ])("below: %j on %j → %s", (glob, subject, want) => {
    expect(compileGlob(glob, { below: true }).test(subject)).toBe(want);
  });
});

describe("glob matcher against the reference regex", () => {
  const globArb = fc.string({ unit: fc.constantFrom("a", "b", "/", "*", "?", "."), maxLength: 8 });
  const pathArb = fc.string({ unit: fc.constantFrom("a", "b", "/", "."), maxLength: 12 });

  it("agrees on short random globs and paths", () => {
    fc.assert(
      fc.property(globArb, pathArb, (glob, path) => {
        expect(compileGlob(glob).test(path)).toBe(referenceRegex(glob).test(path));
      }),
      { seed: 9, numRuns: 5000 },
    );
  });

  it("agrees with `glob` or `glob/**` for below", () => {
    fc.assert(
      fc.property(globArb, pathArb, (glob, path) => {
        const want = referenceRegex(glob).test(path) || referenceRegex(`${glob}/**`).test(path);
        expect(compileGlob(glob, { below: true }).test(path)).toBe(want);
      }),
      { seed: 9, numRuns: 5000 },
    );
  });
});

/**
 * Hostile subjects: for each glob, a 2 KB subject that does not match and one that does. A backtracking
 * matcher (the regex translation above, or the one this replaced) takes minutes to days on each subject that
 * does not match; the suite does not time them (no timing assertions), it relies on the test timeout
 * (test/vitest.config.ts): vitest fails a synchronous test that overran it once it returns, and a run that
 * does not return hangs the suite. Either way a backtracking implementation cannot pass.
 */
describe("hostile subjects match in one pass", () => {
  const slashes = `/${"a/".repeat(1023)}`; // 2047 characters, 1024 segments
  const as = "a".repeat(2048);
  it.each(
    (
      [
        ["/**/**/**/**/x", slashes, `${slashes}x`],
        ["/**/**/**/**/**/**/**/**/x", slashes, `${slashes}x`],
        ["/**/*a*/**/*a*/**/*a*/**/x", slashes, `${slashes}x`],
        ["/**a**a**a**a**b", slashes, `${slashes}b`],
        ["*a*a*a*a*b", as, `${as}b`],
        ["*a*a*a*a*b", `${as}/b`, `${as}b`],
        ["?*?*?*?*?*?*/", as, `${as}/`],
        [`${"*a".repeat(500)}b`, as, `${as}b`],
        [`${"**a".repeat(300)}b`, slashes, `${slashes}ab`],
      ] as const
    ).map(([glob, no, yes]) => ({ glob, no, yes, length: no.length })),
  )("$glob: not $length characters of a and /, but one more", ({ glob, no, yes }) => {
    for (const options of [{}, { below: true }]) {
      const matcher = compileGlob(glob, options);
      expect(matcher.test(no)).toBe(false);
      expect(matcher.test(yes)).toBe(true);
    }
  });
});
