/**
 * One auditd log line (log_format RAW or ENRICHED) split into its header and its fields.
 *
 * A hand-written single-pass scanner rather than regexes: this runs on every line of every batch, and a line
 * is attacker-influenced (argv, file names), so each character is looked at a bounded number of times and no
 * pattern can backtrack. Values are kept as logged; turning hex into text is auditd-values.ts's job, because
 * only some fields are hex-encoded and the scanner cannot tell a hex argument from a number.
 */
import { isTimeInRange, timeOutOfRange } from "../event-bounds.js";

const TAB = 0x09;
const GS = 0x1d;
const SPACE = 0x20;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const DOT = 0x2e;
const COLON = 0x3a;
const EQ = 0x3d;
const RPAREN = 0x29;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const DEL = 0x7f;
const BOM = 0xfeff;
const REPLACEMENT = 0xfffd;

/**
 * The kernel caps one record at MAX_AUDIT_MESSAGE_LENGTH (8970 bytes) and ENRICHED adds a few hundred
 * bytes of names; anything far longer is not an audit record, and refusing it unread keeps a hostile
 * line (or a file without line breaks) from being scanned and copied into a map.
 */
export const MAX_AUDIT_LINE_CHARS = 65_536;
/** Host names are at most 253 characters. */
const MAX_NODE_CHARS = 255;
const MAX_TYPE_CHARS = 64;
/** Seconds since the epoch fit in 12 digits for the next 30,000 years; more is garbage, not a date. */
const MAX_SECONDS_DIGITS = 12;
/** The kernel serial is an unsigned int; 15 digits keeps the number exact in a double. */
const MAX_SERIAL_DIGITS = 15;

export const NOT_AN_AUDIT_RECORD = "not an audit record: missing msg=audit(…) header";

export interface AuditHeader {
  /** `node=` prefix (auditd `name_format`), when the line has one. */
  node?: string | undefined;
  /** Record type as logged: `SYSCALL`, `EXECVE`, `UNKNOWN[1334]`, … */
  type: string;
  /** Event time, epoch ms. */
  time: number;
  /** `SEC.MS` exactly as logged, e.g. `1795822038.612`: with the serial it names the event. */
  stamp: string;
  serial: number;
  /** Index in the line where the fields start (just after `):`). */
  bodyStart: number;
}

export interface AuditRecord extends AuditHeader {
  /** Raw values; quotes removed, hex left as logged, `(null)`/`(none)` kept as those words. */
  fields: Map<string, string>;
  /** Keys whose value was quoted: literal text, never hex (the kernel hex-encodes instead of escaping). */
  quoted: Set<string>;
  /** ENRICHED log_format: the translated fields after the GS byte (`UID="root"`, `SYSCALL=execve`, …). */
  enriched?: Map<string, string>;
}

export interface AuditBody {
  fields: Map<string, string>;
  quoted: Set<string>;
  enriched?: Map<string, string>;
}

const isBlank = (c: number): boolean => c === SPACE || c === TAB;
/** Printable ASCII other than space: the bulk of every line, tested first so that it costs two compares. */
const isGraphic = (c: number): boolean => c > SPACE && c < DEL;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
/** Bytes auditd never writes unescaped: binary data or a broken line. GS, allowed once, is checked apart. */
const isForbidden = (c: number): boolean =>
  (c < SPACE && c !== TAB && c !== GS) || c === DEL || c === REPLACEMENT;
const isTypeChar = (c: number): boolean =>
  (c >= 0x41 && c <= 0x5a) ||
  (c >= 0x61 && c <= 0x7a) ||
  isDigit(c) ||
  c === 0x5f ||
  c === 0x5b ||
  c === 0x5d;

/** Last index + 1 of the line once trailing blanks and line ends are dropped. */
const trimmedEnd = (text: string): number => {
  let end = text.length;
  while (end > 0) {
    const c = text.charCodeAt(end - 1);
    if (c !== SPACE && c !== TAB && c !== 0x0a && c !== 0x0d) break;
    end--;
  }
  return end;
};

const hexByte = (c: number): string => `0x${c.toString(16).padStart(c > 0xff ? 4 : 2, "0")}`;

/** A key as it may appear in a reason: bounded, so a 60 KB hostile key does not become a 60 KB message. */
const shown = (s: string): string => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

const forbiddenAt = (c: number, i: number): string =>
  c === REPLACEMENT
    ? `binary data (invalid UTF-8 at column ${i + 1})`
    : `binary data (control byte ${hexByte(c)} at column ${i + 1})`;

/** Finds the first byte auditd would never write, from `from` on; used for lines whose fields are not read. */
export const checkAuditChars = (text: string, from = 0): string | undefined => {
  const end = trimmedEnd(text);
  let separators = 0;
  for (let i = from; i < end; i++) {
    const c = text.charCodeAt(i);
    if (isGraphic(c) || c === SPACE) continue;
    if (c === GS && ++separators === 1) continue;
    if (c === GS || isForbidden(c)) return forbiddenAt(c, i);
  }
  return undefined;
};

/** Why a line without a header is rejected: binary garbage says more than "no header". */
const notAuditReason = (text: string): string => {
  const limit = Math.min(text.length, 4096);
  for (let i = 0; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (isForbidden(c) || c === GS) return `not an audit record: ${forbiddenAt(c, i)}`;
  }
  return NOT_AN_AUDIT_RECORD;
};

/**
 * Reads `[node=HOST ]type=TYPE msg=audit(SEC.MS:SERIAL):`. Every part has a length cap, so it reads a few
 * hundred characters past any leading blanks, whatever the length of the line.
 */
export const parseAuditHeader = (text: string): AuditHeader | string => {
  const header: AuditHeader = { type: "", time: 0, stamp: "", serial: 0, bodyStart: 0 };
  const problem = readAuditHeader(text, header);
  if (problem !== undefined) return problem;
  if (header.node === undefined) delete header.node;
  return header;
};

/**
 * parseAuditHeader into `into`, which is overwritten; undefined when the line has a header, else why not (and
 * `into` is left as it was). The decoder reads every line into one header. Its strings are slices, as
 * parseAuditHeader's: reusing the line before's node and stamp when equal cost more in comparisons than the
 * slices it saved.
 */
export const readAuditHeader = (text: string, into: AuditHeader): string | undefined => {
  const n = text.length;
  let i = 0;
  if (n > 0 && text.charCodeAt(0) === BOM) i++;
  while (i < n && isBlank(text.charCodeAt(i))) i++;

  let node: string | undefined;
  if (text.startsWith("node=", i)) {
    const start = i + 5;
    let j = start;
    while (j < n && j - start <= MAX_NODE_CHARS) {
      const c = text.charCodeAt(j);
      if (isBlank(c) || isForbidden(c) || c === GS || c === DQUOTE || c === SQUOTE) break;
      j++;
    }
    if (j === start || j - start > MAX_NODE_CHARS || j >= n || !isBlank(text.charCodeAt(j))) {
      return notAuditReason(text);
    }
    node = text.slice(start, j);
    i = j;
    while (i < n && isBlank(text.charCodeAt(i))) i++;
  }

  if (!text.startsWith("type=", i)) return notAuditReason(text);
  i += 5;
  const typeStart = i;
  while (i < n && i - typeStart <= MAX_TYPE_CHARS && isTypeChar(text.charCodeAt(i))) i++;
  if (i === typeStart || i - typeStart > MAX_TYPE_CHARS || i >= n || !isBlank(text.charCodeAt(i))) {
    return notAuditReason(text);
  }
  const type = text.slice(typeStart, i);
  while (i < n && isBlank(text.charCodeAt(i))) i++;
  if (!text.startsWith("msg=audit(", i)) return notAuditReason(text);
  i += 10;

  const stampStart = i;
  const badStamp = (): string =>
    `bad timestamp in msg=audit(…) header: ${shown(text.slice(stampStart, stampStart + 32))}`;
  let seconds = 0;
  while (i < n && i - stampStart < MAX_SECONDS_DIGITS && isDigit(text.charCodeAt(i))) {
    seconds = seconds * 10 + (text.charCodeAt(i) - 0x30);
    i++;
  }
  if (i === stampStart || i >= n || text.charCodeAt(i) !== DOT) return badStamp();
  i++;
  // auditd always prints milliseconds as three digits (`%lu.%03lu`).
  let millis = 0;
  for (let k = 0; k < 3; k++, i++) {
    const c = i < n ? text.charCodeAt(i) : -1;
    if (!isDigit(c)) return badStamp();
    millis = millis * 10 + (c - 0x30);
  }
  const stampEnd = i;
  if (i >= n || text.charCodeAt(i) !== COLON) return badStamp();
  i++;

  const serialStart = i;
  let serial = 0;
  while (i < n && i - serialStart < MAX_SERIAL_DIGITS && isDigit(text.charCodeAt(i))) {
    serial = serial * 10 + (text.charCodeAt(i) - 0x30);
    i++;
  }
  if (i === serialStart || i + 1 >= n || text.charCodeAt(i) !== RPAREN || text.charCodeAt(i + 1) !== COLON) {
    return `bad serial in msg=audit(…) header: ${shown(text.slice(serialStart, serialStart + 24))}`;
  }
  i += 2;
  if (i < n && !isBlank(text.charCodeAt(i)) && i < trimmedEnd(text)) return NOT_AN_AUDIT_RECORD;

  const time = seconds * 1000 + millis;
  // Twelve digits of seconds reach the year 33658; the kernel's clock ends in 2262 (event-bounds.ts).
  if (!isTimeInRange(time)) return `msg=audit(…) header: ${timeOutOfRange("time", time)}`;
  into.node = node;
  into.type = type;
  into.time = time;
  into.stamp = text.slice(stampStart, stampEnd);
  into.serial = serial;
  into.bodyStart = i;
  return undefined;
};

/** Which keys to keep; the line is scanned and checked whole either way. Keeping fewer is faster. */
export interface BodySelection {
  /** Raw keys to keep (all when absent). */
  keys?: readonly string[];
  /** ENRICHED keys to keep (all when absent). */
  enriched?: readonly string[];
}

/** A token's flags: its value was quoted (raw part), or it is a translated field (after the GS byte). */
export const QUOTED = 1;
export const ENRICHED = 2;

/**
 * The fields of one line as positions, in the order written: key [keyStart, keyEnd), value [valueStart,
 * valueEnd) (quotes excluded), flags. Filled by scanAuditBody and reused from line to line, so that scanning
 * a line allocates nothing: what a reader keeps, it slices itself (auditd-fields.ts, parseAuditBody).
 */
export class FieldTokens {
  /** Five numbers a field. */
  data = new Int32Array(5 * 64);
  count = 0;
  /** The line has translations after a GS byte, and they were read (possibly none). */
  translated = false;

  push(keyStart: number, keyEnd: number, valueStart: number, valueEnd: number, flags: number): void {
    let at = 5 * this.count;
    if (at === this.data.length) {
      const grown = new Int32Array(2 * this.data.length);
      grown.set(this.data);
      this.data = grown;
    }
    const data = this.data;
    data[at++] = keyStart;
    data[at++] = keyEnd;
    data[at++] = valueStart;
    data[at++] = valueEnd;
    data[at] = flags;
    this.count++;
  }
}

/**
 * Reads the fields after the header into `tokens`; undefined when the line is well-formed, else why not.
 * Raw part: `key=value` pairs, values bare, `"double"` or `'single'` quoted (user-space records nest
 * `msg='op=… acct="x"'`); a word without `=` is only accepted in AVC records, which the kernel writes as prose,
 * so a line cut in the middle of a key is caught. ENRICHED part (after one GS byte): translated pairs, where
 * a value may also be a `{ … }` group (SADDR); with `enriched` false it is only checked for bytes auditd
 * never writes.
 *
 * Character by character, each looked at once: every byte must be checked anyway, and this loop did it faster
 * than a regex test of the line followed by an indexOf walk to the ends of the values (670 against 475 ns a
 * line of the benchmark's telemetry: most values are a few characters, shorter than a call costs).
 */
export const scanAuditBody = (
  text: string,
  header: AuditHeader,
  enriched: boolean,
  tokens: FieldTokens,
): string | undefined => {
  tokens.count = 0;
  tokens.translated = false;
  const end = trimmedEnd(text);
  const prose = header.type === "AVC";
  let i = header.bodyStart;

  while (i < end) {
    let c = text.charCodeAt(i);
    if (isBlank(c)) {
      i++;
      continue;
    }
    if (c === GS) {
      // The GS byte is written after the last raw field, so the raw part is whole; when no translation
      // is wanted, checking the bytes of the rest is enough.
      if (!enriched) return checkAuditChars(text, i);
      tokens.translated = true;
      return scanEnriched(text, i + 1, end, tokens);
    }
    const keyStart = i;
    while (i < end) {
      c = text.charCodeAt(i);
      if ((isGraphic(c) && c !== EQ) || (c > DEL && c !== REPLACEMENT)) i++;
      else break;
    }
    if (i < end && isForbidden(c)) return forbiddenAt(c, i);
    if (i === keyStart) return `field without a name at column ${i + 1}`;
    if (i >= end || c !== EQ) {
      if (prose) continue;
      return `field without '=' at column ${keyStart + 1}: ${shown(text.slice(keyStart, i))}`;
    }
    const keyEnd = i;
    i++;
    c = i < end ? text.charCodeAt(i) : -1;
    if (c === DQUOTE || c === SQUOTE) {
      const close = quoteEnd(text, i, end);
      if (close >= end) return `unterminated quoted value of ${shown(text.slice(keyStart, keyEnd))}`;
      if (text.charCodeAt(close) !== c) return forbiddenAt(text.charCodeAt(close), close);
      tokens.push(keyStart, keyEnd, i + 1, close, QUOTED);
      i = close + 1;
      if (i < end) {
        const after = text.charCodeAt(i);
        if (isForbidden(after)) return forbiddenAt(after, i);
        if (!isBlank(after) && after !== GS) {
          return `unexpected text after the quoted value of ${shown(text.slice(keyStart, keyEnd))} at column ${i + 1}`;
        }
      }
      continue;
    }
    const valueStart = i;
    while (i < end) {
      c = text.charCodeAt(i);
      if (isGraphic(c)) {
        i++;
        continue;
      }
      if (isBlank(c) || c === GS) break;
      if (isForbidden(c)) return forbiddenAt(c, i);
      i++;
    }
    tokens.push(keyStart, keyEnd, valueStart, i, 0);
  }
  return undefined;
};

/**
 * Index of the quote closing the one at `open`, or of the first byte that cannot stand inside quotes
 * (quoted values are printable by construction: the kernel hex-encodes anything else), or `end`.
 */
const quoteEnd = (text: string, open: number, end: number): number => {
  const quote = text.charCodeAt(open);
  for (let i = open + 1; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === quote) return i;
    if (isGraphic(c) || c === SPACE) continue;
    if (c === GS || isForbidden(c)) return i;
  }
  return end;
};

const scanEnriched = (text: string, from: number, end: number, tokens: FieldTokens): string | undefined => {
  let i = from;
  while (i < end) {
    let c = text.charCodeAt(i);
    if (isBlank(c)) {
      i++;
      continue;
    }
    const keyStart = i;
    while (i < end) {
      c = text.charCodeAt(i);
      if ((isGraphic(c) && c !== EQ) || (c > DEL && c !== REPLACEMENT)) i++;
      else break;
    }
    if (i < end && (isForbidden(c) || c === GS)) return forbiddenAt(c, i);
    // Translations are written for people; a stray word is skipped rather than failing the raw fields.
    if (i >= end || c !== EQ || i === keyStart) {
      if (i === keyStart) i++;
      continue;
    }
    const keyEnd = i;
    const valueStart = ++i;
    c = i < end ? text.charCodeAt(i) : -1;
    if (c === DQUOTE || c === SQUOTE) {
      const close = quoteEnd(text, i, end);
      if (close >= end) {
        return `unterminated quoted value of ${shown(text.slice(keyStart, keyEnd))} in the enriched fields`;
      }
      if (text.charCodeAt(close) !== c) return forbiddenAt(text.charCodeAt(close), close);
      tokens.push(keyStart, keyEnd, valueStart + 1, close, ENRICHED);
      i = close + 1;
    } else if (c === LBRACE) {
      while (i < end) {
        c = text.charCodeAt(i);
        if (c === RBRACE) break;
        if (isForbidden(c) || c === GS) return forbiddenAt(c, i);
        i++;
      }
      if (i >= end) {
        return `unterminated { … } value of ${shown(text.slice(keyStart, keyEnd))} in the enriched fields`;
      }
      i++;
      tokens.push(keyStart, keyEnd, valueStart, i, ENRICHED);
    } else {
      while (i < end) {
        c = text.charCodeAt(i);
        if (isGraphic(c)) {
          i++;
          continue;
        }
        if (isBlank(c)) break;
        if (isForbidden(c) || c === GS) return forbiddenAt(c, i);
        i++;
      }
      tokens.push(keyStart, keyEnd, valueStart, i, ENRICHED);
    }
  }
  return undefined;
};

/** The wanted key equal to text[start, end), without slicing when a selection is given. */
const selectKey = (
  text: string,
  start: number,
  end: number,
  wanted: readonly string[] | undefined,
): string | undefined => {
  if (wanted === undefined) return text.slice(start, end);
  const length = end - start;
  for (const key of wanted) if (key.length === length && text.startsWith(key, start)) return key;
  return undefined;
};

/** Whether a selection reads the translations (else they are only checked). */
export const readsTranslations = (selection: BodySelection): boolean =>
  selection.enriched === undefined || selection.enriched.length > 0;

/** Tokens of parseAuditBody, reused: it runs one line at a time. */
const bodyTokens = new FieldTokens();

/** The fields after the header as maps (scanAuditBody, then fieldMaps), or why the line is malformed. */
export const parseAuditBody = (
  text: string,
  header: AuditHeader,
  selection: BodySelection = {},
): AuditBody | string => {
  const problem = scanAuditBody(text, header, readsTranslations(selection), bodyTokens);
  return problem ?? fieldMaps(text, bodyTokens, selection);
};

/**
 * The selected fields of scanned tokens as maps: a key logged twice keeps its first place and its last value,
 * and counts as quoted if it ever was. Translations are there when the line has some and the selection reads
 * them, as long as one is kept (or all are wanted).
 */
export const fieldMaps = (text: string, tokens: FieldTokens, selection: BodySelection): AuditBody => {
  const fields = new Map<string, string>();
  const quoted = new Set<string>();
  let enriched: Map<string, string> | undefined;
  const data = tokens.data;
  for (let t = 0, at = 0; t < tokens.count; t++, at += 5) {
    const flags = data[at + 4]!;
    const wanted = flags & ENRICHED ? selection.enriched : selection.keys;
    const key = selectKey(text, data[at]!, data[at + 1]!, wanted);
    if (key === undefined) continue;
    const value = text.slice(data[at + 2]!, data[at + 3]!);
    if (flags & ENRICHED) {
      enriched ??= new Map();
      enriched.set(key, value);
      continue;
    }
    fields.set(key, value);
    if (flags & QUOTED) quoted.add(key);
  }
  if (enriched === undefined && tokens.translated && selection.enriched === undefined) enriched = new Map();
  return enriched === undefined ? { fields, quoted } : { fields, quoted, enriched };
};

/** Header and fields of one line, or why the line is not a well-formed audit record. */
export const parseAuditLine = (text: string): AuditRecord | string => {
  if (text.length > MAX_AUDIT_LINE_CHARS) {
    return `record too long (${text.length} characters, max ${MAX_AUDIT_LINE_CHARS})`;
  }
  const header = parseAuditHeader(text);
  if (typeof header === "string") return header;
  const body = parseAuditBody(text, header);
  if (typeof body === "string") return body;
  const record: AuditRecord = {
    type: header.type,
    time: header.time,
    stamp: header.stamp,
    serial: header.serial,
    bodyStart: header.bodyStart,
    fields: body.fields,
    quoted: body.quoted,
  };
  if (header.node !== undefined) record.node = header.node;
  if (body.enriched !== undefined) record.enriched = body.enriched;
  return record;
};
