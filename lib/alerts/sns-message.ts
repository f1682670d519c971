import type { Alert, AlertAncestor, AlertImage } from "./alert.js";
import { escapeText, safeJson } from "./escape.js";
import { formatEmailBody } from "./format-email.js";
import { alertTitle } from "./format-text.js";
import { toOcsfDetectionFinding } from "./ocsf-finding.js";

/**
 * One alert as an SNS publish with `MessageStructure: "json"` (DESIGN §6). Pure: no SDK import, so the size
 * arithmetic is tested without AWS.
 *
 * Message layout (a JSON object, one string per protocol; SNS unescapes each value before delivery):
 * - `default`, `email`: the readable report (formatEmailBody: header, process tree, triage, links defanged);
 * - `sqs`, `lambda`, `https`: the alert document as JSON (the integration contract, lib/alerts/alert.ts).
 *
 * Size: SNS checks message + message attributes against the topic's MaximumMessageSize (262,144 bytes by
 * default). The JSON is in the message three times and the text twice, so a large alert is trimmed: args are
 * shortened, earlier images of ancestors dropped, then the farthest ancestors; the JSON sent then carries
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
  '\n  note       trimmed to fit the SNS message size limit: long args shortened, earlier images or far ancestors dropped (the JSON says "trimmed": true)';

export function buildSnsMessage(alert: Alert, options: SnsMessageOptions = {}): SnsMessage {
  const maxBytes = options.maxBytes ?? SNS_MAX_PUBLISH_BYTES;
  const subject = snsSubject(alert);
  const attributes = snsAttributes(alert);
  // The subject is not in AWS's documented sum; counting it costs < 100 bytes and leaves no doubt.
  const fixed = Buffer.byteLength(subject, "utf8") + attributesBytes(attributes);
  const fits = (message: string) => fixed + Buffer.byteLength(message, "utf8") <= maxBytes;

  const format = options.jsonFormat ?? "native";
  const renderMessage = (a: Alert, trimmed: boolean) => render(a, trimmed, format);
  const whole = renderMessage(alert, false);
  if (fits(whole)) return { subject, message: whole, attributes, trimmed: false };

  let message = whole;
  for (const level of TRIM_LEVELS) {
    // Every level starts from the alert as built, so that each string is cut once and its marker is exact.
    let trimmed = trimAlert(alert, level);
    if (level.farAncestors) {
      // The largest number of nearest ancestors that fits: the farthest say least about this execution.
      const base = trimmed;
      const kept = largestFitting(base.ancestors.length, (n) =>
        fits(renderMessage(withAncestors(base, n), true)),
      );
      trimmed = withAncestors(base, kept ?? 0);
    }
    message = renderMessage(trimmed, true);
    if (fits(message)) return { subject, message, attributes, trimmed: true };
  }
  // Only a maxBytes far below SNS's minimum gets here: send the smallest form rather than throw.
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

// ---- Trimming -------------------------------------------------------------------------------------------

interface ArgsCap {
  /** Characters kept per argument. */
  readonly chars: number;
  /** Arguments kept per list, the last slot then saying how many were dropped. */
  readonly count: number;
}

interface TrimLevel {
  /** Cap of every other string from telemetry (host, paths, user, ids). */
  readonly fields?: number;
  readonly processArgs?: ArgsCap;
  readonly ancestorArgs?: ArgsCap;
  /** Drop the earlier images of the ancestors. */
  readonly dropAncestorChains?: true;
  /** Then keep only as many of the nearest ancestors as fit. */
  readonly farAncestors?: true;
  /** No ancestors at all, at most this many earlier images of the process and matches. */
  readonly floor?: number;
}

const PATH_MAX = 4096;
const ARGS_4K: ArgsCap = { chars: 4096, count: 128 };
const ARGS_1K: ArgsCap = { chars: 1024, count: 64 };
const ARGS_256: ArgsCap = { chars: 256, count: 32 };

/**
 * Tried in order until the message fits. First what no legitimate alert needs (a string longer than
 * PATH_MAX), then args (the ancestors' sooner than the utility's own, which name its target), then the
 * ancestors' earlier images, then the farthest ancestors; the last levels are a floor for absurd input.
 */
const TRIM_LEVELS: readonly TrimLevel[] = [
  { fields: PATH_MAX },
  { fields: PATH_MAX, processArgs: ARGS_4K, ancestorArgs: ARGS_4K },
  { fields: PATH_MAX, processArgs: ARGS_1K, ancestorArgs: ARGS_1K },
  { fields: PATH_MAX, processArgs: ARGS_1K, ancestorArgs: ARGS_256 },
  { fields: PATH_MAX, processArgs: ARGS_1K, ancestorArgs: ARGS_256, dropAncestorChains: true },
  {
    fields: PATH_MAX,
    processArgs: ARGS_1K,
    ancestorArgs: ARGS_256,
    dropAncestorChains: true,
    farAncestors: true,
  },
  { fields: PATH_MAX, processArgs: ARGS_256, floor: 64 },
  { fields: 256, processArgs: { chars: 64, count: 16 }, floor: 32 },
  { fields: 64, processArgs: { chars: 16, count: 4 }, floor: 8 },
];

function trimAlert(alert: Alert, level: TrimLevel): Alert {
  let out = alert;
  if (level.fields !== undefined) out = capFields(out, level.fields);
  if (level.processArgs !== undefined) out = capProcessArgs(out, level.processArgs);
  if (level.ancestorArgs !== undefined) out = capAncestorArgs(out, level.ancestorArgs);
  if (level.dropAncestorChains) out = dropAncestorChains(out);
  if (level.floor !== undefined) out = capFloor(out, level.floor);
  return out;
}

/** Cut with the same visible marker as escapeAndTruncate, never splitting a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end)}…[+${text.length - end} chars]`;
}

function cutNullable(text: string | null, max: number): string | null {
  return text === null ? null : cut(text, max);
}

function capArgs(args: readonly string[], cap: ArgsCap): string[] {
  const kept = args.length > cap.count ? args.slice(0, cap.count - 1) : args;
  const out = kept.map((a) => cut(a, cap.chars));
  if (args.length > cap.count) out.push(`…[+${args.length - kept.length} args]`);
  return out;
}

function capImage<T extends AlertImage>(image: T, cap: ArgsCap): T {
  return { ...image, args: capArgs(image.args, cap) };
}

/** The utility's own argv, in the process, its earlier images and the utility's view of it. */
function capProcessArgs(alert: Alert, cap: ArgsCap): Alert {
  return {
    ...alert,
    process: {
      ...alert.process,
      args: capArgs(alert.process.args, cap),
      execChain: alert.process.execChain.map((img) => capImage(img, cap)),
    },
    utility: { ...alert.utility, args: capArgs(alert.utility.args, cap) },
  };
}

function capAncestorArgs(alert: Alert, cap: ArgsCap): Alert {
  return {
    ...alert,
    ancestors: alert.ancestors.map((a) => ({
      ...capImage(a, cap),
      execChain: a.execChain.map((img) => capImage(img, cap)),
    })),
  };
}

function dropAncestorChains(alert: Alert): Alert {
  return { ...alert, ancestors: alert.ancestors.map((a) => ({ ...a, execChain: [] })) };
}

function withAncestors(alert: Alert, count: number): Alert {
  return count >= alert.ancestors.length ? alert : { ...alert, ancestors: alert.ancestors.slice(0, count) };
}

/** The largest n in [0, max] for which `fits(n)` holds (monotonic: fewer never grows); undefined if none. */
function largestFitting(max: number, fits: (n: number) => boolean): number | undefined {
  if (!fits(0)) return undefined;
  let low = 0;
  let high = max;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** Every other string that came from telemetry, capped: a 200 KB host name must not cost the process tree. */
function capFields(alert: Alert, max: number): Alert {
  const image = <T extends AlertImage>(img: T): T => ({
    ...img,
    executable: cut(img.executable, max),
    script: cutNullable(img.script, max),
  });
  const user = (u: { id: string | null; name: string | null }) => ({
    id: cutNullable(u.id, max),
    name: cutNullable(u.name, max),
  });
  const ancestor = (a: AlertAncestor): AlertAncestor => ({
    ...image(a),
    user: a.user === null ? null : user(a.user),
    execChain: a.execChain.map(image),
  });
  return {
    ...alert,
    host: { name: cut(alert.host.name, max), id: cutNullable(alert.host.id, max) },
    container:
      alert.container === null
        ? null
        : { id: cut(alert.container.id, max), image: cutNullable(alert.container.image, max) },
    user: user(alert.user),
    process: {
      ...alert.process,
      executable: cut(alert.process.executable, max),
      cwd: cutNullable(alert.process.cwd, max),
      invokedPath: cutNullable(alert.process.invokedPath, max),
      execChain: alert.process.execChain.map(image),
    },
    utility: { ...alert.utility, name: cut(alert.utility.name, max) },
    location: { ...alert.location, path: cut(alert.location.path, max) },
    matches: alert.matches.map((m) => ({ ...m, path: cut(m.path, max) })),
    ancestors: alert.ancestors.map(ancestor),
    dedup: { ...alert.dedup, key: cut(alert.dedup.key, max) },
    source: { ...alert.source, eventId: cut(alert.source.eventId, max) },
  };
}

/** The floor: no ancestors, a few earlier images and matches (the location itself stays in `location`). */
function capFloor(alert: Alert, maxItems: number): Alert {
  return {
    ...alert,
    ancestors: [],
    process: { ...alert.process, execChain: alert.process.execChain.slice(0, maxItems) },
    matches: alert.matches.slice(0, maxItems),
  };
}
