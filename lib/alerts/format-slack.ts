import type { Alert } from "./alert.js";
import { processTree } from "./format-text.js";
import { SLACK_LIMITS, slackCode, slackLiteral, slackPlain, slackText } from "./slack-escape.js";

/** The few Block Kit shapes the alert uses; typed here rather than pulling in @slack/types for four blocks. */
export interface SlackPlainText {
  type: "plain_text";
  text: string;
}

export interface SlackMrkdwn {
  type: "mrkdwn";
  text: string;
  /** Always true: no automatic linking of bare URLs, channel names or mentions in anything we post. */
  verbatim: true;
}

export type SlackTextObject = SlackPlainText | SlackMrkdwn;

export interface SlackHeaderBlock {
  type: "header";
  text: SlackPlainText;
}

export type SlackSectionBlock =
  | { type: "section"; text: SlackTextObject }
  | { type: "section"; fields: SlackTextObject[] };

export interface SlackContextBlock {
  type: "context";
  elements: SlackTextObject[];
}

export type SlackBlock = SlackHeaderBlock | SlackSectionBlock | SlackContextBlock;

/** An incoming-webhook payload: `text` is what notifications and screen readers show. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** Longest process-tree line in the code block: the utility's line always fits with room for ancestors. */
const MAX_TREE_LINE = 1000;
const FENCE = "```";

const mrkdwn = (text: string): SlackMrkdwn => ({ type: "mrkdwn", text, verbatim: true });

/**
 * The alert as a Block Kit message: header, the facts as fields, why, the process tree, triage, and the
 * rule and alert ids. Every string of the alert goes through an escaper (the notifier receives the alert
 * as JSON from SNS, so even the enums are only as trusted as the topic), and every block is capped to
 * Slack's limits.
 */
export function buildSlackMessage(alert: Alert): SlackMessage {
  return {
    // The fallback is parsed as mrkdwn (notifications, screen readers), the header as plain_text: the same
    // title, each escaped for where it lands.
    text: slackTitle(alert, slackText),
    blocks: [
      { type: "header", text: { type: "plain_text", text: slackTitle(alert, slackPlain) } },
      { type: "section", fields: factFields(alert).map(mrkdwn) },
      {
        type: "section",
        text: mrkdwn(`${label("Why it is suspicious")}\n${slackText(alert.location.reason, 2800)}`),
      },
      { type: "section", text: mrkdwn(treeText(alert)) },
      { type: "section", text: mrkdwn(triageText(alert.triage)) },
      { type: "context", elements: [mrkdwn(contextText(alert))] },
    ],
  };
}

/**
 * `[SEVERITY] <utility> run from <location> on <host>` within the header's 150 characters: severity,
 * utility and host get fixed shares, the location path the rest, so the host is never cut off by a long path.
 */
function slackTitle(alert: Alert, render: (untrusted: string, max: number) => string): string {
  const severity = render(String(alert.severity).toUpperCase(), 16);
  const utility = render(alert.utility.name, 32);
  const host = render(alert.host.name, 48);
  const fixed = `[${severity}] ${utility} run from  on ${host}`.length;
  const path = render(alert.location.path, SLACK_LIMITS.headerText - fixed);
  return `[${severity}] ${utility} run from ${path} on ${host}`;
}

const label = (name: string): string => `*${slackText(name, 64)}*`;

/** Each field stays far below Slack's 2000 characters: the caps below add up to at most about 1200. */
function factFields(alert: Alert): string[] {
  const field = (name: string, value: string) => `${label(name)}\n${value}`;
  const { location: loc, dedup } = alert;
  const container = alert.container
    ? `${slackLiteral(alert.container.id, 128)}${alert.container.image ? ` ${slackLiteral(alert.container.image, 512)}` : ""}`
    : "none";
  const user = alert.user.name
    ? `${slackLiteral(alert.user.name, 128)}${alert.user.id ? ` (uid ${slackLiteral(alert.user.id, 64)})` : ""}`
    : alert.user.id
      ? `uid ${slackLiteral(alert.user.id, 64)}`
      : "unknown";
  const seen =
    dedup.count > 1
      ? `${slackText(dedup.firstSeen, 64)} · seen ${slackText(String(dedup.count), 16)} times`
      : `${slackText(dedup.firstSeen, 64)} · first sighting`;
  const attack = capList(
    alert.attack.map((t) => `${slackText(t.id, 32)} ${slackText(t.name, 128)}`),
    ", ",
    800,
  );
  return [
    field("Severity", slackText(String(alert.severity).toUpperCase(), 16)),
    field("Utility", `${slackLiteral(alert.utility.name, 128)} (${slackText(alert.utility.category, 32)})`),
    field("Host", slackLiteral(alert.host.name, 256)),
    field("Container", container),
    field("User", user),
    field(
      "Location",
      `${slackLiteral(loc.path, 1024)}\nkind ${slackText(loc.kind, 32)}, depth ${slackText(String(loc.depth), 16)}, tier ${slackText(loc.tier, 32)}`,
    ),
    field("Time", slackText(alert.time, 64)),
    field("First seen / count", seen),
    field("ATT&CK", attack === "" ? "none" : attack),
  ];
}

/**
 * Escaped items joined until `max`, then a count of the rest: a hostile alert with thousands of entries
 * still yields a valid block.
 */
function capList(items: readonly string[], separator: string, max: number): string {
  let text = "";
  for (const [i, item] of items.entries()) {
    const next = i === 0 ? item : `${text}${separator}${item}`;
    const rest = items.length - i - 1;
    const reserve = rest > 0 ? `${separator}… ${rest} more`.length : 0;
    if (next.length + reserve > max) return `${text}${i === 0 ? "" : separator}… ${items.length - i} more`;
    text = next;
  }
  return text;
}

/**
 * The process tree as processTree() draws it for the e-mail, root first, in a code block. Over Slack's
 * 3000 characters, far ancestors go first, then the utility's own earlier images beyond the nearest, so the
 * utility's line and its closest lineage (where the dropped file usually is) always remain.
 */
function treeText(alert: Alert): string {
  const head = `${label("Process tree")} (root first)\n${FENCE}\n`;
  const tail = `\n${FENCE}`;
  const budget = SLACK_LIMITS.sectionText - head.length - tail.length;
  const lines = processTree(alert).map((line) => slackCode(line, MAX_TREE_LINE));
  const fits = (body: readonly string[]) => body.join("\n").length <= budget;
  if (fits(lines)) return `${head}${lines.join("\n")}${tail}`;

  const groups = nodeGroups(alert, lines);
  const self = groups.pop() ?? [];
  const [selfLine = "", ...selfChain] = self;
  const aboveMarker = (n: number) => `… ${n} line(s) toward the root not shown; the JSON alert has them all`;
  const belowMarker = (n: number) => `   … ${n} earlier image(s) not shown`;
  // Both markers' longest forms are reserved up front, so whatever is kept fits with them.
  let room =
    budget - aboveMarker(lines.length).length - belowMarker(lines.length).length - 2 - selfLine.length;
  const keptChain: string[] = [];
  for (const line of selfChain) {
    if (line.length + 1 > room) break;
    keptChain.push(line);
    room -= line.length + 1;
  }
  const keptGroups: string[][] = [];
  for (const group of [...groups].reverse()) {
    const size = group.reduce((n, line) => n + line.length + 1, 0);
    if (size > room) break;
    keptGroups.unshift(group);
    room -= size;
  }
  const droppedAbove = groups.length - keptGroups.length;
  const droppedAboveLines = groups.slice(0, droppedAbove).reduce((n, g) => n + g.length, 0);
  const droppedBelow = selfChain.length - keptChain.length;
  const body = [
    ...(droppedAboveLines > 0 ? [aboveMarker(droppedAboveLines)] : []),
    ...keptGroups.flat(),
    selfLine,
    ...keptChain,
    ...(droppedBelow > 0 ? [belowMarker(droppedBelow)] : []),
  ];
  return `${head}${body.join("\n")}${tail}`;
}

/**
 * processTree() lines grouped by process: each ancestor (root first) with its earlier images, then the
 * utility's process with its own. Should the line count ever disagree with the alert, each line is its own
 * group, which still trims from the root and keeps the last line.
 */
function nodeGroups(alert: Alert, lines: readonly string[]): string[][] {
  const sizes = [
    ...[...alert.ancestors].reverse().map((a) => 1 + a.execChain.length),
    1 + alert.process.execChain.length,
  ];
  if (sizes.reduce((a, b) => a + b, 0) !== lines.length) return lines.map((line) => [line]);
  const groups: string[][] = [];
  let i = 0;
  for (const size of sizes) {
    groups.push(lines.slice(i, i + size));
    i += size;
  }
  return groups;
}

/** Numbered steps; each is capped so that a hostile alert cannot push the block over 3000 characters. */
function triageText(steps: readonly string[]): string {
  const head = `${label("Triage")}\n`;
  const numbered = steps.map((step, i) => `${i + 1}. ${slackText(step, 600)}`);
  const list = capList(numbered, "\n", SLACK_LIMITS.sectionText - head.length);
  return `${head}${list === "" ? "none" : list}`;
}

function contextText(alert: Alert): string {
  const trimmed = alert.trimmed ? " · trimmed to fit a transport limit" : "";
  return `rule ${slackLiteral(alert.rule.id, 128)} v${slackText(alert.rule.version, 32)} · alert ${slackLiteral(alert.id, 128)}${trimmed}`;
}
