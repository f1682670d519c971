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
  });
});
