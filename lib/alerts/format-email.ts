import type { Alert } from "./alert.js";
import { formatAlertText } from "./format-text.js";

/**
 * The body of the e-mail an alert becomes (the SNS `email` and `default` text; the subject is snsSubject in
 * lib/alerts/sns-message.ts, which knows SNS's subject rules). Everything
 * from telemetry is already escaped by formatAlertText (controls, bidi overrides, new lines made visible);
 * here URLs are defanged as well, because mail clients turn a bare `https://…` in plain text into a link, and a
 * command line must not hand the reader a clickable link to the attacker's server.
 */
export function formatEmailBody(alert: Alert): string {
  return defangLinks(formatAlertText(alert));
}

/**
 * `https://evil.example/x` → `hxxps[://]evil.example/x`, `www.evil.example` → `www[.]evil.example`,
 * `ftp://…` → `fxp[://]…`: the analyst's convention for indicators, readable and never auto-linked.
 * One linear pass with bounded patterns.
 */
export function defangLinks(text: string): string {
  return text
    .replace(/\b(h)tt(ps?):\/\//gi, "$1xx$2://")
    .replace(/\b(f)t(ps?):\/\//gi, "$1x$2://")
    .replace(/:\/\//g, "[://]")
    .replace(/\bwww\./gi, "www[.]");
}
