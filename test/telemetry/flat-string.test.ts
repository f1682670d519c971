import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { flatString, flatStrings } from "../../lib/telemetry/flat-string.js";

/** The collector, for what a string keeps alive. */
function collector(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

describe("flatString", () => {
  it.each([
    ["empty", ""],
    ["short", "/bin/sh"],
    ["just long enough to be a slice", "/usr/bin/dash"],
    ["long", "/opt/reports/lib/shop-module-0-2.0.0.jar:/opt/reports/lib/commons-module-1-2.1.0.jar"],
    ["two-byte", "/tmp/ünïcødé-ファイル"],
    ["a surrogate pair first", "😀 and more text after it"],
  ])("keeps the characters: %s", (_, text) => {
    const line = `prefix "${text}" suffix`;
    const slice = line.slice(8, 8 + text.length);
    expect(flatString(slice)).toBe(text);
  });

  it("copies a list, element by element", () => {
    const args = ["curl", "-s", "http://www.example.com/a/long/path"];
    const copy = flatStrings(args);
    expect(copy).toEqual(args);
    expect(copy).not.toBe(args);
  });

  it("keeps none of the text it was sliced from alive", () => {
    const gc = collector();
    const heap = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const before = heap();
    // 64 lines of 256 KiB, each with a 40-character value kept: sliced, the values would keep 16 MiB.
    const kept: string[] = [];
    for (let i = 0; i < 64; i++) {
      const line = Buffer.alloc(256 * 1024, 65 + (i % 26)).toString("latin1");
      kept.push(flatString(line.slice(1000, 1040)));
    }
    expect(heap() - before).toBeLessThan(2 << 20);
    expect(kept.every((value, i) => value === String.fromCharCode(65 + (i % 26)).repeat(40))).toBe(true);
  });
});
