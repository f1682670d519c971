import type { Alert } from "./alert.js";
import { escapeText, safeJson } from "./escape.js";
import { formatEmailBody } from "./format-email.js";
import { alertTitle } from "./format-text.js";
import { toOcsfDetectionFinding } from "./ocsf-finding.js";
import { alertCharacters, fitAlert } from "./trim-alert.js";

/**
 * One alert as an SNS publish with `MessageStructure: "json"` (DESIGN §6). Pure: no SDK import, so the size
 * arithmetic is tested without AWS.
 *
 * Message layout (a JSON object, one string per protocol; SNS unescapes each value before delivery):
 * - `default`, `email`: the readable report (formatEmailBody: header, process tree, triage, links defanged);
 * - `sqs`, `lambda`, `https`: the alert document as JSON (the integration contract, lib/alerts/alert.ts).
 *
 * Size: SNS checks message + message attributes against the topic's MaximumMessageSize (262,144 bytes by
 * default). The JSON is in the message three times and the text twice, so a large alert is cut evidence first
 * (lib/alerts/trim-alert.ts): the working directory and long args go, then what no match is in (earlier
 * images, ancestors past the deepest match, the detail of those leading to it); the suspicious paths, the
 * ancestors leading to them and the head of the utility's command line stay. The JSON sent then carries
 * `"trimmed": true` at its top level (absent otherwise) and the text ends with a note. Never throws for size.
 */

/** SNS's default topic MaximumMessageSize: message and attributes together, in UTF-8 bytes. */
export const SNS_MAX_PUBLISH_BYTES = 262_144;
/** SNS: "less than 100 characters". */
export const SNS_SUBJECT_MAX_CHARS = 99;
/** Attribute values stay short enough for filter policies and readable in the console. */
export const SNS_ATTRIBUTE_MAX_CHARS = 256;

/** Structurally the SDK's MessageAttributeValue, without importing the SDK here. */
export interface SnsStringAttribute {
  readonly DataType: "String";
  readonly StringValue: string;
}

export interface SnsMessage {
  /** One line of printable ASCII, at most 99 characters. */
  readonly subject: string;
  /** The JSON object for `MessageStructure: "json"`. */
  readonly message: string;
  readonly attributes: Readonly<Record<string, SnsStringAttribute>>;
  /** The alert was cut to fit; the JSON sent says so too (`"trimmed": true`). */
  readonly trimmed: boolean;
}

/** The document the `sqs` and `https` keys carry (ALERT_JSON_FORMAT). */
export const ALERT_JSON_FORMATS = ["native", "ocsf"] as const;
export type AlertJsonFormat = (typeof ALERT_JSON_FORMATS)[number];

export interface SnsMessageOptions {
  /** The topic's MaximumMessageSize when it was raised above the default (SNS allows up to 1 MiB). */
  readonly maxBytes?: number;
  /**
   * `ocsf`: the `sqs` and `https` keys carry an OCSF Detection Finding (a security data lake, a SIEM), built
   * from the same trimmed alert. The `lambda` key always carries the native alert: the Slack notifier and any
   * Lambda subscriber read the project's own contract.
   */
  readonly jsonFormat?: AlertJsonFormat;
}

const TRIM_NOTE =
  '\n  note       trimmed to fit the SNS message size limit: long args and working directory shortened; earlier images, far ancestors or the detail of ancestors holding no match dropped (the JSON says "trimmed": true)';

export function buildSnsMessage(alert: Alert, options: SnsMessageOptions = {}): SnsMessage {
  const maxBytes = options.maxBytes ?? SNS_MAX_PUBLISH_BYTES;
  const subject = snsSubject(alert);
  const attributes = snsAttributes(alert);
  // The subject is not in AWS's documented sum; counting it costs < 100 bytes and leaves no doubt.
  const fixed = Buffer.byteLength(subject, "utf8") + attributesBytes(attributes);
  const fits = (message: string) => fixed + Buffer.byteLength(message, "utf8") <= maxBytes;

  const format = options.jsonFormat ?? "native";
  const renderMessage = (a: Alert, trimmed: boolean) => render(a, trimmed, format);
  // The message holds the alert's JSON three times (once with ocsf), each at least as long as JSON.stringify
  // writes it, which is at least as long as its strings: an alert far too big is known without rendering it.
  const room = (maxBytes - fixed) / (format === "native" ? 3 : 1);
  const mayFit = (a: Alert) => alertCharacters(a) <= room && JSON.stringify(a).length <= room;
  if (mayFit(alert)) {
    const whole = renderMessage(alert, false);
    if (fits(whole)) return { subject, message: whole, attributes, trimmed: false };
  }

  // Evidence first (lib/alerts/trim-alert.ts); below SNS's minimum size nothing fits: the smallest form goes.
  const trimmed = fitAlert(alert, (candidate) => mayFit(candidate) && fits(renderMessage(candidate, true)));
  const message = renderMessage(trimmed, true);
  return { subject, message, attributes, trimmed: true };
}

/** The subject: alertTitle (already escaped), as printable ASCII, cut between escapes, with "..." when cut. */
export function snsSubject(alert: Alert): string {
  const ascii = toPrintableAscii(alertTitle(alert).replaceAll("…", "...")).trimStart();
  const subject = ascii === "" ? "netutil-detector alert" : ascii;
  return cutEscaped(subject, SNS_SUBJECT_MAX_CHARS);
}

/** String attributes for subscription filter policies. Telemetry-derived values are escaped and capped. */
export function snsAttributes(alert: Alert): Record<string, SnsStringAttribute> {
  return {
    severity: stringAttribute(alert.severity),
    rule_id: stringAttribute(alert.rule.id),
    utility: stringAttribute(attributeValue(alert.utility.name)),
    category: stringAttribute(alert.utility.category),
    host: stringAttribute(attributeValue(alert.host.name)),
  };
}

/** What SNS counts for an attribute: name, data type and value, in UTF-8 bytes. */
export function attributesBytes(attributes: Readonly<Record<string, SnsStringAttribute>>): number {
  let total = 0;
  for (const [name, value] of Object.entries(attributes)) {
    total += Buffer.byteLength(name, "utf8") + value.DataType.length;
    total += Buffer.byteLength(value.StringValue, "utf8");
  }
  return total;
}

function stringAttribute(value: string): SnsStringAttribute {
  return { DataType: "String", StringValue: value };
}

function attributeValue(text: string): string {
  const value = cutEscaped(wellFormed(escapeText(text)), SNS_ATTRIBUTE_MAX_CHARS);
  // SNS rejects an empty String attribute value.
  return value === "" ? "-" : value;
}

function render(alert: Alert, trimmed: boolean, format: AlertJsonFormat): string {
  const text = wellFormed(formatEmailBody(alert)) + (trimmed ? TRIM_NOTE : "");
  const document: Alert = trimmed ? { ...alert, trimmed: true } : alert;
  const json = deliverableJson(document);
  const integration = format === "ocsf" ? deliverableJson(toOcsfDetectionFinding(document)) : json;
  return safeJson({ default: text, email: text, sqs: integration, lambda: json, https: integration });
}

/**
 * safeJson plus the two noncharacters: SNS unescapes the values before delivery, and U+FFFE/U+FFFF are not
 * valid XML characters (SQS subscribers reject them). Lone surrogates are already escaped by JSON.stringify.
 */
function deliverableJson(value: unknown): string {
  return safeJson(value).replace(/[\ufffe\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16)}`);
}

/**
 * Text SNS can deliver as UTF-8 and subscribers as XML characters: a lone surrogate (telemetry JSON may carry
 * one, and a cut may split a pair) or a noncharacter becomes U+FFFD.
 */
const ILL_FORMED = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|[\ufffe\uffff]/g;

function wellFormed(text: string): string {
  return text.replace(ILL_FORMED, "\ufffd");
}

function toPrintableAscii(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    out += code >= 0x20 && code <= 0x7e ? ch : "?";
  }
  return out;
}

/** An escape written by escapeText: cutting inside one would leave a misleading fragment like `\u20`. */
const ESCAPE = /\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|u\{[0-9a-f]{5,6}\}|[ntr])/y;

/** Cut to at most `max` characters ending in "...", never inside an escape or a surrogate pair. */
function cutEscaped(text: string, max: number): string {
  if (text.length <= max) return text;
  const limit = max - 3;
  let end = 0;
  for (let i = 0; i < text.length; ) {
    let size = 1;
    if (text[i] === "\\") {
      ESCAPE.lastIndex = i;
      if (ESCAPE.test(text)) size = ESCAPE.lastIndex - i;
    } else if (isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1))) {
      size = 2;
    }
    if (i + size > limit) break;
    i += size;
    end = i;
  }
  return `${text.slice(0, end).trimEnd()}...`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
