/**
 * A short, stable tag of the event that wrote a process image (`source.eventId`), stored with the image so
 * that a redelivery recognises what a failed attempt of the same events already wrote (lib/lineage/rewind.ts).
 *
 * 64 bits of two FNV-1a passes, in base 36 (at most 14 characters): a record costs write units per KB, and a
 * cryptographic digest would cost a hash per exec event for nothing, since a tag is only ever compared with
 * the tags of one batch (~1,000 events: a false match is about 1 in 10^16 per record read).
 */
export function eventTag(eventId: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ eventId.length;
  for (let i = 0; i < eventId.length; i++) {
    const c = eventId.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c ^ (i & 0xff), 0x01000193) ^ (b >>> 15);
  }
  return (a >>> 0).toString(36) + (b >>> 0).toString(36).padStart(7, "0");
}
