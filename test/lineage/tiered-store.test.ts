import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbLineageStore } from "../../lib/lineage/dynamodb-lineage-store.js";
import { DynamoDbShardClaims } from "../../lib/lineage/dynamodb-shard-claims.js";
import {
  asAncestor,
  type ProcessNode,
  type ProcessRecord,
  processKey,
} from "../../lib/lineage/process-record.js";
import { EVENTUAL_AFTER_MS, TieredLineageStore } from "../../lib/lineage/tiered-store.js";
import { type LocalDynamo, startDynalite } from "../helpers/dynalite.js";

/**
 * The Kinesis function's store (lib/lineage/tiered-store.ts) against dynalite, with every DynamoDB call the
 * two tiers make recorded: what reaches the table, and when memory is trusted.
 */
let dynamo: LocalDynamo;
const calls: { op: string; input: Record<string, unknown> }[] = [];
beforeAll(async () => {
  dynamo = await startDynalite();
  dynamo.client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push({
        op: (context.commandName ?? "").replace(/Command$/, ""),
        input: args.input as Record<string, unknown>,
      });
      return next(args);
    },
    { step: "initialize", name: "tieredTestCalls" },
  );
});
afterAll(async () => {
  await dynamo?.close();
});

const TTL = 7 * 86_400;
const SHARD = "arn:aws:kinesis:us-east-1:123456789012:stream/t|shardId-000000000000";
let hosts = 0;

/** A container: its own store over the shared table. */
function container(owner: string, options: { now?: () => number; client?: DynamoDBClient } = {}) {
  const client = options.client ?? dynamo.client;
  const table = dynamo.tableName;
  const durable = new DynamoDbLineageStore({ client, tableName: table, ttlSeconds: TTL });
  return new TieredLineageStore({
    durable,
    claims: new DynamoDbShardClaims({ client, tableName: table, ttlSeconds: TTL, owner }),
    // Kept: what the test calls a daemon.
    keep: (record) => record.executable.endsWith("d"),
    ...(options.now !== undefined && { now: options.now }),
  });
}

const record = (host: string, pid: number, executable: string, parent?: ProcessNode): ProcessRecord => ({
  host,
  pid,
  ppid: parent?.pid ?? 1,
  executable,
  args: [executable],
  time: 1_700_000_000_000 + pid,
  chain: [],
  ancestors: parent === undefined ? [] : [parent],
});

const written = () =>
  calls
    .filter((c) => c.op === "BatchWriteItem")
    .flatMap((c) =>
      Object.values(
        c.input["RequestItems"] as Record<string, { PutRequest?: { Item: { pk: { S: string } } } }[]>,
      )
        .flat()
        .map((r) => r.PutRequest?.Item.pk.S),
    )
    .filter((pk): pk is string => pk?.startsWith("p|") === true);
const readKeys = () =>
  calls
    .filter((c) => c.op === "BatchGetItem")
    .flatMap((c) =>
      Object.values(c.input["RequestItems"] as Record<string, { Keys: { pk: { S: string } }[] }>).flatMap(
        (t) => t.Keys.map((k) => k.pk.S),
      ),
    )
    .filter((pk) => pk.startsWith("p|"));
const consistency = () =>
  calls
    .filter((c) => c.op === "BatchGetItem")
    .flatMap((c) =>
      Object.values(c.input["RequestItems"] as Record<string, { ConsistentRead?: boolean }>).map(
        (t) => t.ConsistentRead,
      ),
    );
const pk = (host: string, pid: number) => `p|${host}|${pid}`;
const keys = (...records: ProcessRecord[]) => new Map(records.map((r) => [processKey(r.host, r.pid), r]));

describe("TieredLineageStore", () => {
  it("writes only what is kept; a held shard's next batch reads its records from memory", async () => {
    const host = `h${++hosts}`;
    const a = container("a");
    const daemon = record(host, 100, "/usr/sbin/sshd");
    const leaf = record(host, 101, "/usr/bin/ls", daemon);
    await a.claim(SHARD);
    calls.length = 0;
    await a.write(keys(daemon, leaf), []);
    await a.release(SHARD, { failed: false });
    expect(written()).toEqual([pk(host, 100)]);

    await a.claim(SHARD);
    calls.length = 0;
    const read = await a.read([processKey(host, 100), processKey(host, 101), processKey(host, 102)], []);
    expect([...read.records.keys()]).toEqual([processKey(host, 100), processKey(host, 101)]);
    // Only the key memory does not know goes to the table; and once absent, never again.
    expect(readKeys()).toEqual([pk(host, 102)]);
    calls.length = 0;
    await a.read([processKey(host, 102)], []);
    expect(readKeys()).toEqual([]);
  });

  it.each([
    ["the record itself", (parent: ProcessRecord): ProcessNode => parent],
    ["the node memory keeps for its children, as lineage does", asAncestor],
  ])(
    "a leaf served from memory as the parent of a later batch's process is written then (child points to %s)",
    async (_, pointTo) => {
      const host = `h${++hosts}`;
      const a = container("a");
      const shell = record(host, 200, "/usr/bin/dash");
      await a.claim(SHARD);
      await a.write(keys(shell), []);
      await a.release(SHARD, { failed: false });
      await a.claim(SHARD);
      const { records } = await a.read([processKey(host, 200)], []);
      const served = records.get(processKey(host, 200))!;
      expect(asAncestor(served)).not.toBe(served);
      const child = record(host, 201, "/usr/bin/curl", pointTo(served));
      calls.length = 0;
      await a.write(keys(child), []);
      expect(written()).toEqual([pk(host, 200)]);
    },
  );

  it("keys the batch says are fresh are looked up in memory only", async () => {
    const host = `h${++hosts}`;
    const a = container("a");
    await a.claim(SHARD);
    calls.length = 0;
    const fresh = processKey(host, 301);
    await a.read([processKey(host, 300), fresh], [], { memoryOnly: new Set([fresh]) });
    expect(readKeys()).toEqual([pk(host, 300)]);
  });

  it.each([
    ["another container took the shard over", "takeover"],
    ["another container ran the same batch at the same time", "concurrent"],
    ["the batch failed in part", "failed"],
  ] as const)("%s: the next batch trusts nothing it remembers", async (_, how) => {
    const host = `h${++hosts}`;
    const a = container("a");
    const leaf = record(host, 400, "/usr/bin/ls");
    await a.claim(SHARD);
    await a.write(keys(leaf), []);
    if (how === "concurrent") {
      await container("b").claim(SHARD);
      await a.release(SHARD, { failed: false });
    } else {
      await a.release(SHARD, { failed: how === "failed" });
      if (how === "takeover") {
        const b = container("b");
        await b.claim(SHARD);
        await b.release(SHARD, { failed: false });
      }
    }
    await a.claim(SHARD);
    calls.length = 0;
    const read = await a.read([processKey(host, 400)], []);
    // The leaf was never written: forgotten, it is not there, and the table was asked, strongly consistent.
    expect(read.records.size).toBe(0);
    expect(readKeys()).toEqual([pk(host, 400)]);
    expect(consistency()).toEqual([true]);
    expect(a.pids).toBeDefined();
  });

  it("reads what it never saw eventually consistent once it has held the shard a while", async () => {
    const host = `h${++hosts}`;
    let now = 1_800_000_000_000;
    const c = container(`c${hosts}`, { now: () => now });
    await c.claim(SHARD);
    calls.length = 0;
    await c.read([processKey(host, 500)], []);
    now += EVENTUAL_AFTER_MS + 1;
    await c.release(SHARD, { failed: false });
    await c.claim(SHARD);
    await c.read([processKey(host, 501)], []);
    expect(consistency()).toEqual([true, false]);
  });

  it("without a claim (CloudWatch Logs) it is the table alone: every record written", async () => {
    const host = `h${++hosts}`;
    const off = container("off");
    calls.length = 0;
    await off.write(keys(record(host, 600, "/usr/bin/ls")), []);
    expect(written()).toEqual([pk(host, 600)]);
    expect(off.pids).toBeUndefined();
  });

  it("a claim that fails fails the batch, and what it remembered is dropped", async () => {
    const host = `h${++hosts}`;
    let fail = false;
    const flaky = new TieredLineageStore({
      durable: new DynamoDbLineageStore({
        client: dynamo.client,
        tableName: dynamo.tableName,
        ttlSeconds: TTL,
      }),
      claims: {
        claim: async () => (fail ? Promise.reject(new Error("throttled")) : { continued: true }),
        release: async () => ({ undisturbed: true }),
      },
      keep: () => false,
    });
    await flaky.claim(SHARD);
    await flaky.write(keys(record(host, 601, "/usr/bin/ls")), []);
    fail = true;
    await expect(flaky.claim(SHARD)).rejects.toMatchObject({
      retryable: true,
      message: "shard claim failed",
    });
    expect(flaky.pids).toBeUndefined();
    fail = false;
    await flaky.claim(SHARD);
    calls.length = 0;
    const read = await flaky.read([processKey(host, 601)], []);
    expect(read.records.size).toBe(0);
    expect(readKeys()).toEqual([pk(host, 601)]);
  });
});
