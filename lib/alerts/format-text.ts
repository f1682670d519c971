import { networkTargets } from "../rule/targets.js";
import type { Alert, AlertImage } from "./alert.js";
import { commandLine, escapeAndTruncate, escapeText } from "./escape.js";

/** Longest command line shown per tree node; the JSON output keeps the full (capped) argv. */
const MAX_LINE = 240;

const KIND_LABEL = {
  self: "the utility itself",
  "exec-chain": "an earlier image of the process",
  ancestor: "ancestor executable",
  script: "script run by an ancestor",
} as const;

/** One-line title: severity, utility, location, host. Every part from telemetry is escaped. */
export function alertTitle(alert: Alert): string {
  return `[${alert.severity.toUpperCase()}] ${escapeText(alert.utility.name)} run from ${escapeAndTruncate(alert.location.path, 80)} on ${escapeAndTruncate(alert.host.name, 64)}`;
}

/**
 * The process tree, root-most ancestor first, each generation indented under its parent; the nodes where a
 * suspicious file was found are marked.
 */
export function processTree(alert: Alert): string[] {
  const lines: string[] = [];
  const marks = new Map<number, string[]>();
  for (const m of alert.matches) {
    const list = marks.get(m.depth) ?? [];
    list.push(`${m.kind} ${escapeAndTruncate(m.path, 120)}`);
    marks.set(m.depth, list);
  }
  const nodes = [...alert.ancestors].reverse();
  nodes.forEach((node, i) => {
    const depth = alert.ancestors.length - i;
    const who = node.user?.name ?? node.user?.id;
    lines.push(
      `${indent(i)}${nodeLine(node.pid, node, who ?? undefined)}${mark(marks.get(depth))}`,
      ...node.execChain.map((img) => `${under(i)}(earlier image) ${imageLine(img)}`),
    );
  });
  const self = alert.process;
  const who = alert.user.name ?? alert.user.id ?? undefined;
  const selfNode = { executable: self.executable, args: self.args, script: null };
  lines.push(
    `${indent(nodes.length)}${nodeLine(self.pid, selfNode, who)}${mark([...(marks.get(0) ?? []), "utility"])}`,
    ...self.execChain.map((img) => `${under(nodes.length)}(earlier image) ${imageLine(img)}`),
  );
  return lines;
}

function indent(level: number): string {
  return level === 0 ? "" : `${"   ".repeat(level - 1)}└─ `;
}

/** Continuation lines of a node: aligned under its text, no connector of their own. */
function under(level: number): string {
  return `${"   ".repeat(level)}  `;
}

function nodeLine(pid: number, image: AlertImage, user: string | undefined): string {
  const userPart = user === undefined ? "" : ` user=${escapeAndTruncate(user, 32)}`;
  return `[${pid}]${userPart} ${imageLine(image)}`;
}

function imageLine(image: AlertImage): string {
  const script = image.script ? `  script=${escapeAndTruncate(image.script, 120)}` : "";
  const args = image.args.length > 0 ? `  $ ${escapeAndTruncate(commandLine(image.args), MAX_LINE)}` : "";
  return `${escapeAndTruncate(image.executable, 120)}${args}${script}`;
}

function mark(items: readonly string[] | undefined): string {
  return items && items.length > 0 ? `   ◀ ${items.join(", ")}` : "";
}

/** Targets listed per alert; the JSON output keeps the utility's whole argv. */
const MAX_TARGETS = 8;

/**
 * The destinations parsed from the utility's arguments, as the loopback exception reads them (lib/rule/targets.ts):
 * where to look first in DNS, proxy and flow logs. None for a listener, a target read from a file, or a
 * utility whose arguments name no host.
 */
export function targetsLine(alert: Alert): string {
  const targets = networkTargets(alert.utility.name, alert.utility.args) ?? [];
  if (targets.length === 0) return "none recognised";
  const shown = targets.slice(0, MAX_TARGETS).map((t) => escapeAndTruncate(t, 120));
  const more = targets.length > MAX_TARGETS ? `, … ${targets.length - MAX_TARGETS} more` : "";
  return `${shown.join(", ")}${more}`;
}

/** The triage steps as a numbered list, indented by `indent`. */
export function triageLines(steps: readonly string[], indent: string): string[] {
  return steps.map((step, i) => `${indent}${i + 1}. ${escapeText(step)}`);
}

/**
 * The triage steps once for a run of alerts (the CLI's text output), per rule: every alert of a rule has the
 * same steps, and repeating them in each report buries the facts that differ.
 */
export function formatTriageOnce(alerts: readonly Alert[]): string {
  const byRule = new Map<string, { alert: Alert; count: number }>();
  for (const alert of alerts) {
    const key = `${alert.rule.id} v${alert.rule.version}`;
    const seen = byRule.get(key);
    if (seen) seen.count++;
    else byRule.set(key, { alert, count: 1 });
  }
  return [...byRule]
    .map(([rule, { alert, count }]) =>
      [
        `triage, for ${count === 1 ? "the alert" : `each of the ${count} alerts`} above (rule ${escapeText(rule)}):`,
        ...triageLines(alert.triage, "  "),
      ].join("\n"),
    )
    .join("\n\n");
}

/**
 * The readable report of one alert (CLI text output, and the base of the email body). `triage: false` leaves
 * the steps out, for a run of alerts followed by formatTriageOnce.
 */
export function formatAlertText(alert: Alert, options: { readonly triage?: boolean } = {}): string {
  const loc = alert.location;
  const container = alert.container
    ? `${escapeAndTruncate(alert.container.id, 64)}${alert.container.image ? ` (${escapeAndTruncate(alert.container.image, 120)})` : ""}`
    : "-";
  const user = alert.user.name
    ? `${escapeText(alert.user.name)}${alert.user.id ? ` (uid ${escapeText(alert.user.id)})` : ""}`
    : alert.user.id
      ? `uid ${escapeText(alert.user.id)}`
      : "unknown";
  const others = alert.matches.filter((m) => m.path !== loc.path || m.depth !== loc.depth);
  const lines = [
    alertTitle(alert),
    `  what       ${escapeText(alert.utility.name)} (${alert.utility.category}) executed; ${KIND_LABEL[loc.kind]} is in a writable directory`,
    `  why        ${escapeText(loc.reason)}`,
    `  targets    ${targetsLine(alert)}`,
    `  location   ${escapeAndTruncate(loc.path, 200)}  (kind ${loc.kind}, depth ${loc.depth}, tier ${loc.tier})`,
    ...others.map(
      (m) =>
        `  also       ${escapeAndTruncate(m.path, 200)}  (kind ${m.kind}, depth ${m.depth}, tier ${m.tier})`,
    ),
    `  time       ${alert.time}`,
    `  first seen ${alert.dedup.firstSeen}, ${alert.dedup.count === 1 ? "first sighting" : `seen ${alert.dedup.count} times`} in this dedup window`,
    `  host       ${escapeAndTruncate(alert.host.name, 128)}   container ${container}`,
    `  user       ${user}`,
    `  attack     ${alert.attack.map((t) => `${t.id} ${t.name} (${t.tactic})`).join("; ")}`,
    "  process tree",
    ...processTree(alert).map((l) => `    ${l}`),
    ...(options.triage === false ? [] : ["  triage", ...triageLines(alert.triage, "    ")]),
    `  rule ${alert.rule.id} v${alert.rule.version}  alert ${alert.id}  source ${alert.source.format} ${escapeAndTruncate(alert.source.eventId, 128)}`,
  ];
  return lines.join("\n");
}
