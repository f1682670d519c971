import fc from "fast-check";

/**
 * Hostile text for the escaping and defanging tests, and the checkers that decide whether an output is inert.
 * Both are written from the definition (Unicode classes, what a mail client links), not from the
 * implementation in lib/alerts: the classes are listed one by one, and the link checkers are plain regexes
 * for what a linkifier looks for.
 */

/** The classes that must never reach a report raw: what acts or hides, and what has no visible meaning. */
const ACTIVE_OR_HIDDEN = {
  Cc: /\p{Cc}/u,
  Cf: /\p{Cf}/u,
  Zl: /\p{Zl}/u,
  Zp: /\p{Zp}/u,
  Cs: /\p{Cs}/u,
} as const;
const UNKNOWN = { Co: /\p{Co}/u, Cn: /\p{Cn}/u } as const;
const CLASSES = { ...ACTIVE_OR_HIDDEN, ...UNKNOWN } as const;

/** Named by the issue besides the categories: the tag block, variation selectors and invisible fillers. */
const NAMED: readonly (readonly [number, number])[] = [
  [0xe0000, 0xe007f], // tag characters
  [0xfe00, 0xfe0f], // variation selectors
  [0xe0100, 0xe01ef], // variation selectors supplement
  [0x115f, 0x1160], // Hangul choseong and jungseong fillers
  [0x3164, 0x3164], // Hangul filler
  [0xffa0, 0xffa0], // halfwidth Hangul filler
  [0x180e, 0x180e], // Mongolian vowel separator
  [0x034f, 0x034f], // combining grapheme joiner
  [0xfff9, 0xfffb], // interlinear annotation marks
];

const isNamed = (code: number): boolean => NAMED.some(([from, to]) => code >= from && code <= to);

/** Code points of each class, by one scan of the code space (lone surrogates as single UTF-16 units). */
function classPools(): number[][] {
  const pools = Object.values(CLASSES).map(() => [] as number[]);
  const classes = Object.values(CLASSES);
  for (let code = 0; code <= 0x10ffff; code++) {
    const ch = String.fromCodePoint(code);
    for (const [i, re] of classes.entries()) if (re.test(ch)) pools[i]!.push(code);
  }
  return pools;
}

const range = ([from, to]: readonly [number, number]): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

const POOLS: readonly (readonly number[])[] = [...classPools(), ...NAMED.map(range)];

/** One code point of one class, each class equally likely (Cf has ~170 code points, Cn ~800,000). */
export const unsafeCodePoint: fc.Arbitrary<string> = fc.oneof(
  ...POOLS.map((pool) => fc.nat(pool.length - 1).map((i) => String.fromCodePoint(pool[i]!))),
);

/** Any code point, lone surrogates included (the `binary` unit draws well-formed code points only). */
const anyUnit: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u)),
);

/** Arbitrary code points mixed with samples of every class. */
export const hostileText: fc.Arbitrary<string> = fc
  .array(fc.oneof(anyUnit, unsafeCodePoint, fc.string({ maxLength: 6 })), { maxLength: 40 })
  .map((parts) => parts.join(""));

/**
 * The code points of `text` that belong to a class that must be escaped, as `U+XXXX` (empty when inert).
 * `keep` are characters the format itself writes (the report's own new lines). JSON (`"active-or-hidden"`)
 * may keep private-use and unassigned code points raw: they neither act nor hide.
 */
export function rawUnsafe(text: string, keep = "", kinds: "all" | "active-or-hidden" = "all"): string[] {
  const classes = Object.values(kinds === "all" ? CLASSES : ACTIVE_OR_HIDDEN);
  const found: string[] = [];
  for (const ch of text) {
    if (keep.includes(ch)) continue;
    const code = ch.codePointAt(0)!;
    if (classes.some((re) => re.test(ch)) || isNamed(code)) {
      found.push(`U+${code.toString(16).toUpperCase().padStart(4, "0")}`);
    }
  }
  return found;
}

/** Host names, addresses, IPs and URLs of every shape a mail client links, and pieces of them. */
export const linkFragment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "evil-payload.example.com/stage2.sh",
    "pastebin.com/raw/x",
    "ops@evil.example",
    "mailto:x@y.z",
    "MAILTO:",
    "192.0.2.1",
    "http://",
    "hxxp://",
    "//",
    "www.",
    ".",
    "。",
    "．",
    "@",
    ":",
    "/",
    "[",
    "]",
    "com",
    "xn--p1ai",
    "1.2.3",
    ".4",
  ),
  fc.domain(),
  fc.emailAddress(),
  fc.ipV4(),
  fc.webUrl(),
);

/** Hostile text with link fragments: what the e-mail property feeds. */
export const hostileLinkText: fc.Arbitrary<string> = fc
  .array(fc.oneof(hostileText, linkFragment, fc.constantFrom(" ", "\n")), { maxLength: 12 })
  .map((parts) => parts.join(""));

const LABEL = String.raw`[\p{L}\p{M}\p{N}_\-]`;
const DOT = String.raw`[.\u3002\uff0e\uff61]`;

/**
 * What a mail client would turn into a link, written as a linkifier sees it: a label, a dot and a TLD-like
 * label (2–63 letters, or an `xn--` IDN label) that ends there; an IPv4 address that ends there; an address (a
 * local-part character, `@`, a domain character); a scheme's `://` (not `[://]`) or `mailto:`. Each is
 * bounded, so the check stays linear on long outputs.
 */
const LINKABLE: readonly (readonly [string, RegExp])[] = [
  ["host", new RegExp(`${LABEL}${DOT}(?:\\p{L}[\\p{L}\\p{M}]{1,62}|xn--[a-z0-9-]{1,59})(?!${LABEL})`, "iu")],
  ["ipv4", new RegExp(`(?<!${LABEL})[0-9]{1,3}(?:${DOT}[0-9]{1,3}){3}(?!${LABEL})`, "u")],
  ["address", /[\p{L}\p{N}\p{M}._%+-]@[\p{L}\p{N}]/u],
  ["url", /(?<!\[):\/\//],
  ["mailto", /mailto:/i],
];

/** The linkable tokens in `text`, one per kind found (empty when nothing can be auto-linked). */
export function linkable(text: string): string[] {
  const found: string[] = [];
  for (const [kind, re] of LINKABLE) {
    const match = re.exec(text);
    if (match) found.push(`${kind}: ${match[0]}`);
  }
  return found;
}
