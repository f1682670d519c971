import { describe, expect, it } from "vitest";
import { processKey } from "../../lib/lineage/process-record.js";

describe("processKey", () => {
  it.each([
    ["web-1", 4242, "web-1\u00004242"],
    ["a", 1, "a\u00001"],
    [
      "ip-10-0-0-1.eu-west-1.compute.internal",
      4194304,
      "ip-10-0-0-1.eu-west-1.compute.internal\u00004194304",
    ],
    ["h".repeat(300), 7, `${"h".repeat(300)}\u00007`],
  ])("%s pid %d → its host, a NUL and its pid", (host, pid, want) => {
    expect(processKey(host, pid)).toBe(want);
    // Asked again: the same key.
    expect(processKey(host, pid)).toBe(want);
  });

  it("gives every host and pid its own key, past the memory of keys asked before", () => {
    // 300,000 keys in two passes: more than the memory keeps, so it starts over in between.
    for (let pass = 0; pass < 2; pass++) {
      for (let h = 0; h < 3; h++) {
        for (let pid = 1; pid <= 100_000; pid++) {
          const key = processKey(`host-${h}`, pid);
          if (key !== `host-${h}\u0000${pid}`) expect(key).toBe(`host-${h}\u0000${pid}`);
        }
      }
    }
  });
});
