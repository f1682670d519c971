/**
 * The values of a fixed set of keys of one audit record, read from its scanned tokens (auditd-record.ts):
 * what the decoder reads of a SYSCALL, CWD, PATH, PROCTITLE or EOE record. One per record type and decoder,
 * reused from record to record: a line costs the slices of the values kept, and no Map or Set (a Map and a
 * Set per line, grown to nine keys for SYSCALL, were a quarter of what decoding allocated).
 *
 * Same answers as the maps of parseAuditBody: a key logged twice gives its last value, and counts as quoted
 * if it ever was.
 */

import { ENRICHED, type FieldTokens, QUOTED } from "./auditd-record.js";
import type { RecordValues } from "./auditd-values.js";

/** A value by key, as a Map answers it. */
export interface FieldLookup {
  get(key: string): string | undefined;
}

export class KeptFields implements RecordValues {
  /** Raw values, by key. */
  readonly fields: FieldLookup;
  /** Whether a raw value was quoted, by key. */
  readonly quoted: { has(key: string): boolean };
  /** Translated values (ENRICHED), by key. */
  readonly enriched: FieldLookup;
  readonly #keys: KeySet;
  readonly #translatedKeys: KeySet;
  readonly #values: (string | undefined)[];
  readonly #quoted: boolean[];
  readonly #translated: (string | undefined)[];

  constructor(keys: readonly string[], translatedKeys: readonly string[]) {
    this.#keys = new KeySet(keys);
    this.#translatedKeys = new KeySet(translatedKeys);
    this.#values = keys.map(() => undefined);
    this.#quoted = keys.map(() => false);
    this.#translated = translatedKeys.map(() => undefined);
    const values = this.#values;
    const quoted = this.#quoted;
    const translated = this.#translated;
    this.fields = { get: (key) => at(values, keys.indexOf(key)) };
    this.quoted = { has: (key) => at(quoted, keys.indexOf(key)) === true };
    this.enriched = { get: (key) => at(translated, translatedKeys.indexOf(key)) };
  }

  /** Takes the kept values of `text`, scanned into `tokens`; forgets those of the record before. */
  read(text: string, tokens: FieldTokens): this {
    for (let k = 0; k < this.#values.length; k++) {
      this.#values[k] = undefined;
      this.#quoted[k] = false;
    }
    for (let k = 0; k < this.#translated.length; k++) this.#translated[k] = undefined;
    const data = tokens.data;
    for (let t = 0, at = 0; t < tokens.count; t++, at += 5) {
      const flags = data[at + 4]!;
      const translated = (flags & ENRICHED) !== 0;
      const slot = (translated ? this.#translatedKeys : this.#keys).slotOf(text, data[at]!, data[at + 1]!);
      if (slot < 0) continue;
      const value = text.slice(data[at + 2]!, data[at + 3]!);
      if (translated) this.#translated[slot] = value;
      else {
        this.#values[slot] = value;
        if (flags & QUOTED) this.#quoted[slot] = true;
      }
    }
    return this;
  }
}

const at = <T>(list: readonly T[], index: number): T | undefined => (index < 0 ? undefined : list[index]);

/**
 * A key's length and first two characters in one number: a SYSCALL record has some forty keys, most of three
 * or four letters like the kept ones, and comparing this number first rules nearly all of them out at once.
 */
const codeOf = (text: string, start: number, length: number): number =>
  (length << 16) |
  ((text.charCodeAt(start) & 0xff) << 8) |
  (length > 1 ? text.charCodeAt(start + 1) & 0xff : 0);

/** The keys a KeptFields looks for, and their codes. */
class KeySet {
  readonly keys: readonly string[];
  readonly #codes: Int32Array;

  constructor(keys: readonly string[]) {
    this.keys = keys;
    this.#codes = Int32Array.from(keys, (key) => codeOf(key, 0, key.length));
  }

  /** Index of the key equal to text[start, end), -1 when none is; nothing sliced. */
  slotOf(text: string, start: number, end: number): number {
    const length = end - start;
    if (length === 0) return -1;
    const code = codeOf(text, start, length);
    const codes = this.#codes;
    for (let k = 0; k < codes.length; k++) {
      if (codes[k] === code && text.startsWith(this.keys[k]!, start)) return k;
    }
    return -1;
  }
}
