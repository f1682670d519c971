import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AuditHeader,
  ENRICHED,
  FieldTokens,
  fieldMaps,
  parseAuditHeader,
  QUOTED,
  readAuditHeader,
  scanAuditBody,
} from "../../../lib/telemetry/sources/auditd-record.js";

const header = (line: string): AuditHeader => {
  const parsed = parseAuditHeader(line);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
};

/** What a scanner made of a line: its reason, or its tokens as [key, value, flags]. */
const scanned = (
  line: string,
  enriched: boolean,
): { problem: string | undefined; fields: [string, string, number][]; translated: boolean } => {
  const tokens = new FieldTokens();
  const problem = scanAuditBody(line, header(line), enriched, tokens);
  const fields: [string, string, number][] = [];
  const d = tokens.data;
  for (let t = 0; t < tokens.count; t++) {
    const at = 5 * t;
    fields.push([line.slice(d[at]!, d[at + 1]!), line.slice(d[at + 2]!, d[at + 3]!), d[at + 4]!]);
  }
  return { problem, fields, translated: tokens.translated };
};

const HEAD = "type=SYSCALL msg=audit(1700000000.123:42):";

describe("scanAuditBody", () => {
  it.each([
    [
      "bare and quoted values",
      ` a=1 b="x y" c='p "q"' d=`,
      [
        ["a", "1", 0],
        ["b", "x y", QUOTED],
        ["c", 'p "q"', QUOTED],
        ["d", "", 0],
      ],
    ],
    [
      "a value holding '=' and quotes",
      ` msg=op=x"y z=1`,
      [
        ["msg", 'op=x"y', 0],
        ["z", "1", 0],
      ],
    ],
    [
      "translations after the GS byte",
      ` a=1\u001dUID="root" SADDR={ fam=inet } ARCH=x86_64 stray`,
      [
        ["a", "1", 0],
        ["UID", "root", ENRICHED],
        ["SADDR", "{ fam=inet }", ENRICHED],
        ["ARCH", "x86_64", ENRICHED],
      ],
    ],
    [
      "non-ASCII text",
      ` cwd="/tmp/é ü" k=ファイル`,
      [
        ["cwd", "/tmp/é ü", QUOTED],
        ["k", "ファイル", 0],
      ],
    ],
    ["a trailing CR and blanks", ` a=1 \r`, [["a", "1", 0]]],
    [
      "tabs between fields",
      ` a=1\tb=2`,
      [
        ["a", "1", 0],
        ["b", "2", 0],
      ],
    ],
  ] as [string, string, [string, string, number][]][])("reads %s", (_, body, fields) => {
    const line = HEAD + body;
    expect(scanned(line, true)).toEqual({
      problem: undefined,
      fields,
      translated: line.includes("\u001d"),
    });
  });

  it.each([
    ["an unterminated quote", ` a="x`, 'unterminated quoted value of "a"'],
    [
      "text after a quoted value",
      ` a="x"y`,
      `unexpected text after the quoted value of "a" at column ${HEAD.length + 7}`,
    ],
    ["a word without '='", ` a=1 b`, `field without '=' at column ${HEAD.length + 6}: "b"`],
    ["a field without a name", ` =1`, `field without a name at column ${HEAD.length + 2}`],
    ["a control byte", ` a=1\u0007`, `binary data (control byte 0x07 at column ${HEAD.length + 5})`],
    [
      "a second GS byte",
      ` a=1\u001dB=2\u001dC=3`,
      `binary data (control byte 0x1d at column ${HEAD.length + 9})`,
    ],
    ["an unterminated group", ` a=1\u001dS={ x`, 'unterminated { … } value of "S" in the enriched fields'],
  ])("names %s", (_, body, problem) => {
    expect(scanned(HEAD + body, true).problem).toBe(problem);
  });

  it("only checks the translations when they are not read", () => {
    const line = `${HEAD} a=1\u001dS={ x`;
    expect(scanned(line, false)).toEqual({
      problem: undefined,
      fields: [["a", "1", 0]],
      translated: false,
    });
  });
});

describe("fieldMaps", () => {
  it("keeps a repeated key at its first place, with its last value, quoted if it ever was", () => {
    const line = `${HEAD} a="x" b=2 a=y\u001dB=z`;
    const tokens = new FieldTokens();
    expect(scanAuditBody(line, header(line), true, tokens)).toBeUndefined();
    const body = fieldMaps(line, tokens, {});
    expect([...body.fields]).toEqual([
      ["a", "y"],
      ["b", "2"],
    ]);
    expect([...body.quoted]).toEqual(["a"]);
    expect([...(body.enriched ?? [])]).toEqual([["B", "z"]]);
  });

  it.each([
    ["all translations of a line that has none read", {}, undefined],
    ["all of a line with an empty translation", {}, new Map()],
    ["none kept", { enriched: ["X"] }, undefined],
    ["one kept", { enriched: ["B"] }, new Map([["B", "z"]])],
  ])("gives translations: %s", (name, selection, expected) => {
    const line = name.includes("has none")
      ? `${HEAD} a=1`
      : name.includes("empty")
        ? `${HEAD} a=1\u001d`
        : `${HEAD} a=1\u001dB=z`;
    const tokens = new FieldTokens();
    scanAuditBody(line, header(line), true, tokens);
    expect(fieldMaps(line, tokens, selection).enriched).toEqual(expected);
  });

  it("grows its tokens past 64 fields", () => {
    const line = `${HEAD} ${Array.from({ length: 300 }, (_, i) => `a${i}=${i}`).join(" ")}`;
    const tokens = new FieldTokens();
    expect(scanAuditBody(line, header(line), true, tokens)).toBeUndefined();
    const body = fieldMaps(line, tokens, {});
    expect(body.fields.size).toBe(300);
    expect(body.fields.get("a299")).toBe("299");
  });
});

describe("readAuditHeader", () => {
  it("reads what parseAuditHeader reads, whatever line it read before", () => {
    const part = fc.constantFrom("node=web-1 ", "node=host-with-a-long-name.example.com ", "", "  ");
    const type = fc.constantFrom(
      "SYSCALL",
      "EXECVE",
      "USER_CMD",
      "UNKNOWN[1334]",
      "PATH",
      "SYSCALLX",
      "EXEC",
    );
    const stamp = fc.constantFrom("1700000000.123", "1700000000.124", "01700000000.123", "1700000000.12");
    const serial = fc.constantFrom("42", "43", "042", "", "4x");
    const line = fc
      .tuple(part, type, stamp, serial, fc.constantFrom(" a=1", "", "x"))
      .map(([node, t, st, se, rest]) => `${node}type=${t} msg=audit(${st}:${se}):${rest}`);
    fc.assert(
      fc.property(line, line, (before, after) => {
        const into: AuditHeader = { type: "", time: 0, stamp: "", serial: 0, bodyStart: 0 };
        readAuditHeader(before, into);
        const problem = readAuditHeader(after, into);
        const expected = parseAuditHeader(after);
        if (typeof expected === "string") expect(problem).toBe(expected);
        else {
          expect(problem).toBeUndefined();
          expect({ ...into, node: into.node }).toEqual({ ...expected, node: expected.node });
        }
      }),
      { numRuns: 500 },
    );
  });
});
