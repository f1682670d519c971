import type { SlackMessage } from "../../lib/alerts/format-slack.js";
import { SLACK_LIMITS } from "../../lib/alerts/slack-escape.js";

/**
 * Checks a payload against the Block Kit limits Slack enforces (it answers `invalid_blocks` otherwise), on the
 * parsed JSON so that whatever the notifier would post is what is checked. Throws one error listing every
 * problem.
 */
export function assertValidBlockKit(message: SlackMessage | unknown): void {
  const problems: string[] = [];
  const m = message as { text?: unknown; blocks?: unknown };
  if (typeof m.text !== "string" || m.text.length === 0) problems.push("text: missing or empty");
  else if (m.text.length > SLACK_LIMITS.messageText) problems.push(`text: ${m.text.length} characters`);
  if (!Array.isArray(m.blocks) || m.blocks.length === 0) problems.push("blocks: missing or empty");
  else if (m.blocks.length > SLACK_LIMITS.blocks) problems.push(`blocks: ${m.blocks.length} > 50`);
  for (const [i, block] of (Array.isArray(m.blocks) ? m.blocks : []).entries()) {
    const b = block as Record<string, unknown>;
    const at = `blocks[${i}] (${String(b.type)})`;
    switch (b.type) {
      case "header":
        checkText(b.text, `${at}.text`, SLACK_LIMITS.headerText, problems, "plain_text");
        break;
      case "section": {
        if (b.text === undefined && b.fields === undefined) problems.push(`${at}: neither text nor fields`);
        if (b.text !== undefined) checkText(b.text, `${at}.text`, SLACK_LIMITS.sectionText, problems);
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length === 0) problems.push(`${at}.fields: not a list`);
          else if (b.fields.length > SLACK_LIMITS.sectionFields) {
            problems.push(`${at}.fields: ${b.fields.length} > ${SLACK_LIMITS.sectionFields}`);
          } else {
            b.fields.forEach((f, k) => {
              checkText(f, `${at}.fields[${k}]`, SLACK_LIMITS.fieldText, problems);
            });
          }
        }
        break;
      }
      case "context":
        if (!Array.isArray(b.elements) || b.elements.length === 0) problems.push(`${at}.elements: empty`);
        else if (b.elements.length > SLACK_LIMITS.contextElements) problems.push(`${at}.elements: > 10`);
        else {
          b.elements.forEach((e, k) => {
            checkText(e, `${at}.elements[${k}]`, SLACK_LIMITS.contextText, problems);
          });
        }
        break;
      case "divider":
        break;
      default:
        problems.push(`${at}: unknown block type`);
    }
  }
  if (problems.length > 0) throw new Error(`invalid Block Kit payload:\n  ${problems.join("\n  ")}`);
}

function checkText(
  value: unknown,
  at: string,
  max: number,
  problems: string[],
  only?: "plain_text" | "mrkdwn",
): void {
  const t = value as { type?: unknown; text?: unknown } | undefined;
  if (t === undefined || (t.type !== "plain_text" && t.type !== "mrkdwn")) {
    problems.push(`${at}: not a text object`);
    return;
  }
  if (only !== undefined && t.type !== only) problems.push(`${at}: must be ${only}`);
  if (typeof t.text !== "string" || t.text.length === 0) problems.push(`${at}: empty text`);
  else if (t.text.length > max) problems.push(`${at}: ${t.text.length} characters > ${max}`);
}

export interface RenderedText {
  /** How Slack parses it; the top-level fallback `text` is mrkdwn. */
  type: "plain_text" | "mrkdwn";
  text: string;
}

/** Every string Slack would render or parse from the payload: the fallback and each text object's text. */
export function slackTexts(message: SlackMessage): RenderedText[] {
  const texts: RenderedText[] = [{ type: "mrkdwn", text: message.text }];
  for (const block of message.blocks) {
    if (block.type === "header") texts.push(block.text);
    else if (block.type === "context") texts.push(...block.elements);
    else if ("fields" in block) texts.push(...block.fields);
    else texts.push(block.text);
  }
  return texts.map(({ type, text }) => ({ type, text }));
}

/**
 * What in one rendered text could act on Slack or mislead its reader; empty when the text is inert. Our
 * templates never emit a raw `<` or `>`, so any is telemetry that escaped the escapers (a mention, a link, a
 * quote); an `&` must start one of the three entities; no bare broadcast word; no control, bidi, zero-width or
 * hidden character (newlines belong to the template and are checked by the callers); in mrkdwn, code fences
 * and spans balanced (plain_text parses no backticks).
 */
export function activeMarkup(text: string, type: RenderedText["type"] = "mrkdwn"): string[] {
  const found: string[] = [];
  if (/[<>]/.test(text)) found.push("raw < or >");
  if (/&(?!amp;|lt;|gt;)/.test(text)) found.push("raw &");
  if (/@(channel|here|everyone|group)/i.test(text)) found.push("broadcast mention");
  if (/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(text)) found.push("control character");
  if (/[\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/.test(text))
    found.push("invisible or bidi");
  if (/[\u{e0000}-\u{e007f}\ufff9-\ufffb\u180e\u3164\uffa0\u115f]|\u1160|\u034f/u.test(text))
    found.push("hidden");
  if (/(?:[^\ud800-\udbff]|^)[\udc00-\udfff]|[\ud800-\udbff](?![\udc00-\udfff])/.test(text)) {
    found.push("lone surrogate");
  }
  if (type === "plain_text") return found;
  const fences = text.split(FENCE).length - 1;
  if (fences % 2 !== 0) found.push("unbalanced code fence");
  const ticks = text.split(FENCE).join("").split("`").length - 1;
  if (ticks % 2 !== 0) found.push("unbalanced code span");
  return found;
}

const FENCE = "```";
