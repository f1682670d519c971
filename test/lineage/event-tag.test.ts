import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventTag } from "../../lib/lineage/event-tag.js";

/** The tag's text as tables hold it (the first form of the function): a retry across a deploy must match. */
function reference(eventId: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ eventId.length;
  for (let i = 0; i < eventId.length; i++) {
    const c = eventId.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c ^ (i & 0xff), 0x01000193) ^ (b >>> 15);
  }
  return (a >>> 0).toString(36) + (b >>> 0).toString(36).padStart(7, "0");
}

describe("eventTag", () => {
  it.each([
    ["auditd", "web-1:1700000000.123:4242"],
    ["ECS", "AYx0c2lkZS1lbnRpdHk"],
    ["empty", ""],
    ["non-Latin", "hôte-é:1:2"],
  ])("keeps the stored form of a tag (%s)", (_, id) => {
    expect(eventTag(id)).toBe(reference(id));
  });

  it("keeps the stored form for any id, with every digit count of the first half", () => {
    const lengths = new Set<number>();
    fc.assert(
      fc.property(fc.string({ maxLength: 64 }), (id) => {
        const tag = eventTag(id);
        expect(tag).toBe(reference(id));
        lengths.add(tag.length);
      }),
      { seed: 11, numRuns: 20_000 },
    );
    // Seven digits of the first half (14 characters) and six (13); fewer are rare but must match too.
    expect(lengths).toContain(14);
    expect(lengths).toContain(13);
  });

  it("gives a first half below 36^5 its own digits", () => {
    // Found by search: ids whose first hash is small enough for five digits or fewer.
    let found = 0;
    for (let i = 0; found < 5 && i < 5_000_000; i++) {
      const id = `id-${i}`;
      const tag = reference(id);
      if (tag.length > 12) continue;
      expect(eventTag(id)).toBe(tag);
      found++;
    }
    expect(found).toBe(5);
  });
});
