/**
 * Strings of their own for what outlives the line it was read from.
 *
 * V8 makes `line.slice(a, b)` of 13 characters or more a view into `line`, which keeps the whole line alive
 * as long as the slice lives: an executable path held by the lineage store kept its audit line (hundreds of
 * bytes, up to 9 KB) alive for as long as the process record stayed there, and every major GC traced it.
 * Shorter slices are copied by V8 itself.
 */

/** Below this length V8 copies a slice rather than pointing into its parent (SlicedString::kMinLength). */
const SLICE_MIN_LENGTH = 13;

/**
 * `text` as a string that points into no other: the same characters, in a sequential string of its own.
 * A two-element join is the cheapest way found to make V8 write the characters out (a concatenation makes a
 * cons string, and slicing one points into its flattened copy, one character longer).
 */
export function flatString(text: string): string {
  if (text.length < SLICE_MIN_LENGTH) return text;
  return [text.slice(0, 1), text.slice(1)].join("");
}

/** `flatString` of each, in a new array. */
export function flatStrings(texts: readonly string[]): string[] {
  const out = new Array<string>(texts.length);
  for (let i = 0; i < texts.length; i++) out[i] = flatString(texts[i]!);
  return out;
}
