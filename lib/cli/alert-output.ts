import type { Alert } from "../alerts/alert.js";
import { safeJson } from "../alerts/escape.js";
import { formatEmailBody } from "../alerts/format-email.js";
import { buildSlackMessage } from "../alerts/format-slack.js";
import { formatAlertText, formatTriageOnce } from "../alerts/format-text.js";
import { toOcsfDetectionFinding } from "../alerts/ocsf-finding.js";
import { snsSubject } from "../alerts/sns-message.js";

/**
 * What `--output` prints per alert. The JSON forms are one document per line on stdout and nothing else, for
 * pipes; `email` and `slack` show exactly what recipients get, so a rule change can be previewed.
 */
export const OUTPUT_FORMATS = ["text", "json", "ocsf", "email", "slack"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const RENDER: Readonly<Record<OutputFormat, (alert: Alert) => string>> = {
  text: (alert) => formatAlertText(alert),
  json: (alert) => safeJson(alert),
  ocsf: (alert) => safeJson(toOcsfDetectionFinding(alert)),
  email: (alert) => `Subject: ${snsSubject(alert)}\n\n${formatEmailBody(alert)}`,
  slack: (alert) => safeJson(buildSlackMessage(alert)),
};

/** Multi-line reports are separated by a blank line; JSON lines are not. */
const MULTI_LINE: ReadonlySet<OutputFormat> = new Set(["text", "email"]);

export interface AlertOutputOptions {
  /** text: the triage steps in every report; otherwise once, after the last one. */
  readonly triage?: boolean;
}

export function alertWriter(
  output: OutputFormat,
  write: (text: string) => unknown,
  options: AlertOutputOptions = {},
): (alert: Alert) => void {
  const render =
    output === "text"
      ? (alert: Alert) => formatAlertText(alert, { triage: options.triage ?? true })
      : RENDER[output];
  let count = 0;
  return (alert) => {
    const separator = MULTI_LINE.has(output) && count++ > 0 ? "\n" : "";
    write(`${separator}${render(alert)}\n`);
  };
}

/** Alerts in event-time order; alerts of the same instant keep the order they were raised in. */
export const inEventTimeOrder = (alerts: readonly Alert[]): Alert[] =>
  alerts
    .map((alert, i) => ({ alert, i, t: Date.parse(alert.time) }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.alert);

/**
 * The alerts of one input, held until it ends and then printed in event-time order: the pipeline raises them
 * per batch, host by host, so a report read top to bottom would otherwise jump back in time. The text output
 * ends with the triage steps, once (or has them in every report with `triage`).
 */
export function alertReport(output: OutputFormat, options: AlertOutputOptions = {}) {
  const alerts: Alert[] = [];
  return {
    add: (alert: Alert): void => {
      alerts.push(alert);
    },
    write: (write: (text: string) => unknown): void => {
      const ordered = inEventTimeOrder(alerts);
      const writeAlert = alertWriter(output, write, { triage: options.triage ?? false });
      for (const alert of ordered) writeAlert(alert);
      if (output === "text" && options.triage !== true && ordered.length > 0) {
        write(`\n${formatTriageOnce(ordered)}\n`);
      }
    },
  };
}
