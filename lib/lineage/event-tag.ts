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
  // Each half divided down digit by digit (chained divisions by 36: dividing by 36^k directly cost twice as
  // much), then the character codes of the second half's seven digits and the first half's last six.
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
  const [c5, c4, c3, c2, c1, c0] = [digit(x5), digit(x4), digit(x3), digit(x2), digit(x1), digit(x)];
  const [d6, d5, d4, d3, d2, d1, d0] = [
    digit(y6),
    digit(y5),
    digit(y4),
    digit(y3),
    digit(y2),
    digit(y1),
    digit(y),
  ];
  // 36^6 ≤ x: seven digits (half of all tags); 36^5 ≤ x: six (nearly all the others).
  if (x6 > 0) return String.fromCharCode(digit(x6), c5, c4, c3, c2, c1, c0, d6, d5, d4, d3, d2, d1, d0);
  if (x5 > 0) return String.fromCharCode(c5, c4, c3, c2, c1, c0, d6, d5, d4, d3, d2, d1, d0);
  return x.toString(36) + String.fromCharCode(d6, d5, d4, d3, d2, d1, d0);
}

const div36 = (n: number): number => Math.floor(n / 36);

/** The character code of `n`'s last base-36 digit ("0"–"9", "a"–"z"). */
function digit(n: number): number {
  const d = n % 36;
  return d < 10 ? 48 + d : 87 + d;
}
