import { describe, expect, it } from "vitest";
import { CapacityMeter, itemKind, logEntry, writtenItems } from "./call-log.js";
import { type Item, itemSize } from "./capacity-units.js";

const T = "table";
/** An item of about `bytes` bytes under key `pk` (a record attribute padded to size). */
const item = (pk: string, bytes: number, expiresAt?: number): Item => {
  const base: Item = { pk: { S: pk }, r: { S: "" } };
  if (expiresAt !== undefined) base["expiresAt"] = { N: String(expiresAt) };
  base["r"] = { S: "x".repeat(Math.max(0, bytes - itemSize(base))) };
  return base;
};
const key = (pk: string): Item => ({ pk: { S: pk } });
const now = 1_800_000_000_000;

const put = (items: Item[], unprocessed: Item[] = []) =>
  logEntry(
    "BatchWriteItem",
    { RequestItems: { [T]: items.map((Item) => ({ PutRequest: { Item } })) } },
    {
      UnprocessedItems:
        unprocessed.length === 0 ? {} : { [T]: unprocessed.map((Item) => ({ PutRequest: { Item } })) },
    },
    undefined,
    now,
  );
const get = (pks: string[], found: Item[], consistent: boolean) =>
  logEntry(
    "BatchGetItem",
    { RequestItems: { [T]: { Keys: pks.map(key), ConsistentRead: consistent } } },
    { Responses: { [T]: found }, UnprocessedKeys: {} },
    undefined,
    now,
  );

describe("logEntry", () => {
  it("a BatchWriteItem's puts and deletes, less its unprocessed items", () => {
    const a = item("p|h|1", 500);
    const b = item("p|h|2", 500);
    const entry = logEntry(
      "BatchWriteItem",
      {
        RequestItems: {
          [T]: [
            { PutRequest: { Item: a } },
            { PutRequest: { Item: b } },
            { DeleteRequest: { Key: key("q|h") } },
          ],
        },
      },
      { UnprocessedItems: { [T]: [{ PutRequest: { Item: b } }] } },
      undefined,
      now,
    );
    expect(entry.writes).toEqual([
      { pk: "p|h|1", kind: "put", size: 500, expiresAt: undefined },
      { pk: "q|h", kind: "delete" },
    ]);
    expect(
      writtenItems(
        "BatchWriteItem",
        { RequestItems: { [T]: [{ PutRequest: { Item: a } }, { PutRequest: { Item: b } }] } },
        { UnprocessedItems: { [T]: [{ PutRequest: { Item: b } }] } },
      ),
    ).toEqual([a]);
  });

  it("a BatchGetItem's keys, found or not, with their consistency; unprocessed keys are not read", () => {
    const entry = logEntry(
      "BatchGetItem",
      { RequestItems: { [T]: { Keys: [key("a"), key("b"), key("c")], ConsistentRead: true } } },
      { Responses: { [T]: [item("a", 300)] }, UnprocessedKeys: { [T]: { Keys: [key("c")] } } },
      undefined,
      now,
    );
    expect(entry.reads).toEqual([
      { pk: "a", consistent: true, returnedSize: 300 },
      { pk: "b", consistent: true, returnedSize: undefined },
    ]);
    expect(entry.itemsReturned).toBe(1);
  });

  it("an UpdateItem is sized by the item it returns (ALL_NEW), else left unknown", () => {
    const after = item("d|k|1", 200, 99);
    const input = { Key: key("d|k|1"), UpdateExpression: "ADD #c :n" };
    expect(
      logEntry("UpdateItem", { ...input, ReturnValues: "ALL_NEW" }, { Attributes: after }, undefined, now)
        .writes,
    ).toEqual([{ pk: "d|k|1", kind: "update", size: 200, expiresAt: 99 }]);
    expect(logEntry("UpdateItem", input, {}, undefined, now).writes[0]!.size).toBeUndefined();
  });

  it("a failed condition still writes (billed); any other failure neither reads nor writes", () => {
    const input = { Item: item("publish|x", 100) };
    expect(logEntry("PutItem", input, undefined, "ConditionalCheckFailedException", now).writes).toEqual([
      { pk: "publish|x", kind: "put", size: 100, expiresAt: undefined, conditionFailed: true },
    ]);
    const failed = logEntry("PutItem", input, undefined, "ValidationException", now);
    expect(failed.writes).toEqual([]);
    expect(failed.error).toBe("ValidationException");
  });
});

describe("CapacityMeter", () => {
  it("a put over a larger item is billed for the larger one; a smaller put over it shrinks the shadow", () => {
    const meter = new CapacityMeter();
    meter.add(put([item("p|h|1", 2_500)]));
    meter.add(put([item("p|h|1", 300)]));
    meter.add(put([item("p|h|1", 300)]));
    expect(meter.byKind.get("p")).toEqual({ writeUnits: 3 + 3 + 1, readUnits: 0, writes: 3, reads: 0 });
  });

  it("reads bill the whole item the log saw written, however little the projection returned", () => {
    const meter = new CapacityMeter();
    meter.add(put([item("p|h|1", 5_000)]));
    meter.add(get(["p|h|1"], [{ pk: { S: "p|h|1" } }], true));
    expect(meter.byKind.get("p")!.readUnits).toBe(2);
  });

  it("an absent key costs the minimum: 1 strong, 0.5 eventual", () => {
    const meter = new CapacityMeter();
    meter.add(get(["p|h|1", "p|h|2"], [], true));
    meter.add(get(["q|h"], [], false));
    expect(meter.byKind.get("p")!.readUnits).toBe(2);
    expect(meter.byKind.get("q")!.readUnits).toBe(0.5);
  });

  it.each([
    ["a delete is billed for the item it deletes", [item("q|h", 3_000)], 3, 0],
    ["a delete of an item never seen written costs the minimum, its size unknown", [], 1, 1],
  ])("%s", (_, before, units, unknown) => {
    const meter = new CapacityMeter();
    if (before.length > 0) meter.add(put(before));
    meter.startWindow();
    meter.add(logEntry("DeleteItem", { Key: key("q|h") }, {}, undefined, now));
    expect(meter.byKind.get("q")!.writeUnits).toBe(units);
    expect(meter.deletesOfUnknownSize).toBe(unknown);
    expect(meter.storage(60).items).toBe(0);
  });

  it("a failed conditional write is billed for the existing item, at least 1", () => {
    const meter = new CapacityMeter();
    const claim = { Item: item("publish|a", 100) };
    meter.add(logEntry("PutItem", { Item: item("publish|a", 2_100) }, {}, undefined, now));
    meter.add(logEntry("PutItem", claim, undefined, "ConditionalCheckFailedException", now));
    meter.add(
      logEntry(
        "PutItem",
        { Item: item("publish|b", 100) },
        undefined,
        "ConditionalCheckFailedException",
        now,
      ),
    );
    expect(meter.byKind.get("publish")!.writeUnits).toBe(3 + 3 + 1);
    expect(meter.storage(60).items).toBe(1);
  });

  it("an update is billed for the larger of before and after", () => {
    const meter = new CapacityMeter();
    meter.add(put([item("d|k", 1_500)]));
    meter.add(
      logEntry(
        "UpdateItem",
        { Key: key("d|k"), ReturnValues: "ALL_NEW" },
        { Attributes: item("d|k", 900) },
        undefined,
        now,
      ),
    );
    meter.add(
      logEntry(
        "UpdateItem",
        { Key: key("d|k"), ReturnValues: "ALL_NEW" },
        { Attributes: item("d|k", 2_100) },
        undefined,
        now,
      ),
    );
    expect(meter.byKind.get("d")!.writeUnits).toBe(2 + 2 + 3);
  });

  it("storage: live items with 100 B each, kept from their last write to their TTL (or the default)", () => {
    const meter = new CapacityMeter();
    const written = now / 1000;
    meter.add(put([item("p|h|1", 924, written + 730 * 3600), item("p|h|2", 924)]));
    const storage = meter.storage(730 * 3600 * 2);
    expect(storage).toEqual({ items: 2, bytes: 2 * 1024, gbMonths: (1024 * 1 + 1024 * 2) / 1024 ** 3 });
  });

  it("the window starts from zero and keeps the table's shadow", () => {
    const meter = new CapacityMeter();
    meter.add(put([item("p|h|1", 3_000)]));
    meter.startWindow();
    expect(meter.total()).toEqual({ writeUnits: 0, readUnits: 0, writes: 0, reads: 0 });
    meter.add(get(["p|h|1"], [item("p|h|1", 3_000)], false));
    meter.add(put([item("p|h|1", 100)]));
    expect(meter.total()).toEqual({ writeUnits: 3, readUnits: 0.5, writes: 1, reads: 1 });
    expect(meter.byOperation.get("BatchWriteItem")).toEqual({ calls: 1, keysRead: 0, itemsWritten: 1 });
  });

  it("names what it cannot price", () => {
    const meter = new CapacityMeter();
    meter.add(logEntry("Query", {}, {}, undefined, now));
    expect([...meter.unpriced]).toEqual([["Query", 1]]);
  });

  it.each([
    ["p|web-01|4242", "p"],
    ["publish|abc", "publish"],
    ["bare", "bare"],
  ])("item kind of %s: %s", (pk, kind) => {
    expect(itemKind(pk)).toBe(kind);
  });
});
