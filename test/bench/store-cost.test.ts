import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PRICES } from "./prices.js";
import { kinesisMemoryMb, serverlessYmlPath, storeCost } from "./store-cost.js";

describe("storeCost", () => {
  // 1,000 events: 1,000 WRU and 500 RRU of records, 100 WRU of pending states; 0.001 GB-month stored by
  // 2,000 events; 2 s of handler at 512 MB.
  const cost = storeCost({
    events: 1_000,
    byKind: new Map([
      ["p", { writeUnits: 1_000, readUnits: 500, writes: 800, reads: 500 }],
      ["q", { writeUnits: 100, readUnits: 0, writes: 50, reads: 0 }],
    ]),
    storage: { items: 10, bytes: 10_000, gbMonths: 0.001 },
    storageEvents: 2_000,
    handlerSeconds: 2,
    memoryMb: 512,
    batchSize: 1_000,
  });
  const line = (prefix: string) => cost.lines.find((l) => l.item.startsWith(prefix))!;

  it.each<[string, number, number]>([
    ["DynamoDB writes: process records", 1, 0.625],
    ["DynamoDB writes: pending", 0.1, 0.0625],
    ["DynamoDB reads: process records", 0.5, 0.0625],
    ["DynamoDB storage", 0.001 / 2_000, 0.125],
    ["Lambda duration", 1 / 1_000, 1_000 * PRICES.lambdaArmGbSecond],
    ["Lambda requests", 1 / 1_000, 0.0002],
  ])("%s: %f per event, $%f per million events", (prefix, perEvent, usd) => {
    expect(line(prefix).perEvent).toBeCloseTo(perEvent, 9);
    expect(line(prefix).usdPerMillion).toBeCloseTo(usd, 9);
  });

  it("sums units per event and dollars per million events", () => {
    expect(cost.writeUnitsPerEvent).toBeCloseTo(1.1, 9);
    expect(cost.readUnitsPerEvent).toBeCloseTo(0.5, 9);
    expect(cost.usdPerMillionEvents).toBeCloseTo(0.625 + 0.0625 + 0.0625 + 0.125 + 0.0133334 + 0.0002, 6);
  });
});

describe("kinesisMemoryMb", () => {
  it("reads the memory the kinesis function gets from this checkout's serverless.yml", () => {
    const yml = readFileSync(serverlessYmlPath(), "utf8");
    const provider = Number(/^provider:\n(?:.*\n)*? {2}memorySize: (\d+)$/m.exec(yml)?.[1]);
    expect(kinesisMemoryMb(yml)).toBe(provider);
  });

  it.each([
    ["the provider's", "provider:\n  memorySize: 512\nfunctions:\n  kinesis:\n    handler: x\n", 512],
    [
      "the function's own, over the provider's",
      "provider:\n  memorySize: 512\nfunctions:\n  other:\n    memorySize: 128\n  kinesis:\n    memorySize: 1024\n",
      1024,
    ],
    [
      "not another function's",
      "provider:\n  memorySize: 512\nfunctions:\n  kinesis:\n    handler: x\n  slack:\n    memorySize: 256\n",
      512,
    ],
  ])("%s", (_, yml, memory) => {
    expect(kinesisMemoryMb(yml)).toBe(memory);
  });

  it("fails rather than guess", () => {
    expect(() => kinesisMemoryMb("functions:\n  kinesis:\n    handler: x\n")).toThrow(/memorySize/);
  });
});
