/**
 * A short, stable tag of the event that wrote a process image (`source.eventId`), stored with the image so
 * that a redelivery recognises what a failed attempt of the same events already wrote (lib/lineage/rewind.ts).
 *
 * 64 bits of two FNV-1a passes, in base 36 (at most 14 characters): a record costs write units per KB, and a
 * cryptographic digest would cost a hash per exec event for nothing, since a tag is only ever compared with
 * the tags of one batch (~1,000 events: a false match is about 1 in 10^16 per record read).
 *
 * The text is the first half's `toString(36)` then the second half's, padded to 7 digits: tables hold tags in
 * that form, and a retry across a deploy must still recognise them. It is built digit by digit in one flat
 * string: `toString(36)` twice, a pad and a concatenation cost 4 times as much (0.7 µs an event in the
 * benchmark) and left a concatenation that every held record had to flatten.
 */
export function eventTag(eventId: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ eventId.length;
  for (let i = 0; i < eventId.length; i++) {
    const c = eventId.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c ^ (i & 0xff), 0x01000193) ^ (b >>> 15);
  }
  const x = a >>> 0;
  const y = b >>> 0;
  const y1 = div36(y);
  const y2 = div36(y1);
  const y3 = div36(y2);
  const y4 = div36(y3);
  const y5 = div36(y4);
  const y6 = div36(y5);
  const x1 = div36(x);
  const x2 = div36(x1);
  const x3 = div36(x2);
  const x4 = div36(x3);
  const x5 = div36(x4);
  const x6 = div36(x5);
  // 36^6 ≤ x: seven digits (half of all tags); 36^5 ≤ x: six (nearly all the others).
  if (x6 > 0) {
    return String.fromCharCode(
      digit(x6),
      digit(x5),
      digit(x4),
      digit(x3),
      digit(x2),
      digit(x1),
      digit(x),
      digit(y6),
      digit(y5),
      digit(y4),
      digit(y3),
      digit(y2),
      digit(y1),
      digit(y),
    );
  }
  if (x5 > 0) {
    return String.fromCharCode(
      digit(x5),
      digit(x4),
      digit(x3),
      digit(x2),
      digit(x1),
      digit(x),
      digit(y6),
      digit(y5),
      digit(y4),
      digit(y3),
      digit(y2),
      digit(y1),
      digit(y),
    );
  }
  const low = String.fromCharCode(digit(y6), digit(y5), digit(y4), digit(y3), digit(y2), digit(y1), digit(y));
  return x.toString(36) + low;
}

const div36 = (n: number): number => Math.floor(n / 36);

/** The character code of `n`'s last base-36 digit ("0"–"9", "a"–"z"). */
function digit(n: number): number {
  const d = n % 36;
  return d < 10 ? 48 + d : 87 + d;
}
