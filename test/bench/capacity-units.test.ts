import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { itemSize, numberSize, readUnits, valueSize, writeUnits } from "./capacity-units.js";

/**
 * The rules of "DynamoDB item sizes and formats" and the examples of "DynamoDB read and write operations"
 * (URLs in capacity-units.ts), one row each.
 */
describe("item size (CapacityUnitCalculations)", () => {
  const b = (text: string) => new Uint8Array(Buffer.from(text));
  it.each<[string, Record<string, AttributeValue>, number]>([
    ["a string: name + its UTF-8 bytes", { name: { S: "Harry" } }, 4 + 5],
    ["UTF-8, not UTF-16: é is two bytes, € three", { s: { S: "é€" } }, 1 + 5],
    ["a binary: name + raw bytes (not base64)", { bin: { B: b("abcd") } }, 3 + 4],
    ["a number: 1 byte per two significant digits + 1", { n: { N: "123" } }, 1 + 3],
    ["leading and trailing zeroes are trimmed", { n: { N: "0012.500" } }, 1 + 3],
    ["a boolean: name + 1", { ok: { BOOL: true } }, 2 + 1],
    ["a null: name + 1", { gone: { NULL: true } }, 4 + 1],
    ["an empty list or map: name + 3", { l: { L: [] }, m: { M: {} } }, 1 + 3 + 1 + 3],
    [
      "a list: 3 + each element + 1 per element",
      { l: { L: [{ S: "ab" }, { N: "7" }] } },
      1 + 3 + (2 + 1) + (2 + 1),
    ],
    [
      "a map: 3 + each element with its key + 1 per element",
      { m: { M: { k: { S: "v" } } } },
      1 + 3 + (1 + 1 + 1),
    ],
    [
      "attributes add up (the key, a record, its TTL: 1796400000 has five significant digits)",
      { pk: { S: "p|web-01|4242" }, r: { S: '{"v":1}' }, expiresAt: { N: "1796400000" } },
      2 + 13 + (1 + 7) + (9 + 3 + 1),
    ],
  ])("%s", (_, item, size) => {
    expect(itemSize(item)).toBe(size);
  });

  it.each([
    ["0", 1],
    ["7", 2],
    ["-42", 2],
    ["1.5E+3", 2],
    ["12345678901234567890123456789012345678", 20],
  ])("number %s: %i bytes", (text, size) => {
    expect(numberSize(text)).toBe(size);
    expect(valueSize({ N: text })).toBe(size);
  });
});

describe("read and write units (read-write-operations)", () => {
  it.each<[string, number | undefined, boolean, number]>([
    ["a 3,500-byte item is billed as 4 KB: one unit", 3_500, true, 1],
    ["an 8 KB item: two units strongly consistent", 8 * 1024, true, 2],
    ["an 8 KB item: one unit eventually consistent", 8 * 1024, false, 1],
    ["a 10 KB item is rounded up to 12 KB", 10 * 1024, true, 3],
    ["a small item read eventually: half a unit", 100, false, 0.5],
    ["an item that does not exist still costs a read: strong", undefined, true, 1],
    ["an item that does not exist still costs a read: eventual", undefined, false, 0.5],
  ])("%s", (_, size, consistent, units) => {
    expect(readUnits(size, consistent)).toBe(units);
  });

  it("BatchGetItem rounds each item on its own: 1.5 KB + 6.5 KB is 12 KB, not 8 KB", () => {
    expect(readUnits(1.5 * 1024, true) + readUnits(6.5 * 1024, true)).toBe(3);
  });

  it.each([
    [1, 1],
    [1024, 1],
    [1025, 2],
    [3 * 1024, 3],
    [2.5 * 1024, 3],
    [0, 1],
  ])("a write of %i bytes: %i units", (size, units) => {
    expect(writeUnits(size)).toBe(units);
  });
});
