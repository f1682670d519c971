import type { Alert } from "./alert.js";
import { defang } from "./defang.js";
import { formatAlertText } from "./format-text.js";

/**
 * The body of the e-mail an alert becomes (the SNS `email` and `default` text; the subject is snsSubject in
 * lib/alerts/sns-message.ts, which knows SNS's subject rules). Everything from telemetry is already escaped by
 * formatAlertText (controls, format and invisible characters, new lines made visible); here every URL, host
 * name, address and IPv4 address is defanged as well (lib/alerts/defang.ts), because mail clients turn them into
 * links in plain text, and a command line must not hand the reader a clickable link to the attacker's server.
 */
export function formatEmailBody(alert: Alert): string {
  return defang(formatAlertText(alert));
}
