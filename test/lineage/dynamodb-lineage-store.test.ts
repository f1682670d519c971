import {
  type BatchGetItemCommandInput,
  type BatchGetItemCommandOutput,
  type BatchWriteItemCommandInput,
  type BatchWriteItemCommandOutput,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbDedupStore } from "../../lib/alerts/dynamodb-dedup-store.js";
import type { RetryOptions } from "../../lib/aws/retry.js";
import { DetectorError } from "../../lib/errors.js";
import { DynamoDbLineageStore } from "../../lib/lineage/dynamodb-lineage-store.js";
import { type ProcessRecord, processKey } from "../../lib/lineage/process-record.js";
import { encodeRecord } from "../../lib/lineage/record-codec.js";
import { newCounters } from "../../lib/pipeline/counters.js";
import { processBatch } from "../../lib/pipeline/process-batch.js";
import { compileRule } from "../../lib/rule/compile-rule.js";
import { type LocalDynamo, startDynalite } from "../helpers/dynalite.js";
import { exec, shell } from "../helpers/exec-events.js";

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo?.close();
});

const NOW = 1_750_000_000_000;
const TTL = 7 * 86_400;

/** No real sleeping in tests; the delays asked for are kept to check the backoff. */
function fastRetry(maxAttempts = 4): RetryOptions & { slept: number[] } {
  const slept: number[] = [];
  return { maxAttempts, slept, random: () => 0.5, sleep: async (ms) => void slept.push(ms) };
}

function newStore(client: DynamoDBClient = dynamo.client, retry: RetryOptions = fastRetry()) {
  return new DynamoDbLineageStore({
    client,
    tableName: dynamo.tableName,
    ttlSeconds: TTL,
    now: () => NOW,
    retry,
  });
}

const record = (pid: number, host = "web-01"): ProcessRecord => ({
  host,
  pid,
  ppid: 1,
  executable: `/usr/bin/p${pid}`,
  args: [`p${pid}`, "--flag"],
  cwd: "/srv",
  time: 1_700_000_000_000 + pid,
  user: { id: "33", name: "www-data" },
  chain: [],
  ancestors: [{ pid: 1, executable: "/sbin/init", args: ["init"], time: 1, chain: [] }],
});
const byKey = (records: ProcessRecord[]) => new Map(records.map((r) => [processKey(r.host, r.pid), r]));

type Hook = {
  write?: (input: BatchWriteItemCommandInput, call: number) => BatchWriteItemCommandInput | undefined;
  get?: (input: BatchGetItemCommandInput, call: number) => BatchGetItemCommandInput | undefined;
  fail?: (command: string, call: number) => unknown;
};

/**
 * A client of its own that counts commands and can tamper with batch calls: a hook returns the part of the
 * input DynamoDB "processed"; the rest comes back as unprocessed, exactly as a throttled table answers.
 */
function instrumented(hook: Hook = {}) {
  const client = dynamo.newClient();
  const calls: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? "?";
      calls.push(command);
      const call = calls.filter((c) => c === command).length;
      const failure = hook.fail?.(command, call);
      if (failure !== undefined) throw failure;
      if (command === "BatchWriteItemCommand" && hook.write) {
        const input = args.input as BatchWriteItemCommandInput;
        const sent = hook.write(input, call);
        if (sent !== undefined) {
          const table = Object.keys(input.RequestItems!)[0]!;
          const kept = new Set(sent.RequestItems![table]!);
          const rest = input.RequestItems![table]!.filter((r) => !kept.has(r));
          // DynamoDB refuses an empty batch: when nothing is "processed", nothing is sent.
          const result =
            kept.size > 0
              ? await next({ ...args, input: sent })
              : { output: { $metadata: {} }, response: {} };
          (result.output as BatchWriteItemCommandOutput).UnprocessedItems = { [table]: rest };
          return result as Awaited<ReturnType<typeof next>>;
        }
      }
      if (command === "BatchGetItemCommand" && hook.get) {
        const input = args.input as BatchGetItemCommandInput;
        const sent = hook.get(input, call);
        if (sent !== undefined) {
          const result = await next({ ...args, input: sent });
          const table = Object.keys(input.RequestItems!)[0]!;
          const kept = new Set(sent.RequestItems![table]!.Keys!);
          const rest = input.RequestItems![table]!.Keys!.filter((k) => !kept.has(k));
          const output = result.output as BatchGetItemCommandOutput;
          output.UnprocessedKeys = { [table]: { ...input.RequestItems![table]!, Keys: rest } };
          return result;
        }
      }
      return next(args);
    },
    { step: "initialize", name: "instrumentForTest" },
  );
  const count = (command: string) => calls.filter((c) => c === command).length;
  return { client, calls, count };
}

const half = <T>(list: T[]) => list.slice(0, Math.ceil(list.length / 2));

describe("DynamoDbLineageStore on dynalite", () => {
  it("writes and reads 250 records across chunks: 25 per write, 100 per read, one round each", async () => {
    const { client, count } = instrumented();
    const store = newStore(client);
    const records = Array.from({ length: 250 }, (_, i) => record(10_000 + i));
    await store.putMany(byKey(records));
    expect(count("BatchWriteItemCommand")).toBe(10);

    const missing = [processKey("web-01", 1), processKey("other-host", 10_000)];
    const found = await store.getMany([...byKey(records).keys(), ...missing]);
    expect(count("BatchGetItemCommand")).toBe(3);
    expect(found.size).toBe(250);
    for (const r of records) expect(found.get(processKey(r.host, r.pid))).toEqual(r);
    for (const key of missing) expect(found.has(key)).toBe(false);
    expect(store.stats).toEqual({ calls: 13, retries: 0, corrupt: 0, expired: 0 });
  });

  it("records outlive the store: a new instance with a new client reads them (another function instance)", async () => {
    await newStore().putMany(byKey([record(20_001), record(20_002, "db-01")]));
    const other = newStore(dynamo.newClient());
    const found = await other.getMany([processKey("web-01", 20_001), processKey("db-01", 20_002)]);
    // BatchGetItem returns items in no particular order.
    expect([...found.values()].map((r) => [r.host, r.pid]).sort()).toEqual([
      ["db-01", 20_002],
      ["web-01", 20_001],
    ]);
  });

  it("writes the TTL attribute: now + ttl, in epoch seconds", async () => {
    await newStore().putMany(byKey([record(20_100)]));
    const { Item } = await dynamo.client.send(
      new GetItemCommand({ TableName: dynamo.tableName, Key: { pk: { S: "p|web-01|20100" } } }),
    );
    expect(Item?.["expiresAt"]).toEqual({ N: String(Math.floor(NOW / 1000) + TTL) });
  });

  it("asks for each key once, even when the batch names it twice (duplicates fail a BatchGetItem)", async () => {
    await newStore().putMany(byKey([record(20_200)]));
    const key = processKey("web-01", 20_200);
    expect((await newStore().getMany([key, key, key])).size).toBe(1);
    expect((await newStore().getMany([])).size).toBe(0);
  });

  it("re-sends UnprocessedItems with backoff until every record is written", async () => {
    const retry = fastRetry();
    const { client, count } = instrumented({
      write: (input, call) => {
        if (call > 2) return undefined;
        const [table, requests] = Object.entries(input.RequestItems!)[0]!;
        return { ...input, RequestItems: { [table]: half(requests) } };
      },
    });
    const store = newStore(client, retry);
    const records = Array.from({ length: 20 }, (_, i) => record(30_000 + i));
    await store.putMany(byKey(records));
    // 20 → 10 written, 10 left → 5 written, 5 left → all written.
    expect(count("BatchWriteItemCommand")).toBe(3);
    expect(retry.slept).toEqual([25, 50]);
    expect(store.stats.retries).toBe(2);
    expect((await newStore().getMany([...byKey(records).keys()])).size).toBe(20);
  });

  it("re-sends UnprocessedKeys with backoff until every key is read, merging leftovers into fewer calls", async () => {
    const records = Array.from({ length: 150 }, (_, i) => record(40_000 + i));
    await newStore().putMany(byKey(records));
    const requests: BatchGetItemCommandInput[] = [];
    const { client, count } = instrumented({
      get: (input, call) => {
        requests.push(input);
        if (call > 2) return undefined;
        const [table, request] = Object.entries(input.RequestItems!)[0]!;
        return { ...input, RequestItems: { [table]: { ...request, Keys: half(request.Keys!) } } };
      },
    });
    const store = newStore(client);
    const found = await store.getMany([...byKey(records).keys()]);
    expect(found.size).toBe(150);
    // Round 1: 100 + 50 keys, half of each left (75); round 2: one call of 75 keys.
    expect(count("BatchGetItemCommand")).toBe(3);
    expect(store.stats).toEqual({ calls: 3, retries: 1, corrupt: 0, expired: 0 });
    // Only the key, a record or a pending state, and the TTL are read, and strongly consistent: see the store's options.
    expect(requests[0]!.RequestItems![dynamo.tableName]).toMatchObject({
      ProjectionExpression: "#pk, #r, #z, #s, #ver, #ttl",
      ExpressionAttributeNames: {
        "#pk": "pk",
        "#r": "r",
        "#z": "z",
        "#s": "s",
        "#ver": "ver",
        "#ttl": "expiresAt",
      },
      ConsistentRead: true,
    });
  });

  it("fails retryably when unprocessed items never clear, after the configured attempts", async () => {
    const { client, count } = instrumented({
      write: (input) => {
        const [table] = Object.keys(input.RequestItems!);
        return { ...input, RequestItems: { [table!]: [] } };
      },
    });
    const error = await newStore(client, fastRetry(3))
      .putMany(byKey([record(50_000), record(50_001)]))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DetectorError);
    expect(error).toMatchObject({
      retryable: true,
      context: { table: dynamo.tableName, operation: "BatchWriteItem", unprocessed: 2 },
    });
    expect(count("BatchWriteItemCommand")).toBe(3);
  });

  it("fails retryably, with the SDK error as cause, when throttling outlasts the SDK's own retries", async () => {
    const throttled = Object.assign(new Error("Rate of requests exceeds the allowed throughput"), {
      name: "ProvisionedThroughputExceededException",
      $metadata: { httpStatusCode: 400 },
    });
    const { client } = instrumented({ fail: () => throttled });
    const error = (await newStore(client)
      .getMany([processKey("web-01", 1)])
      .catch((e: unknown) => e)) as DetectorError;
    expect(error).toBeInstanceOf(DetectorError);
    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(throttled);
    expect(error.context).toMatchObject({ table: dynamo.tableName, operation: "BatchGetItem" });
  });

  it("fails without retry on errors a redelivery cannot fix (a missing table)", async () => {
    const store = new DynamoDbLineageStore({
      client: dynamo.client,
      tableName: "no-such-table",
      ttlSeconds: TTL,
    });
    const error = (await store.putMany(byKey([record(1)])).catch((e: unknown) => e)) as DetectorError;
    expect(error).toBeInstanceOf(DetectorError);
    expect(error.retryable).toBe(false);
    expect((error.cause as Error).name).toBe("ResourceNotFoundException");
  });

  it("counts a corrupt item and treats the process as unknown", async () => {
    await dynamo.client.send(
      new PutItemCommand({
        TableName: dynamo.tableName,
        Item: { pk: { S: "p|web-01|60000" }, r: { S: '{"v":1,"e":42}' } },
      }),
    );
    const store = newStore();
    expect((await store.getMany([processKey("web-01", 60_000)])).size).toBe(0);
    expect(store.stats.corrupt).toBe(1);
  });
});

describe("expired items", () => {
  it.each([
    ["expired a second ago", NOW / 1000 - 1, 0],
    ["expiring this very second", NOW / 1000, 0],
    ["expiring in a second", NOW / 1000 + 1, 1],
  ])("an item %s: read back only while it lives", async (_name, expiresAt, found) => {
    const store = newStore();
    const pid = 61_000 + Math.floor(expiresAt % 1000);
    const item = encodeRecord(record(pid), expiresAt);
    await dynamo.client.send(new PutItemCommand({ TableName: dynamo.tableName, Item: item }));
    // DynamoDB's TTL sweep deletes expired items days late: the item is still there.
    const stored = await dynamo.client.send(
      new GetItemCommand({ TableName: dynamo.tableName, Key: { pk: item["pk"]! } }),
    );
    expect(stored.Item).toBeDefined();
    expect((await store.getMany([processKey("web-01", pid)])).size).toBe(found);
    expect(store.stats.expired).toBe(1 - found);
  });
});

describe("processBatch on DynamoDB (lineage and dedup read back across batches and instances)", () => {
  /** A fresh pair of stores per batch, as a new Lambda instance would build them; counts DynamoDB calls. */
  async function run(events: ReturnType<typeof exec>[]) {
    const { client, count } = instrumented();
    const dedup = new DynamoDbDedupStore({ client, tableName: dynamo.tableName, windowSeconds: 3600 });
    const deps = { store: newStore(client), dedup, rule: compileRule() };
    const counters = newCounters();
    const alerts = await processBatch(events, deps, counters);
    const calls = {
      get: count("BatchGetItemCommand"),
      write: count("BatchWriteItemCommand"),
      update: count("UpdateItemCommand"),
    };
    return { alerts, counters, calls, dedup };
  }

  it("a parent in one batch, its /tmp child and curl in the next: the alert carries the stored parent", async () => {
    const host = "pipeline-1";
    const first = await run([shell({ host })]);
    expect(first.alerts).toEqual([]);
    expect(first.calls).toEqual({ get: 1, write: 1, update: 0 });

    const second = await run([
      exec({
        host,
        pid: 200,
        ppid: 100,
        exe: "/usr/bin/dash",
        args: ["/bin/sh", "/tmp/x.sh"],
        invoked: "/tmp/x.sh",
      }),
      exec({ host, pid: 300, ppid: 200, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.10/x"] }),
    ]);
    expect(second.alerts).toHaveLength(1);
    const [alert] = second.alerts;
    expect(alert!.location).toMatchObject({ path: "/tmp/x.sh", kind: "script", depth: 1 });
    expect(alert!.ancestors.map((a) => [a.pid, a.executable])).toEqual([
      [200, "/usr/bin/dash"],
      [100, "/usr/bin/bash"],
    ]);
    expect(second.calls).toEqual({ get: 1, write: 1, update: 1 });
  });

  it("a /tmp loader in one batch, curl in the next: only the stored lineage can alert; redelivery is safe", async () => {
    const host = "pipeline-2";
    // Times come from a clock that ticks per event built: build them in the order they happen.
    const parent = shell({ host });
    const loader = exec({
      host,
      pid: 200,
      ppid: 100,
      exe: "/tmp/.k/loader",
      args: ["./loader"],
      cwd: "/tmp/.k",
    });
    const curl = exec({
      host,
      pid: 300,
      ppid: 200,
      exe: "/usr/bin/curl",
      args: ["curl", "http://192.0.2.10/x"],
    });
    await run([parent, loader]);

    const second = await run([curl]);
    expect(second.alerts.map((a) => [a.location.path, a.location.kind, a.location.depth])).toEqual([
      ["/tmp/.k/loader", "ancestor", 1],
    ]);
    expect(second.alerts[0]!.ancestors.map((a) => a.pid)).toEqual([200, 100]);
    expect(second.calls).toEqual({ get: 1, write: 1, update: 1 });

    // Redelivered: the same alert (same id, same lineage: the batch's own write is rewound), to be delivered
    // or skipped by its claim; another alert of the same dedup key is only counted.
    const redelivered = await run([curl]);
    expect(redelivered.alerts.map((a) => [a.id, a.location.path])).toEqual([
      [second.alerts[0]!.id, "/tmp/.k/loader"],
    ]);
    const repeat = await run([{ ...curl, source: { format: "native", eventId: "another-curl" } }]);
    expect(repeat.alerts).toEqual([]);
    expect(repeat.counters.suppressed.dedup).toBe(1);
  });
});

describe("pending-event states (one item per host, written over the version read)", () => {
  it("created, replaced over its version, refused over a stale one, deleted", async () => {
    const store = newStore();
    const host = `pending-${Date.now()}`;
    expect((await store.readPending([host])).size).toBe(0);
    expect(await store.write(new Map(), [{ host, json: '{"a":1}', version: undefined }])).toEqual({
      conflicts: [],
    });
    const first = (await store.read([], [host])).pending.get(host);
    expect(first).toEqual({ json: '{"a":1}', version: 1 });
    // Another invocation wrote in between: a write over version 1 no longer applies.
    expect(await store.write(new Map(), [{ host, json: '{"a":2}', version: 1 }])).toEqual({ conflicts: [] });
    expect(await store.write(new Map(), [{ host, json: '{"a":3}', version: 1 }])).toEqual({
      conflicts: [host],
    });
    // Nor does a create when one exists.
    expect(await store.write(new Map(), [{ host, json: '{"a":4}', version: undefined }])).toEqual({
      conflicts: [host],
    });
    expect((await store.readPending([host])).get(host)).toEqual({ json: '{"a":2}', version: 2 });
    expect(await store.write(new Map(), [{ host, json: undefined, version: 2 }])).toEqual({ conflicts: [] });
    expect((await store.readPending([host])).size).toBe(0);
  });

  it("unconditional (a Kinesis shard: one invocation per host at a time): batched with the records, no check", async () => {
    const { client, count } = instrumented();
    const store = newStore(client);
    const host = `batched-${Date.now()}`;
    await store.write(new Map(), [{ host, json: '{"a":1}', version: undefined }]);
    const puts = count("PutItemCommand");
    const writes = count("BatchWriteItemCommand");
    // Over a stale version, as the duplicate of a batch would write the same state: written, not refused.
    expect(
      await store.write(byKey([record(70_002, host)]), [{ host, json: '{"a":2}', version: 0 }], {
        conditional: false,
      }),
    ).toEqual({ conflicts: [] });
    expect(count("PutItemCommand")).toBe(puts);
    expect(count("BatchWriteItemCommand") - writes).toBe(2);
    expect((await store.readPending([host])).get(host)).toEqual({ json: '{"a":2}', version: 1 });
    await store.write(new Map(), [{ host, json: undefined, version: 1 }], { conditional: false });
    expect((await store.readPending([host])).size).toBe(0);
  });

  it("records and states in one read round: one BatchGetItem for both", async () => {
    const { client, count } = instrumented();
    const store = newStore(client);
    const host = `round-${Date.now()}`;
    await store.write(byKey([record(70_001, host)]), [{ host, json: "{}", version: undefined }]);
    const before = count("BatchGetItemCommand");
    const read = await store.read([processKey(host, 70_001)], [host]);
    expect(read.records.get(processKey(host, 70_001))?.executable).toBe("/usr/bin/p70001");
    expect(read.pending.get(host)).toEqual({ json: "{}", version: 1 });
    expect(count("BatchGetItemCommand") - before).toBe(1);
  });
});
