/**
 * Tiny accessors for JSON that the caller has already parsed. Telemetry is hostile input (DESIGN §7): every
 * read checks the type and answers `undefined` instead of throwing, and nothing here allocates on the happy
 * path, because decoders run at ~100k events/s. Reasons for a Malformed output are built only on the cold
 * path, by `fieldReason`.
 */

export type JsonObject = { readonly [key: string]: unknown };

/**
 * Most argument entries a decoder keeps. Far above any real command line, low enough that a hostile record
 * cannot make the lineage store or an alert carry an unbounded list; the cut is flagged as `argsTruncated`.
 */
export const MAX_ARGS = 4096;

// Anchored and without nested quantifiers: linear time on any input.
const NUMERIC = /^-?\d+(?:\.\d+)?$/;
const DIGITS = /^\d+$/;
// Longer strings are not numbers we want: no pid, uid or epoch needs them.
const MAX_NUMERIC_STRING = 24;

export const isObj = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export const getObj = (owner: JsonObject | undefined, key: string): JsonObject | undefined => {
  const value = owner?.[key];
  return isObj(value) ? value : undefined;
};

export const getStr = (owner: JsonObject | undefined, key: string): string | undefined => {
  const value = owner?.[key];
  return typeof value === "string" ? value : undefined;
};

export const getArr = (owner: JsonObject | undefined, key: string): readonly unknown[] | undefined => {
  const value = owner?.[key];
  return Array.isArray(value) ? value : undefined;
};

/** A finite number, or a string holding a decimal one (go-libaudit and Auditbeat write numbers as strings). */
export const toNum = (value: unknown): number | undefined => {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.length <= MAX_NUMERIC_STRING && NUMERIC.test(value)) {
    return Number(value);
  }
  return undefined;
};

export const getNum = (owner: JsonObject | undefined, key: string): number | undefined => toNum(owner?.[key]);

/** A non-negative safe integer (pid, uid, argc), as a number or a string of digits. */
export const toInt = (value: unknown): number | undefined => {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === "string" && value.length <= 16 && DIGITS.test(value)) return Number(value);
  return undefined;
};

export const getInt = (owner: JsonObject | undefined, key: string): number | undefined => toInt(owner?.[key]);

/** The array when every entry is a string, else `undefined`. */
export const getStrArray = (owner: JsonObject | undefined, key: string): string[] | undefined => {
  const value = owner?.[key];
  if (!Array.isArray(value)) return undefined;
  for (const entry of value) if (typeof entry !== "string") return undefined;
  return value as string[];
};

/** A keyword that ECS allows as a single string or as an array of strings (`event.category`, `event.type`). */
export const getStrList = (owner: JsonObject | undefined, key: string): readonly string[] => {
  const value = owner?.[key];
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((entry): entry is string => typeof entry === "string");
  return [];
};

/** An identifier that sources write as a string or as a number (uid, user.id). */
export const getIdString = (owner: JsonObject | undefined, key: string): string | undefined => {
  const value = owner?.[key];
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  return undefined;
};

/** Why a required field could not be read: `"<path> is missing"` or `"<path> is not <expected>"`. */
export const fieldReason = (
  owner: JsonObject | undefined,
  key: string,
  path: string,
  expected: string,
): string => (owner?.[key] === undefined ? `${path} is missing` : `${path} is not ${expected}`);

/** Epoch ms from an ISO-8601 string or an epoch-ms number; `undefined` when neither. */
export const toEpochMs = (value: unknown): number | undefined => {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string" || value.length > 64) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
};

/**
 * A command line the source gives only as one string (osquery `cmdline`, Sysmon `CommandLine`, ECS `title`):
 * split on spaces, capped at MAX_ARGS. Lossy for arguments that hold spaces, and the best the data allows.
 */
export const splitOnSpaces = (line: string): { args: string[]; truncated: boolean } => {
  const args: string[] = [];
  for (const part of line.split(" ")) {
    if (part === "") continue;
    if (args.length === MAX_ARGS) return { args, truncated: true };
    args.push(part);
  }
  return { args, truncated: false };
};

// 8.64e15 is the last instant a JS Date can hold.
const MAX_EPOCH_MS = 8.64e15;

/**
 * Epoch ms from a number or numeric string in seconds, ms, µs or ns (told apart by magnitude: sources say ms, but
 * mappers copy whatever their source had (OCSF, Datadog)), or from an ISO-8601 string; `undefined` when none of these.
 */
export const toEpochMsScaled = (value: unknown): number | undefined => {
  const n = toNum(value);
  if (n === undefined) return typeof value === "string" ? toEpochMs(value) : undefined;
  if (n < 0) return undefined;
  // 1e11 s is the year 5138 and 1e11 ms is 1973: no real event time sits on the wrong side of either.
  let ms: number;
  if (n < 1e11) ms = Math.round(n * 1000);
  else if (n < 1e14) ms = Math.floor(n);
  else if (n < 1e17) ms = Math.floor(n / 1e3);
  else ms = Math.floor(n / 1e6);
  return ms <= MAX_EPOCH_MS ? ms : undefined;
};
