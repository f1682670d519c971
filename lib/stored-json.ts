/**
 * Reading back JSON this project wrote to its table (process records, parts of audit events, hosts' states):
 * a value of another shape (another version, a damaged or forged item) is refused whole, never half-read.
 * The readers throw Corrupt; `readStored` turns that into undefined, for the caller to count.
 */
export type Json = Record<string, unknown>;

export class Corrupt extends Error {}

/** `read(value)`, or undefined when the value has a shape `read` refuses. */
export function readStored<T>(value: unknown, read: (value: unknown) => T): T | undefined {
  try {
    return read(value);
  } catch (error) {
    if (error instanceof Corrupt) return undefined;
    throw error;
  }
}

export const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function readObject(value: unknown): Json {
  if (!isObject(value)) throw new Corrupt();
  return value;
}

export function readArray(value: unknown): readonly unknown[] {
  if (!Array.isArray(value)) throw new Corrupt();
  return value;
}

export function readString(value: unknown): string {
  if (typeof value !== "string") throw new Corrupt();
  return value;
}

export function readNumber(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new Corrupt();
  return value;
}

export function optional<T>(value: unknown, read: (value: unknown) => T): T | undefined {
  return value === undefined ? undefined : read(value);
}
