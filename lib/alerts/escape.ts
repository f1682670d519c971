/**
 * Untrusted text from telemetry (command lines, paths, host names) made inert for a terminal or a plain-text
 * report: C0/C1 controls (ANSI escape sequences start with ESC or CSI), DEL, line and paragraph separators,
 * bidirectional overrides (U+202E makes `exe.sh` read as `hs.exe`) and zero-width characters become visible
 * escapes. One linear pass, no backtracking.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

export function escapeText(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    if (ch === "\n") return "\\n";
    if (ch === "\t") return "\\t";
    if (ch === "\r") return "\\r";
    const code = ch.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** Escaped and cut to `max` characters with a visible marker. */
export function escapeAndTruncate(text: string, max: number): string {
  if (text.length <= max) return escapeText(text);
  // Never split a surrogate pair: a lone surrogate is invalid Unicode that SNS and Slack refuse.
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
 * JSON for a line-oriented consumer: JSON.stringify escapes C0 controls but leaves C1 controls, bidi
 * overrides and U+2028/2029 raw, which a terminal or a log viewer may act on. Escaping them keeps valid JSON.
 */
export function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
