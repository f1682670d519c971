import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbDedupStore } from "../../lib/alerts/dynamodb-dedup-store.js";
import { DetectorError } from "../../lib/errors.js";
import { type LocalDynamo, startDynalite } from "../helpers/dynalite.js";

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo?.close();
});

const HOUR = 3600;
const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const MIN = 60_000;
const newStore = () =>
  new DynamoDbDedupStore({ client: dynamo.client, tableName: dynamo.tableName, windowSeconds: HOUR });

let keys = 0;
/** A dedup key of its own per test: the table is shared. */
const freshKey = () => `netutil-exec-from-writable-dir|web-01|-|curl|/tmp/x${++keys}.sh`;

describe("DynamoDbDedupStore on dynalite", () => {
  it("the first sighting opens the window; a repeat only counts", async () => {
    const store = newStore();
    const key = freshKey();
    expect(await store.record(key, "alert-a", T0 + 5 * MIN)).toEqual({
      first: true,
      count: 1,
      firstSeen: T0 + 5 * MIN,
    });
    expect(await store.record(key, "alert-b", T0 + 20 * MIN)).toEqual({
      first: false,
      count: 2,
      firstSeen: T0 + 5 * MIN,
    });
  });

  it("the opener stays the window's opener on every redelivery, in every container", async () => {
    const store = newStore();
    const key = freshKey();
    await store.record(key, "alert-a", T0);
    await store.record(key, "alert-b", T0 + MIN);
    // Redelivery: the opener is first again (whether it still has to go out is the delivery claims' call),
    // and counted again: an approximate count.
    expect(await store.record(key, "alert-a", T0)).toEqual({ first: true, count: 3, firstSeen: T0 });
    expect(await newStore().record(key, "alert-a", T0)).toMatchObject({ first: true, count: 4 });
    expect(await newStore().record(key, "alert-b", T0 + MIN)).toMatchObject({ first: false, count: 5 });
  });

  it("tumbling windows: the next window opens anew, even one minute after the last sighting", async () => {
    const store = newStore();
    const key = freshKey();
    await store.record(key, "alert-a", T0 + 59 * MIN);
    expect(await store.record(key, "alert-b", T0 + 61 * MIN)).toEqual({
      first: true,
      count: 1,
      firstSeen: T0 + 61 * MIN,
    });
  });

  it("one item per window with its TTL a day past the window's end", async () => {
    const key = freshKey();
    await newStore().record(key, "alert-a", T0 + 5 * MIN);
    const window = Math.floor((T0 + 5 * MIN) / (HOUR * 1000));
    const { Item } = await dynamo.client.send(
      new GetItemCommand({ TableName: dynamo.tableName, Key: { pk: { S: `d|${key}|${window}` } } }),
    );
    expect(Item).toMatchObject({
      count: { N: "1" },
      opener: { S: "alert-a" },
      firstSeen: { N: String(T0 + 5 * MIN) },
      expiresAt: { N: String((T0 + HOUR * 1000) / 1000 + 86_400) },
    });
  });

  it("a dedup key too long for a partition key (a hostile path) still works", async () => {
    const store = newStore();
    const key = `${freshKey()}/${"a".repeat(4000)}`;
    expect(await store.record(key, "alert-a", T0)).toMatchObject({ first: true, count: 1 });
    expect(await store.record(key, "alert-b", T0)).toMatchObject({ first: false, count: 2 });
  });

  it("fails without retry when the table is missing", async () => {
    const store = new DynamoDbDedupStore({
      client: dynamo.client,
      tableName: "no-such-table",
      windowSeconds: HOUR,
    });
    const error = (await store.record("k", "a", T0).catch((e: unknown) => e)) as DetectorError;
    expect(error).toBeInstanceOf(DetectorError);
    expect(error).toMatchObject({
      retryable: false,
      context: { table: "no-such-table", operation: "UpdateItem" },
    });
  });
});
