/**
 * Values of the fields the kernel writes with audit_log_untrustedstring (EXECVE aN, PROCTITLE proctitle,
 * SYSCALL exe/comm, CWD cwd, PATH name): in double quotes when printable, otherwise as bare upper-case hex
 * of the bytes. That is how auditd stays one line per record whatever an attacker puts in argv or in a
 * file name, and why a bare value there that is not hex means the line was damaged, not a plain word.
 */
/**
 * What value decoding needs of a record: its raw values and which were quoted, by key. A parsed record or
 * body (AuditRecord, AuditBody: maps) has it, and so has the decoder's view of a record (KeptFields).
 */
export interface RecordValues {
  readonly fields: { get(key: string): string | undefined };
  readonly quoted: { has(key: string): boolean };
}

/** A value that cannot be decoded; `reason` names the field (`bad hex in a2`). */
export class BadValue {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

/** The kernel reads at most this many bytes of /proc/PID/cmdline into PROCTITLE. */
export const PROCTITLE_MAX_BYTES = 128;

const hexValue = (c: number): number => {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
};

/** Non-empty, even length, hex digits only: the form auditd gives an untrusted string it encoded. */
export const isHexText = (value: string): boolean => {
  const n = value.length;
  if (n === 0 || n % 2 !== 0) return false;
  for (let i = 0; i < n; i++) if (hexValue(value.charCodeAt(i)) < 0) return false;
  return true;
};

/** Bytes of a hex string already checked with isHexText. */
export const hexBytes = (hex: string): Buffer => Buffer.from(hex, "hex");

/**
 * Text of an untrusted-string value: quoted → as is; `(null)`/`(none)` → undefined (the kernel had no
 * string); bare → hex-decoded as UTF-8 (invalid sequences become U+FFFD: a path stays comparable by prefix).
 */
export const decodeUntrusted = (
  value: string,
  quoted: boolean,
  key: string,
): string | undefined | BadValue => {
  if (quoted) return value;
  if (value === "(null)" || value === "(none)") return undefined;
  if (!isHexText(value)) return new BadValue(`bad hex in ${key}`);
  return hexBytes(value).toString("utf8");
};

/** An untrusted-string field of a record; undefined when the record lacks it or logged `(null)`. */
export const untrustedField = (record: RecordValues, key: string): string | undefined | BadValue => {
  const value = record.fields.get(key);
  if (value === undefined) return undefined;
  return decodeUntrusted(value, record.quoted.has(key), key);
};

export interface Proctitle {
  args: string[];
  /** Bytes the kernel logged; PROCTITLE_MAX_BYTES or close to it means the command line was cut. */
  bytes: number;
}

/** PROCTITLE: the NUL-separated command line, hex-encoded whenever it has more than one argument. */
export const decodeProctitle = (record: RecordValues): Proctitle | undefined | BadValue => {
  const value = record.fields.get("proctitle");
  if (value === undefined || value === "(null)") return undefined;
  if (record.quoted.has("proctitle")) return { args: [value], bytes: value.length };
  if (!isHexText(value)) return new BadValue("bad hex in proctitle");
  const bytes = hexBytes(value);
  const args: string[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0) {
      args.push(bytes.toString("utf8", start, i));
      start = i + 1;
    }
  }
  // A trailing NUL would leave an empty last argument that was never on the command line.
  if (args.length > 1 && args[args.length - 1] === "") args.pop();
  return { args, bytes: bytes.length };
};

/** Strict decimal (no sign, no blanks, no exponent), as auditd writes pid, ppid, argc and item. */
export const parseDecimal = (value: string | undefined, maxDigits = 10): number | undefined => {
  if (value === undefined || value.length === 0 || value.length > maxDigits) return undefined;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
    n = n * 10 + (c - 0x30);
  }
  return n;
};
