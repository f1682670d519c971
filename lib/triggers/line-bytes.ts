/**
 * The exact bytes of a payload's lines. A newline byte (0x0A) never occurs inside a UTF-8 sequence, and
 * decoding invalid UTF-8 to U+FFFD neither makes nor hides one: line N of the decoded text is line N of the
 * bytes. A line set aside keeps what the producer sent (invalid UTF-8, a 300 KB line), not its decoded text.
 */
export function lineIndex(bytes: Buffer): { bytes(first: number, count: number): Buffer } {
  // Offsets of each line's first byte, found once, when the payload has something to set aside.
  const starts = [0];
  for (let at = bytes.indexOf(10); at >= 0; at = bytes.indexOf(10, at + 1)) starts.push(at + 1);
  return {
    /** Lines `first` (1-based) to `first + count - 1`, without the last line's terminating newline. */
    bytes(first: number, count: number): Buffer {
      const from = starts[first - 1] ?? bytes.length;
      const next = starts[first - 1 + count];
      const to = next === undefined ? bytes.length : next - 1;
      return bytes.subarray(from, Math.max(from, to));
    },
  };
}
