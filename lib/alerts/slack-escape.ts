import { escapeText } from "./escape.js";

/**
 * Slack's documented limits (docs.slack.dev, Block Kit reference). A payload over any of them is refused
 * with `invalid_blocks`, so every text from telemetry is capped before it is placed.
 */
export const SLACK_LIMITS = {
  /** Header block: its plain_text is at most 150 characters. */
  headerText: 150,
  /** Section block `text`, and any text object: at most 3000 characters. */
  sectionText: 3000,
  /** Section block `fields`: at most 10 items … */
  sectionFields: 10,
  /** … of at most 2000 characters each. */
  fieldText: 2000,
  /** Context block: at most 10 elements. */
  contextElements: 10,
  /** A context element; text objects allow 3000, we hold it to the field limit to stay well inside. */
  contextText: 2000,
  /** A message holds at most 50 blocks. */
  blocks: 50,
  /** Top-level `text` (the notification fallback): Slack truncates beyond 40,000 characters. */
  messageText: 40_000,
} as const;

/**
 * Broadcast mentions Slack recognises as bare words when it parses text automatically (`@channel`,
 * `@here`, `@everyone`, and the legacy `@group`). The `@` becomes FULLWIDTH COMMERCIAL AT (U+FF20): it is
 * visible, reads the same, is one UTF-16 unit (so truncation counts are unchanged) and Slack does not treat
 * it as a mention. A zero-width joiner would also break the word, but an invisible character is itself what
 * we flag elsewhere (a copy of the command would silently differ). The keyword is matched as a prefix,
 * whatever follows: `@channelX` cut by truncation to `@channel…` must not become a mention.
 */
const BROADCAST = /@(?=channel|here|everyone|group)/gi;
const FULLWIDTH_AT = "\uff20";

/**
 * Slack uses `&`, `<` and `>` as control characters (`<!channel>`, `<@U123>`, `<https://x|click>`, a line
 * starting with `>` is a quote); its formatting reference says to replace exactly these three with HTML
 * entities and nothing else, since no other entity is decoded.
 */
const ENTITY: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };

/**
 * mrkdwn has no escape character for its formatting marks, so in prose each becomes a visible lookalike
 * that Slack does not parse: `*bold*`, `_italic_`, `~strike~` and a backtick (which would open a code span)
 * from telemetry cannot fake emphasis or swallow the text around it. Each is one UTF-16 unit.
 */
const PROSE_LOOKALIKE: Readonly<Record<string, string>> = {
  "*": "\u2217", // ∗ ASTERISK OPERATOR
  _: "\u02cd", // ˍ MODIFIER LETTER LOW MACRON
  "~": "\u223c", // ∼ TILDE OPERATOR
  "`": "\u02cb", // ˋ MODIFIER LETTER GRAVE ACCENT
};

/**
 * Inside a code span or block Slack applies no emphasis, but a backtick still ends the span, and three end
 * the block: everything after would be parsed as mrkdwn again. mrkdwn cannot escape a backtick, so it
 * becomes MODIFIER LETTER GRAVE ACCENT (U+02CB), visibly a grave accent; a reader sees where the command had
 * one, and a copied command does not run the attacker's `$(…)`-style substitution by accident.
 */
const CODE_LOOKALIKE: Readonly<Record<string, string>> = { "`": "\u02cb" };

type Context = "plain" | "prose" | "code";

function escapeCodePoint(ch: string, context: Context): string {
  const entity = ENTITY[ch];
  if (entity !== undefined) return entity;
  if (context === "prose") {
    const lookalike = PROSE_LOOKALIKE[ch];
    if (lookalike !== undefined) return lookalike;
  } else if (context === "code") {
    const lookalike = CODE_LOOKALIKE[ch];
    if (lookalike !== undefined) return lookalike;
  }
  // The same classes, and the same visible escapes, as the text and e-mail reports (lib/alerts/escape.ts):
  // controls, format and invisible characters (tags, fillers, variation selectors), lone surrogates.
  return escapeText(ch);
}

const marker = (dropped: number): string => `…[+${dropped} chars]`;

/**
 * Escapes code point by code point so the cap counts the text Slack receives (an entity is five characters,
 * a visible escape six) and never cuts through an entity, an escape or a surrogate pair. The marker says how
 * many characters of the original were left out.
 */
function escapeCapped(untrusted: string, context: Context, max: number): string {
  const text = untrusted.replace(BROADCAST, FULLWIDTH_AT);
  const pieces: string[] = [];
  const units: number[] = [];
  let total = 0;
  for (const ch of text) {
    const piece = escapeCodePoint(ch, context);
    pieces.push(piece);
    units.push(ch.length);
    total += piece.length;
  }
  if (total <= max) return pieces.join("");
  let length = 0;
  let consumed = 0;
  let kept = 0;
  for (const [i, piece] of pieces.entries()) {
    const next = consumed + units[i]!;
    if (length + piece.length + marker(text.length - next).length > max) break;
    length += piece.length;
    consumed = next;
    kept = i + 1;
  }
  const cut = marker(text.length - consumed);
  if (cut.length > max) return "…".slice(0, Math.max(0, max));
  return pieces.slice(0, kept).join("") + cut;
}

/** Text for a `plain_text` object (a header): no formatting is parsed there, but entities and controls are. */
export function slackPlain(untrusted: string, max: number): string {
  return escapeCapped(untrusted, "plain", max);
}

/** mrkdwn prose that renders literally: formatting marks become lookalikes, so it cannot fake emphasis. */
export function slackText(untrusted: string, max: number): string {
  return escapeCapped(untrusted, "prose", max);
}

/**
 * mrkdwn for an identifier, path or command line: an inline code span, so `_` in `/tmp/my_tool` and `*` in a
 * glob stay exactly as they are. `max` includes the two backticks. Empty text shows as `(empty)`, since an
 * empty span would render as two stray backticks.
 */
export function slackLiteral(untrusted: string, max: number): string {
  if (untrusted === "") return "(empty)";
  return `\`${escapeCapped(untrusted, "code", max - 2)}\``;
}

/**
 * One line for inside a ``` code block: backticks cannot close the block and a newline in the value shows
 * as `\n` instead of starting a line that looks like the detector's own.
 */
export function slackCode(untrusted: string, max: number): string {
  return escapeCapped(untrusted, "code", max);
}
