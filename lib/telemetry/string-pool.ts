import { flatString, flatStrings } from "./flat-string.js";

/** How a decoder copies the strings of an event out of its input: a StringPool, or FLAT_COPIES. */
export interface StringCopies {
  get(text: string): string;
  getAll(texts: readonly string[]): string[];
}

/** Each value a flat copy of its own, nothing shared (flat-string.ts). */
export const FLAT_COPIES: StringCopies = { get: flatString, getAll: flatStrings };

/**
 * One copy of each frequent value that decoded events carry (host names, user ids, executables, working
 * directories, common arguments), for what the lineage store keeps: 200,000 exec events of the benchmark
 * hold "/usr/bin/dash" thirteen thousand times and "4294967295" twenty-five thousand times, each copy a
 * string of its own to allocate, promote and trace. A value is looked up (its characters hashed, compared
 * with the one copy); a miss costs the flat copy the value needed anyway (flat-string.ts) and an entry.
 *
 * Bounded: at most `capacity` entries of at most `maxLength` characters each; when full, the pool starts
 * over empty (the values still in use stay alive through their events, and frequent ones come back at once),
 * which is cheaper than keeping a usage order on every hit.
 */
export class StringPool implements StringCopies {
  readonly #pool = new Map<string, string>();
  readonly #capacity: number;
  readonly #maxLength: number;

  constructor(capacity = 8192, maxLength = 256) {
    this.#capacity = capacity;
    this.#maxLength = maxLength;
  }

  /** A flat string equal to `text`: the pool's copy when it has one. */
  get(text: string): string {
    if (text.length > this.#maxLength) return flatString(text);
    const known = this.#pool.get(text);
    if (known !== undefined) return known;
    const copy = flatString(text);
    if (this.#pool.size >= this.#capacity) this.#pool.clear();
    this.#pool.set(copy, copy);
    return copy;
  }

  /** `get` of each, in a new array of the same length. */
  getAll(texts: readonly string[]): string[] {
    const out = new Array<string>(texts.length);
    for (let i = 0; i < texts.length; i++) out[i] = this.get(texts[i]!);
    return out;
  }

  /** Entries held (for tests). */
  get size(): number {
    return this.#pool.size;
  }
}
