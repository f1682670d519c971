import type { Alert } from "../alerts/alert.js";
import { safeJson } from "../alerts/escape.js";
import { formatEmailBody } from "../alerts/format-email.js";
import { buildSlackMessage } from "../alerts/format-slack.js";
import { formatAlertText } from "../alerts/format-text.js";
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

export function alertWriter(output: OutputFormat, write: (text: string) => unknown): (alert: Alert) => void {
  const render = RENDER[output];
  let count = 0;
  return (alert) => {
    const separator = MULTI_LINE.has(output) && count++ > 0 ? "\n" : "";
    write(`${separator}${render(alert)}\n`);
  };
}
