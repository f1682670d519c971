import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDetectorTable } from "../../lib/cli/local-dynamodb.js";
import {
  DEFAULT_POSTED_TTL_SECONDS,
  DynamoDbPostedAlerts,
  postedKey,
} from "../../lib/slack/posted-alerts.js";
import { type LocalDynamo, startDynalite } from "../helpers/dynalite.js";

let dynamo: LocalDynamo;
let tables = 0;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});

/** A fresh table per test, with a settable clock and numbered claim tokens. */
async function ledger() {
  const tableName = `posted-${++tables}`;
  await createDetectorTable(dynamo.client, tableName);
  const clock = { now: 1_800_000_000_000 };
  let tokens = 0;
  const store = new DynamoDbPostedAlerts({
    client: dynamo.client,
    tableName,
    now: () => clock.now,
    newToken: () => `token-${++tokens}`,
  });
  const item = async (alertId: string) =>
    (
      await dynamo.client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { pk: { S: postedKey(alertId) } },
          ConsistentRead: true,
        }),
      )
    ).Item;
  return { store, clock, item };
}

const ID = "0123456789abcdef0123456789abcdef";

describe("DynamoDbPostedAlerts", () => {
  it("claim, mark posted: later claims find it posted; the item expires after the TTL", async () => {
    const { store, clock, item } = await ledger();
    expect(await store.claim(ID, clock.now + 30_000)).toEqual({ kind: "claimed", token: "token-1" });
    await store.markPosted(ID);
    expect(await store.claim(ID, clock.now + 30_000)).toEqual({ kind: "posted" });
    const stored = await item(ID);
    expect(stored?.["pk"]).toEqual({ S: `slack|${ID}` });
    expect(stored?.["state"]).toEqual({ S: "posted" });
    expect(stored?.["expiresAt"]).toEqual({ N: String(clock.now / 1000 + DEFAULT_POSTED_TTL_SECONDS) });
  });

  it("a live claim keeps a second claimant out (a concurrent duplicate delivery)", async () => {
    const { store, clock } = await ledger();
    const lease = clock.now + 30_000;
    expect((await store.claim(ID, lease)).kind).toBe("claimed");
    expect(await store.claim(ID, clock.now + 30_000)).toEqual({ kind: "in-flight", leaseUntil: lease });
  });

  it("an expired claim (its invocation died) is taken over", async () => {
    const { store, clock } = await ledger();
    expect((await store.claim(ID, clock.now + 30_000)).kind).toBe("claimed");
    clock.now += 30_001;
    expect(await store.claim(ID, clock.now + 30_000)).toEqual({ kind: "claimed", token: "token-2" });
  });

  it("release ends the owner's claim at once; a stale owner cannot release another's claim", async () => {
    const { store, clock, item } = await ledger();
    await store.claim(ID, clock.now + 30_000);
    await store.release(ID, "token-1");
    expect(await store.claim(ID, clock.now + 30_000)).toEqual({ kind: "claimed", token: "token-2" });
    await store.release(ID, "token-1");
    expect((await store.claim(ID, clock.now + 30_000)).kind).toBe("in-flight");
    expect((await item(ID))?.["owner"]).toEqual({ S: "token-2" });
  });

  it("a release never undoes a mark", async () => {
    const { store, clock } = await ledger();
    await store.claim(ID, clock.now + 30_000);
    await store.markPosted(ID);
    await store.release(ID, "token-1");
    expect(await store.claim(ID, clock.now + 30_000)).toEqual({ kind: "posted" });
  });

  it("a DynamoDB failure is a DetectorError naming the table (a missing table is not retryable)", async () => {
    const store = new DynamoDbPostedAlerts({ client: dynamo.client, tableName: "no-such-table" });
    const error = await store.claim(ID, Date.now() + 1_000).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "DetectorError" });
    expect((error as Error).message).toContain("no-such-table");
    expect((error as { retryable: boolean }).retryable).toBe(false);
  });
});
