import type {
  DecodeContext,
  DecodeOutput,
  ProcessExit,
  RawRecord,
  Skipped,
  TextLineDecoder,
} from "../decoder.js";
import { malformed, skipped } from "../decoder.js";
import type { ExecEvent, ExecParent, ExecProcess } from "../exec-event.js";
import { splitOnSpaces, toEpochMs, toInt } from "./json-access.js";

/**
 * Sysmon for Linux (Sysinternals) logs each event to syslog as one line of XML, written by pugixml without
 * indentation or declaration (SysmonForLinux `outputxml.cpp`): `<Event><System><Provider/><EventID>1</EventID>
 * …<Computer>host</Computer>…</System><EventData><Data Name="UtcTime">…</Data>…</EventData></Event>`, the
 * field names and order given by the Sysmon manifest (ProcessCreate v5, ProcessTerminate v3). In front of it
 * sits whatever the syslog path adds: an RFC 3164 or RFC 5424 header (`Nov 27 10:00:00 host sysmon: `), an
 * rsyslog ISO timestamp, or nothing (`journalctl -o cat`).
 *
 * EventID 1 (process create) is an exec; EventID 5 (process terminated) is skipped but reports the exit so
 * the lineage record can go; every other EventID is skipped. Sysmon writes `-` for a value it does not have
 * and an all-zero GUID for an unknown process: both are treated as absent. `CommandLine` is one string, the
 * argv joined with spaces and no quoting, so an argument holding a space splits in two; a newline inside an
 * argument reaches the line as rsyslog's `#012` escape and is left as is.
 *
 * The XML is read by a small scanner, not an XML library: one forward pass, every search starting where the
 * last one ended (linear on hostile input, and the framing caps a line at 256 KiB), nesting and element
 * counts bounded, and anything that is not well-formed (a line cut by a syslog size limit, an unknown entity)
 * reported as malformed.
 */

const ZERO_GUID = "{00000000-0000-0000-0000-000000000000}";
// Sysmon writes at most 2 levels below Event and a few dozen Data elements; far more means hostile input.
const MAX_DEPTH = 8;
const MAX_ELEMENTS = 4096;
// An entity longer than this (`&#x0010FFFF;` is 11) is not one Sysmon writes.
const MAX_ENTITY = 12;
// A longer syslog header is not parsed for a host name.
const MAX_PREFIX = 1024;

const EVENT_NAMES: Readonly<Record<number, string>> = {
  2: "FileCreateTime",
  3: "NetworkConnect",
  4: "ServiceStateChange",
  9: "RawAccessRead",
  10: "ProcessAccess",
  11: "FileCreate",
  16: "ConfigChange",
  23: "FileDelete",
  255: "Error",
};

// Keeps a hostile value from blowing up a reason string that ends up in logs.
const quote = (text: string): string => JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
/** A tag name for a reason: cut and escaped like `quote`, without the quotes. */
const tag = (name: string): string => `<${quote(name).slice(1, -1)}>`;

/** What the scanner keeps of one `<Event>`. */
interface SysmonXml {
  eventId?: string;
  computer?: string;
  recordId?: string;
  systemTime?: string;
  /** `<EventData><Data Name="…">…</Data>`, entities decoded; the first of a repeated name wins. */
  data: Map<string, string>;
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHexDigit = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

/** One entity body (between `&` and `;`) as text, or `undefined` when XML does not define it. */
const entity = (body: string): string | undefined => {
  switch (body) {
    case "lt":
      return "<";
    case "gt":
      return ">";
    case "amp":
      return "&";
    case "quot":
      return '"';
    case "apos":
      return "'";
  }
  if (body.charCodeAt(0) !== 0x23 /* # */) return undefined;
  const hex = body.charCodeAt(1) === 0x78 || body.charCodeAt(1) === 0x58; // x, X
  const digits = body.slice(hex ? 2 : 1);
  if (digits === "") return undefined;
  for (let k = 0; k < digits.length; k++) {
    const c = digits.charCodeAt(k);
    if (!(hex ? isHexDigit(c) : isDigit(c))) return undefined;
  }
  const code = Number.parseInt(digits, hex ? 16 : 10);
  // XML 1.0 Char: no NUL, no surrogate halves, nothing above U+10FFFF.
  if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined;
  return String.fromCodePoint(code);
};

/** Text with its entities decoded, or `undefined` when one is unknown or unterminated. Linear. */
export const decodeXmlEntities = (raw: string): string | undefined => {
  let amp = raw.indexOf("&");
  if (amp < 0) return raw;
  let out = "";
  let from = 0;
  while (amp >= 0) {
    out += raw.slice(from, amp);
    const semi = raw.indexOf(";", amp + 1);
    // Every failure returns: each `;` search runs once per decoded entity, so the whole pass stays linear.
    if (semi < 0 || semi - amp > MAX_ENTITY) return undefined;
    const text = entity(raw.slice(amp + 1, semi));
    if (text === undefined) return undefined;
    out += text;
    from = semi + 1;
    amp = raw.indexOf("&", from);
  }
  return out + raw.slice(from);
};

/** Where `<Event>` or `<Event …>` starts (not `<EventID>`, `<EventData>`), or -1. */
const findEventStart = (text: string): number => {
  let at = text.indexOf("<Event");
  while (at >= 0) {
    const next = text.charCodeAt(at + 6);
    if (next === 0x3e /* > */ || isSpace(next)) return at;
    at = text.indexOf("<Event", at + 6);
  }
  return -1;
};

type Capture = { into: "system" | "data"; key: string; depth: number; parts: string[] };

/**
 * The `<Event>` element starting at `start`, or why it is not well-formed. Checks what a reader of this
 * format needs: tags balanced and named alike, attributes quoted, entities known, the element closed.
 */
const scanEvent = (text: string, start: number): SysmonXml | string => {
  const n = text.length;
  const result: SysmonXml = { data: new Map() };
  const stack: string[] = [];
  let capture: Capture | undefined;
  let elements = 0;
  let i = start;

  const finishCapture = (): void => {
    if (capture === undefined) return;
    const value = capture.parts.join("");
    const { into, key } = capture;
    capture = undefined;
    if (into === "data") {
      if (!result.data.has(key)) result.data.set(key, value);
    } else if (key === "EventID") result.eventId = value;
    else if (key === "Computer") result.computer = value;
    else if (key === "EventRecordID") result.recordId = value;
  };

  while (i < n) {
    const lt = text.indexOf("<", i);
    if (lt < 0) break;
    if (lt > i && capture !== undefined && stack.length === capture.depth) {
      const decoded = decodeXmlEntities(text.slice(i, lt));
      if (decoded === undefined)
        return `sysmon: malformed XML: unknown or unterminated entity in ${tag(capture.key)}`;
      capture.parts.push(decoded);
    }
    if (text.startsWith("<!--", lt)) {
      const end = text.indexOf("-->", lt + 4);
      if (end < 0) return "sysmon: malformed XML: unterminated comment";
      i = end + 3;
      continue;
    }
    if (text.startsWith("<![CDATA[", lt)) {
      const end = text.indexOf("]]>", lt + 9);
      if (end < 0) return "sysmon: malformed XML: unterminated CDATA section";
      if (capture !== undefined && stack.length === capture.depth)
        capture.parts.push(text.slice(lt + 9, end));
      i = end + 3;
      continue;
    }
    if (text.startsWith("<?", lt)) {
      const end = text.indexOf("?>", lt + 2);
      if (end < 0) return "sysmon: malformed XML: unterminated processing instruction";
      i = end + 2;
      continue;
    }
    if (text.charCodeAt(lt + 1) === 0x2f /* / */) {
      const gt = text.indexOf(">", lt + 2);
      if (gt < 0) return "sysmon: truncated XML: a closing tag is cut";
      const name = text.slice(lt + 2, gt).trimEnd();
      const open = stack.pop();
      if (open !== name) {
        return `sysmon: malformed XML: </${tag(name).slice(1)} closes ${open === undefined ? "nothing" : tag(open)}`;
      }
      if (capture !== undefined && stack.length < capture.depth) finishCapture();
      i = gt + 1;
      if (stack.length === 0) return result; // </Event>: what follows is not ours
      continue;
    }

    // An opening tag: its name, then attributes up to `>` or `/>`.
    let j = lt + 1;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (isSpace(c) || c === 0x3e || c === 0x2f) break;
      j++;
    }
    const name = text.slice(lt + 1, j);
    if (name === "") return "sysmon: malformed XML: a tag without a name";
    if (++elements > MAX_ELEMENTS) return `sysmon: malformed XML: more than ${MAX_ELEMENTS} elements`;
    if (stack.length === 0 && name !== "Event") return `sysmon: the XML root is ${tag(name)}, not <Event>`;
    let nameAttr: string | undefined;
    let systemTime: string | undefined;
    let selfClosing = false;
    for (;;) {
      while (j < n && isSpace(text.charCodeAt(j))) j++;
      if (j >= n) return `sysmon: truncated XML: the ${tag(name)} tag is cut`;
      const c = text.charCodeAt(j);
      if (c === 0x3e) {
        j++;
        break;
      }
      if (c === 0x2f) {
        if (text.charCodeAt(j + 1) !== 0x3e) return "sysmon: malformed XML: '/' inside a tag";
        selfClosing = true;
        j += 2;
        break;
      }
      const attrStart = j;
      while (j < n) {
        const a = text.charCodeAt(j);
        if (a === 0x3d /* = */ || isSpace(a) || a === 0x3e || a === 0x2f) break;
        j++;
      }
      const attr = text.slice(attrStart, j);
      while (j < n && isSpace(text.charCodeAt(j))) j++;
      if (j >= n) return `sysmon: truncated XML: the ${tag(name)} tag is cut`;
      if (attr === "" || text.charCodeAt(j) !== 0x3d)
        return "sysmon: malformed XML: an attribute without a value";
      j++;
      while (j < n && isSpace(text.charCodeAt(j))) j++;
      if (j >= n) return `sysmon: truncated XML: the ${tag(name)} tag is cut`;
      const q = text.charCodeAt(j);
      if (q !== 0x22 && q !== 0x27) return "sysmon: malformed XML: an attribute value without quotes";
      const end = text.indexOf(q === 0x22 ? '"' : "'", j + 1);
      if (end < 0) return "sysmon: truncated XML: an attribute value is cut";
      if (attr === "Name" || attr === "SystemTime") {
        const value = decodeXmlEntities(text.slice(j + 1, end));
        if (value === undefined)
          return "sysmon: malformed XML: unknown or unterminated entity in an attribute";
        if (attr === "Name") nameAttr = value;
        else systemTime = value;
      }
      j = end + 1;
    }
    i = j;

    // Element `name` at depth stack.length + 1, under the elements on the stack.
    const parent = stack[stack.length - 1];
    if (parent === "System") {
      if (name === "TimeCreated" && systemTime !== undefined) result.systemTime = systemTime;
      if (name === "EventID" || name === "Computer" || name === "EventRecordID") {
        capture = { into: "system", key: name, depth: stack.length + 1, parts: [] };
      }
    } else if (parent === "EventData" && name === "Data" && nameAttr !== undefined) {
      capture = { into: "data", key: nameAttr, depth: stack.length + 1, parts: [] };
    }
    if (selfClosing) {
      finishCapture();
      if (stack.length === 0) return result; // <Event/>
      continue;
    }
    if (stack.length >= MAX_DEPTH) return `sysmon: malformed XML: nested deeper than ${MAX_DEPTH}`;
    stack.push(name);
  }
  const open = stack[stack.length - 1];
  return `sysmon: truncated XML: ${tag(open ?? "Event")} is not closed`;
};

/** A Data value, or `undefined` for what Sysmon writes when it has none (`-`, empty, the all-zero GUID). */
const present = (xml: SysmonXml, key: string): string | undefined => {
  const value = xml.data.get(key);
  if (value === undefined || value === "" || value === "-" || value === ZERO_GUID) return undefined;
  return value;
};

/** Epoch ms of `UtcTime` ("2026-11-27 10:00:00.123", UTC without a zone), else of `TimeCreated`. */
const readTime = (xml: SysmonXml): number | string => {
  const utc = present(xml, "UtcTime");
  if (utc !== undefined) {
    const shaped =
      utc.length >= 19 &&
      utc.length <= 40 &&
      utc[4] === "-" &&
      utc[7] === "-" &&
      utc[10] === " " &&
      utc[13] === ":" &&
      utc[16] === ":";
    const ms = shaped ? Date.parse(`${utc.slice(0, 10)}T${utc.slice(11)}Z`) : Number.NaN;
    return Number.isNaN(ms) ? `sysmon: UtcTime ${quote(utc)} is not a date` : ms;
  }
  // TimeCreated is when Sysmon wrote the event, a little after it happened: second best.
  if (xml.systemTime !== undefined) {
    return toEpochMs(xml.systemTime) ?? `sysmon: TimeCreated ${quote(xml.systemTime)} is not a date`;
  }
  return "sysmon: the event has neither UtcTime nor TimeCreated";
};

/** The host a syslog header names (`Nov 27 10:00:00 host sysmon: `), for an event without `<Computer>`. */
const syslogHost = (prefix: string): string | undefined => {
  if (prefix.length > MAX_PREFIX) return undefined;
  const tokens = prefix.split(" ").filter((t) => t !== "");
  for (let k = 1; k < tokens.length; k++) {
    const tag = tokens[k]!;
    if (tag === "sysmon" || tag.startsWith("sysmon:") || tag.startsWith("sysmon[")) {
      const host = tokens[k - 1]!;
      // A relay may omit the host: then the token before the tag is the time (`10:00:00`) or `<pri>1`.
      return host.includes(":") || host.startsWith("<") || host === "-" ? undefined : host;
    }
  }
  return undefined;
};

type Args = { args: string[]; truncated: boolean };

const splitCommandLine = (line: string | undefined): Args => {
  // No command line at all (`-`): the arguments are unknown, not empty.
  if (line === undefined) return { args: [], truncated: true };
  return splitOnSpaces(line);
};

const processExit = (xml: SysmonXml, host: string, record: RawRecord): Skipped => {
  const out = skipped(record, "sysmon: EventID 5 (process terminated) is not a process creation");
  const pid = toInt(present(xml, "ProcessId"));
  const time = readTime(xml);
  // Without its pid or time, the exit cannot be matched to a record: the event is still only skipped.
  if (pid === undefined || typeof time === "string") return out;
  const exit: ProcessExit = { host, pid, time };
  const entityId = present(xml, "ProcessGuid");
  if (entityId !== undefined) exit.entityId = entityId;
  out.exit = exit;
  return out;
};

const decodeSysmon = (text: string, record: RawRecord, ctx: DecodeContext): DecodeOutput => {
  const start = findEventStart(text);
  if (start < 0) return malformed(record, "sysmon: no <Event> element in the line");
  const xml = scanEvent(text, start);
  if (typeof xml === "string") return malformed(record, xml);

  if (xml.eventId === undefined) return malformed(record, "sysmon: <EventID> is missing");
  const eventId = toInt(xml.eventId.trim());
  if (eventId === undefined)
    return malformed(record, `sysmon: EventID ${quote(xml.eventId)} is not a number`);

  const computer = xml.computer?.trim();
  const host =
    (computer !== undefined && computer !== "" ? computer : undefined) ??
    syslogHost(text.slice(0, start)) ??
    ctx.defaultHost;

  if (eventId === 5) return processExit(xml, host, record);
  if (eventId !== 1) {
    const name = EVENT_NAMES[eventId];
    return skipped(
      record,
      `sysmon: EventID ${eventId}${name === undefined ? "" : ` (${name})`} is not a process creation`,
    );
  }

  const pidText = present(xml, "ProcessId");
  const pid = toInt(pidText);
  if (pid === undefined) {
    return malformed(
      record,
      pidText === undefined
        ? "sysmon: ProcessId is missing"
        : `sysmon: ProcessId ${quote(pidText)} is not a number`,
    );
  }
  const executable = present(xml, "Image");
  if (executable === undefined) return malformed(record, "sysmon: Image is missing");
  const time = readTime(xml);
  if (typeof time === "string") return malformed(record, time);

  // ParentProcessId `-` or absent: the parent is unknown, and 0 stands for that (DESIGN §3).
  let ppid = 0;
  const ppidText = present(xml, "ParentProcessId");
  if (ppidText !== undefined) {
    const parsed = toInt(ppidText);
    if (parsed === undefined)
      return malformed(record, `sysmon: ParentProcessId ${quote(ppidText)} is not a number`);
    ppid = parsed;
  }

  const read = splitCommandLine(present(xml, "CommandLine"));
  const process: ExecProcess = { pid, ppid, executable, args: read.args };
  if (read.truncated) process.argsTruncated = true;
  const cwd = present(xml, "CurrentDirectory");
  if (cwd !== undefined) process.cwd = cwd;
  // ProcessGuid stays the same across the execs of one process (it derives from the pid and the fork time),
  // which is what the lineage wants of an image id shared by parent and child records.
  const entityId = present(xml, "ProcessGuid");
  if (entityId !== undefined) process.entityId = entityId;

  // EventRecordID numbers the events of one Sysmon installation; pid and time keep it unique past a reinstall.
  const recordId = xml.recordId?.trim();
  const sourceId =
    recordId !== undefined && recordId !== ""
      ? `${host}:${recordId}:${pid}:${time}`
      : `${host}:${pid}:${time}:${executable}`;

  const event: ExecEvent = {
    host: { name: host },
    user: {},
    process,
    time,
    source: { format: "sysmon", eventId: sourceId },
  };
  const user = present(xml, "User");
  if (user !== undefined) event.user.name = user;

  if (ppid > 0) {
    const parent: ExecParent = { pid: ppid };
    const parentImage = present(xml, "ParentImage");
    if (parentImage !== undefined) parent.executable = parentImage;
    const parentLine = present(xml, "ParentCommandLine");
    if (parentLine !== undefined) parent.args = splitCommandLine(parentLine).args;
    const parentGuid = present(xml, "ParentProcessGuid");
    if (parentGuid !== undefined) parent.entityId = parentGuid;
    event.parent = parent;
  }
  return { kind: "event", event, line: record.line };
};

export const sysmonLinuxDecoder: TextLineDecoder = {
  format: "sysmon",
  matchesText: (text) => text.includes("<Event") && text.includes("<EventID>"),
  decodeText: (text, record, ctx) => {
    try {
      return decodeSysmon(text, record, ctx);
    } catch (error) {
      // Nothing above should throw; this keeps a bug from failing a whole batch (DESIGN §7).
      return malformed(
        record,
        `sysmon: cannot decode: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  },
};
