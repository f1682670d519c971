import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isDedupError } from "../../lib/alerts/dedup-store.js";
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
/** The dynalite client with its UpdateItem calls counted at the SDK level. */
function countingClient() {
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "t", secretAccessKey: "t" },
  });
  let updates = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "UpdateItemCommand") updates++;
      return next(args);
    },
    { step: "initialize" },
  );
  return Object.assign(client, { updates: () => updates });
}
const newStore = () =>
  new DynamoDbDedupStore({ client: dynamo.client, tableName: dynamo.tableName, windowSeconds: HOUR });

/** One sighting, recorded alone: its result, or its error thrown. */
async function record(store: DynamoDbDedupStore, key: string, alertId: string, time: number) {
  const [outcome] = await store.recordAll([{ key, alertId, time }]);
  if (outcome !== undefined && isDedupError(outcome)) throw outcome.error;
  return outcome;
}

let keys = 0;
/** A dedup key of its own per test: the table is shared. */
const freshKey = () => `netutil-exec-from-writable-dir|web-01|-|curl|/tmp/x${++keys}.sh`;

describe("DynamoDbDedupStore on dynalite", () => {
  it("the first sighting opens the window; a repeat only counts", async () => {
    const store = newStore();
    const key = freshKey();
    expect(await record(store, key, "alert-a", T0 + 5 * MIN)).toEqual({
      first: true,
      count: 1,
      firstSeen: T0 + 5 * MIN,
    });
    expect(await record(store, key, "alert-b", T0 + 20 * MIN)).toEqual({
      first: false,
      count: 2,
      firstSeen: T0 + 5 * MIN,
    });
  });

  it("the opener stays the window's opener on every redelivery, in every container", async () => {
    const store = newStore();
    const key = freshKey();
    await record(store, key, "alert-a", T0);
    await record(store, key, "alert-b", T0 + MIN);
    // Redelivery: the opener is first again (whether it still has to go out is the delivery claims' call),
    // and counted again: an approximate count.
    expect(await record(store, key, "alert-a", T0)).toEqual({ first: true, count: 3, firstSeen: T0 });
    expect(await record(newStore(), key, "alert-a", T0)).toMatchObject({ first: true, count: 4 });
    expect(await record(newStore(), key, "alert-b", T0 + MIN)).toMatchObject({ first: false, count: 5 });
  });

  it("tumbling windows: the next window opens anew, even one minute after the last sighting", async () => {
    const store = newStore();
    const key = freshKey();
    await record(store, key, "alert-a", T0 + 59 * MIN);
    expect(await record(store, key, "alert-b", T0 + 61 * MIN)).toEqual({
      first: true,
      count: 1,
      firstSeen: T0 + 61 * MIN,
    });
  });

  it("one item per window with its TTL a day past the window's end", async () => {
    const key = freshKey();
    await record(newStore(), key, "alert-a", T0 + 5 * MIN);
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
    expect(await record(store, key, "alert-a", T0)).toMatchObject({ first: true, count: 1 });
    expect(await record(store, key, "alert-b", T0)).toMatchObject({ first: false, count: 2 });
  });

  it("fails without retry when the table is missing", async () => {
    const store = new DynamoDbDedupStore({
      client: dynamo.client,
      tableName: "no-such-table",
      windowSeconds: HOUR,
    });
    const error = (await record(store, "k", "a", T0).catch((e: unknown) => e)) as DetectorError;
    expect(error).toBeInstanceOf(DetectorError);
    expect(error).toMatchObject({
      retryable: false,
      context: { table: "no-such-table", operation: "UpdateItem" },
    });
  });

  it("a batch's sightings of one key are one update, with the counts and opener of one-by-one sighting", async () => {
    const key = freshKey();
    const other = freshKey();
    const client = countingClient();
    const store = new DynamoDbDedupStore({ client, tableName: dynamo.tableName, windowSeconds: HOUR });
    await record(newStore(), key, "earlier", T0);
    const sightings = [
      ...Array.from({ length: 2000 }, (_, i) => ({ key, alertId: `a${i}`, time: T0 + MIN })),
      { key: other, alertId: "b0", time: T0 },
      // The same key in the next window is an item of its own.
      { key, alertId: "next", time: T0 + 61 * MIN },
    ];
    const outcomes = await store.recordAll(sightings);
    expect(client.updates()).toBe(3);
    expect(outcomes[0]).toEqual({ first: false, count: 2, firstSeen: T0 });
    expect(outcomes[1999]).toEqual({ first: false, count: 2001, firstSeen: T0 });
    expect(outcomes[2000]).toEqual({ first: true, count: 1, firstSeen: T0 });
    expect(outcomes[2001]).toEqual({ first: true, count: 1, firstSeen: T0 + 61 * MIN });
  });

  it("past the deadline no update starts: the sightings get a retryable error", async () => {
    const key = freshKey();
    const outcomes = await newStore().recordAll([{ key, alertId: "a", time: T0 }], {
      now: () => 2,
      deadline: 1,
    });
    expect(outcomes[0]).toMatchObject({ error: { retryable: true } });
    // Nothing was written: the redelivery opens the window.
    expect(await record(newStore(), key, "a", T0)).toMatchObject({ first: true, count: 1 });
  });

  it("a value the table refuses fails only its own sightings, not retryable", async () => {
    const good = freshKey();
    const outcomes = await newStore().recordAll([
      { key: freshKey(), alertId: "poison", time: 1e300 },
      { key: good, alertId: "a", time: T0 },
    ]);
    expect(outcomes[0]).toMatchObject({ error: { retryable: false } });
    expect(outcomes[1]).toEqual({ first: true, count: 1, firstSeen: T0 });
  });
});
