/**
 * The code points no report may show raw: Unicode classes, not a list of known tricks, so a character the
 * list's author never heard of is covered too.
 *
 * ACTIVE_OR_HIDDEN acts on a terminal or a renderer, or hides text from the reader:
 * - Cc: C0/C1 controls and DEL (ANSI escape sequences start with ESC or CSI);
 * - Cf: format characters, among them bidirectional overrides (U+202E makes `exe.sh` read as `hs.exe`),
 *   zero-width characters, the soft hyphen, the tag characters U+E0000–E007F (they smuggle ASCII text past a
 *   reader) and the interlinear annotation marks U+FFF9–FFFB;
 * - Zl, Zp: line and paragraph separators, a new line to many renderers;
 * - Cs: a lone surrogate, invalid Unicode that SNS and Slack refuse (a pair is one code point and not Cs);
 * - Default_Ignorable_Code_Point: what renders as nothing without being Cf: the Hangul fillers U+115F, U+1160,
 *   U+3164, U+FFA0, the combining grapheme joiner U+034F, the variation selectors U+FE00–FE0F and
 *   U+E0100–E01EF, the Mongolian vowel separator and free variation selectors.
 *
 * UNSAFE adds what has no meaning a reader can see: Co (private use, whatever a font draws there) and Cn
 * (unassigned, and the noncharacters such as U+FFFE). Which code points are unassigned follows Node's ICU.
 */
const ACTIVE_OR_HIDDEN = "\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Cs}\\p{Default_Ignorable_Code_Point}";
const UNKNOWN = "\\p{Co}\\p{Cn}";

/**
 * Printable ASCII (most of any report, and all of an escaped document) is never in the classes; each regex
 * first takes one code point outside it by a one-range class, and only then checks the classes (a lookbehind
 * over that one code point), because the classes' hundreds of ranges cost the engine several times more per
 * character than one range. The result is the same as the bare class: linear, nothing to backtrack into.
 */
const UNSAFE = new RegExp(`[\\0-\\x1f]|[\\x7f-\\u{10ffff}](?<=[${ACTIVE_OR_HIDDEN}${UNKNOWN}])`, "gu");
/** JSON.stringify leaves no C0 control raw, so the JSON pass looks at DEL and above only. */
const JSON_UNSAFE = new RegExp(`[\\x7f-\\u{10ffff}](?<=[${ACTIVE_OR_HIDDEN}])`, "gu");
/** Text that is printable ASCII throughout (the usual alert) needs no pass of the `u` regexes at all. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Untrusted text from telemetry (command lines, paths, host names) made inert for a terminal, a plain-text
 * report, an e-mail or a chat message: every UNSAFE code point becomes a visible escape: `\n`, `\t`, `\r`;
 * `\xHH` below U+0100, `\uHHHH` up to U+FFFF (a lone surrogate too), `\u{HHHHH}` above. Everything else is
 * kept as it is.
 */
export function escapeText(text: string): string {
  return PRINTABLE_ASCII.test(text) ? text : text.replace(UNSAFE, visibleEscape);
}

const HEX = "0123456789abcdef";
const hex2 = (n: number): string => HEX[(n >> 4) & 15]! + HEX[n & 15]!;
const hex4 = (n: number): string => hex2(n >> 8) + hex2(n);

function visibleEscape(ch: string): string {
  const code = ch.codePointAt(0)!;
  if (code === 0x0a) return "\\n";
  if (code === 0x09) return "\\t";
  if (code === 0x0d) return "\\r";
  if (code < 0x100) return `\\x${hex2(code)}`;
  if (code <= 0xffff) return `\\u${hex4(code)}`;
  return `\\u{${code.toString(16)}}`;
}

/** Escaped and cut to `max` characters with a visible marker. */
export function escapeAndTruncate(text: string, max: number): string {
  if (text.length <= max) return escapeText(text);
  // Never split a surrogate pair: half of one would show as an escape of a character that was never there.
  const end = max > 0 && isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max;
  return escapeText(`${text.slice(0, end)}…[+${text.length - end} chars]`);
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/** Renders argv as one command line a reader can copy: arguments with spaces or quotes are single-quoted. */
export function commandLine(args: readonly string[]): string {
  return args
    .map((a) => (a === "" ? "''" : /[\s'"\\$`|;&<>()*?!#~]/.test(a) ? `'${a.replaceAll("'", `'\\''`)}'` : a))
    .join(" ");
}

/**
 * JSON for a line-oriented consumer: JSON.stringify escapes C0 controls and lone surrogates but leaves raw the
 * rest of what acts on a terminal or a log viewer, or hides text from its reader (C1 controls, bidi overrides,
 * U+2028/2029, tag characters, variation selectors, fillers): the same classes as escapeText, escaped the JSON
 * way (`\uHHHH`, an astral code point as its surrogate pair), so the JSON stays valid and its value unchanged.
 * Private-use and unassigned code points stay raw here: they neither act nor hide (a viewer draws a box), and
 * escaping them would triple their bytes in an SNS message that carries the JSON three times under 256 KB,
 * trimming evidence sooner (and a megabyte of them took seconds to escape at every trimming step).
 */
export function safeJson(value: unknown): string {
  const json = JSON.stringify(value);
  return PRINTABLE_ASCII.test(json) ? json : json.replace(JSON_UNSAFE, jsonEscape);
}

/** Each UTF-16 unit as `\uHHHH`: an astral code point as its surrogate pair, the only form JSON has for it. */
function jsonEscape(ch: string): string {
  return ch.length === 1
    ? `\\u${hex4(ch.charCodeAt(0))}`
    : `\\u${hex4(ch.charCodeAt(0))}\\u${hex4(ch.charCodeAt(1))}`;
}
