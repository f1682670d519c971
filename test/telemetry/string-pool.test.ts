import { describe, expect, it } from "vitest";
import { StringPool } from "../../lib/telemetry/string-pool.js";

describe("StringPool", () => {
  it("gives back equal strings, one entry per distinct value", () => {
    const pool = new StringPool();
    const line = 'exe="/usr/bin/dash" cwd="/home/deploy" exe="/usr/bin/dash"';
    const value = (from: number) => line.slice(line.indexOf('"', from) + 1, line.indexOf('" ', from));
    expect(pool.get(value(0))).toBe("/usr/bin/dash");
    expect(pool.get(value(line.indexOf("cwd=")))).toBe("/home/deploy");
    expect(pool.get(line.slice(line.lastIndexOf('"/') + 1, -1))).toBe("/usr/bin/dash");
    expect(pool.size).toBe(2);
  });

  it("copies a list element by element", () => {
    const pool = new StringPool();
    const args = ["sh", "-c", "sh"];
    const copy = pool.getAll(args);
    expect(copy).toEqual(args);
    expect(copy).not.toBe(args);
    expect(pool.size).toBe(2);
  });

  it("starts over when full", () => {
    const pool = new StringPool(3);
    for (const value of ["a", "b", "c"]) pool.get(value);
    expect(pool.size).toBe(3);
    expect(pool.get("d")).toBe("d");
    expect(pool.size).toBe(1);
  });

  it("does not keep values longer than its limit", () => {
    const pool = new StringPool(16, 8);
    expect(pool.get("12345678")).toBe("12345678");
    expect(pool.get("123456789")).toBe("123456789");
    expect(pool.size).toBe(1);
  });
});
