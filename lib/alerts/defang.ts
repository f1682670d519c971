/**
 * Indicators in an e-mail made unclickable, the analyst's convention: `hxxps[://]evil[.]example/x`,
 * `ops[@]evil[.]example`, `mailto[:]…`, `192[.]0[.]2[.]1`. Mail clients link more than URLs with a scheme:
 * Gmail, Outlook and Apple Mail turn a bare `name.tld` (`pastebin.com/raw/x`), an address and an IPv4 address
 * in plain text into links, so every token that looks like one of them is defanged, wherever it stands.
 *
 * "Host-like" is decided here without a list of TLDs, because a list goes stale and clients differ: a run of
 * label characters (letters, marks, digits, `-`, `_`) and dots (with the IDNA dots U+3002, U+FF0E, U+FF61) is
 * host-like when a label after a dot is a possible TLD (2–63 letters, or an `xn--` IDN label), when it holds
 * four numeric labels of 1–3 digits in a row (an IPv4 address; a version `1.2.3.4` is defanged too), or when it
 * starts a label `www`. Then every dot between two labels of the run becomes `[.]` (the dot kept as it was).
 * This is over-inclusive on purpose: many file extensions are TLDs (`.sh`, `.py`, `.pl`, `.zip`, `.mov`), so
 * `dropper.sh` is as linkable as `dropper.com`, and a path component can be linked as a host by a client that
 * does not treat `/` as the start of a path (`/tmp/evil.com`). Paths therefore read `/tmp/dropper[.]sh`:
 * still readable, and a dot with nothing on one side (`/tmp/.d`, `x.`, `..`) stays as it is. Numbers such as
 * `v1.0.0`, `18.628Z` or `T1071.004` have no alphabetic label and stay as they are.
 *
 * Linear in the text, whatever it holds: the patterns are literals or single character classes (no nested
 * quantifiers, no backtracking), and host names are found from their dots: each run of label characters
 * around a dot is scanned once and split once, so text without dots (most of a report) costs one search.
 */
export function defang(text: string): string {
  const schemesDone = text
    .replace(/\b(h)tt(ps?):\/\//gi, "$1xx$2://")
    .replace(/\b(f)t(ps?):\/\//gi, "$1x$2://")
    .replace(/:\/\//g, "[://]")
    .replace(/(mailto):/gi, "$1[:]");
  return defangHosts(schemesDone).replace(ADDRESS_AT, "[@]");
}

/**
 * An `@` with something on both sides is the middle of an address (`ops@evil.example`, `user:pw@host`,
 * `"x"@[192.0.2.1]`). A word that starts with `@` (`dig @192.0.2.53`, `@channel`) is not one.
 */
const ADDRESS_AT = /(?<=\S)@(?=\S)/g;

/** Dots as a resolver reads them: IDNA maps the ideographic and fullwidth full stops to `.`. */
const DOT = /[.\u3002\uff0e\uff61]/g;
const DOT_SPLIT = /([.\u3002\uff0e\uff61])/;
const isDot = (ch: string): boolean => ch === "." || ch === "\u3002" || ch === "\uff0e" || ch === "\uff61";

/** A character of a host label as a linkifier reads it: a letter, mark or digit of any script, `-`, `_`. */
const LABEL_CHAR = /^[\p{L}\p{M}\p{N}_-]$/u;

function isLabelChar(ch: string): boolean {
  const code = ch.charCodeAt(0);
  if (code >= 0x80) return LABEL_CHAR.test(ch);
  const lower = code | 0x20;
  return (lower >= 0x61 && lower <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x2d || code === 0x5f;
}

/** Each run of label characters and dots that holds a dot, defanged when host-like; the rest as it is. */
function defangHosts(text: string): string {
  let out = "";
  let done = 0;
  DOT.lastIndex = 0;
  for (let dot = DOT.exec(text); dot !== null; dot = DOT.exec(text)) {
    // The first dot of a run: its labels to the left are label characters only, back to the last run's end.
    let start = dot.index;
    for (let ch = charBefore(text, start); start > done && isLabelChar(ch); ch = charBefore(text, start)) {
      start -= ch.length;
    }
    let end = dot.index;
    for (
      let ch = charAt(text, end);
      end < text.length && (isDot(ch) || isLabelChar(ch));
      ch = charAt(text, end)
    ) {
      end += ch.length;
    }
    out += text.slice(done, start) + defangRun(text.slice(start, end));
    done = end;
    DOT.lastIndex = end;
  }
  return out + text.slice(done);
}

/** The code point that starts at `i` (a surrogate pair whole, a lone surrogate alone). */
function charAt(text: string, i: number): string {
  const pair = isHigh(text.charCodeAt(i)) && isLow(text.charCodeAt(i + 1));
  return text.slice(i, pair ? i + 2 : i + 1);
}

/** The code point that ends at `end`. */
function charBefore(text: string, end: number): string {
  const pair = end >= 2 && isLow(text.charCodeAt(end - 1)) && isHigh(text.charCodeAt(end - 2));
  return text.slice(pair ? end - 2 : end - 1, end);
}

const isHigh = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/** A label that could be a top-level domain. The length is checked before the pattern, so each test is O(1). */
const TLD = /^(?:\p{L}[\p{L}\p{M}]*|xn--[a-z0-9-]+)$/iu;
const OCTET = /^[0-9]{1,3}$/;

function defangRun(run: string): string {
  // Alternating labels and dots: labels at even indexes, the dots between them at odd ones.
  const parts = run.split(DOT_SPLIT);
  if (parts.length < 3 || !hostLike(parts)) return run;
  let out = parts[0]!;
  for (let i = 1; i < parts.length; i += 2) {
    const dot = parts[i]!;
    const next = parts[i + 1]!;
    out += parts[i - 1] !== "" && next !== "" ? `[${dot}]${next}` : `${dot}${next}`;
  }
  return out;
}

function hostLike(parts: readonly string[]): boolean {
  let octets = 0;
  for (let i = 0; i < parts.length; i += 2) {
    const label = parts[i]!;
    const previous = i >= 2 ? parts[i - 2]! : "";
    const next = i + 2 < parts.length ? parts[i + 2]! : "";
    if (previous !== "" && label.length >= 2 && label.length <= 63 && TLD.test(label)) return true;
    if (label.length === 3 && label.toLowerCase() === "www" && next !== "") return true;
    octets = label.length <= 3 && OCTET.test(label) ? octets + 1 : 0;
    if (octets === 4) return true;
  }
  return false;
}
