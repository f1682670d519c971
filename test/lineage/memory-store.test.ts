import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { MemoryLineageStore } from "../../lib/lineage/memory-store.js";
import {
  capArgs,
  MAX_ARG_LENGTH,
  MAX_ARGS,
  type ProcessRecord,
  processKey,
} from "../../lib/lineage/process-record.js";
import { resolveLineage } from "../../lib/lineage/resolve-lineage.js";
import { exec } from "../helpers/exec-events.js";

const key = (pid: number, host = "h") => processKey(host, pid);
const records = (...list: ProcessRecord[]) => new Map(list.map((r) => [processKey(r.host, r.pid), r]));
const record = (pid: number, args: readonly string[] = ["x"]): ProcessRecord => ({
  host: "h",
  pid,
  ppid: 1,
  executable: "/bin/x",
  args,
  time: pid,
  chain: [],
  ancestors: [],
});

/** The estimate of one record of the given args in a store of its own: records of equal shape cost the same. */
async function bytesOf(rec: ProcessRecord): Promise<number> {
  const store = new MemoryLineageStore();
  await store.putMany(records(rec));
  return store.bytes;
}

/** 16 KB of arguments as capArgs keeps them: MAX_ARGS of MAX_ARG_LENGTH characters. */
const longArgs = (pid: number) =>
  Array.from({ length: MAX_ARGS }, (_, i) => `${pid}:${i}:`.padEnd(MAX_ARG_LENGTH, "a"));

/** Events with 16 KB of arguments each, as the pipeline resolves them: `parentOf(i)` is the pid of i's parent. */
function resolvedRecords(count: number, parentOf: (i: number) => number): ProcessRecord[] {
  const byPid = new Map<number, ProcessRecord>();
  const out: ProcessRecord[] = [];
  for (let i = 0; i < count; i++) {
    const pid = 1000 + i;
    const ppid = parentOf(i);
    const event = exec({ pid, ppid, exe: "/usr/bin/prog", args: longArgs(pid), host: "h" });
    const { record: resolved } = resolveLineage(event, undefined, byPid.get(ppid));
    byPid.set(pid, resolved);
    out.push(resolved);
  }
  return out;
}

/** The collector, for tests of what a held record keeps alive. */
function collector(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

describe("MemoryLineageStore", () => {
  it("keeps at most its bound, forgetting the least recently used", async () => {
    const unit = await bytesOf(record(1));
    const store = new MemoryLineageStore(4 * unit);
    await store.putMany(records(record(1), record(2), record(3)));
    await store.getMany([key(1)]); // 1 is now recently used
    await store.putMany(records(record(4)));
    expect(store.bytes).toBeLessThanOrEqual(4 * unit);
    const found = await store.getMany([1, 2, 3, 4].map((pid) => key(pid)));
    expect([...found.values()].map((r) => r.pid).sort()).toEqual([1, 3, 4]);
  });

  it("a long replay stays bounded and keeps the most recent half of its bound", async () => {
    const unit = await bytesOf(record(10_000));
    const store = new MemoryLineageStore(1000 * unit);
    for (let i = 0; i < 50; i++)
      await store.putMany(records(...Array.from({ length: 1000 }, (_, j) => record(10_000 + i * 1000 + j))));
    expect(store.bytes).toBeLessThanOrEqual(1000 * unit);
    expect(store.size).toBeLessThanOrEqual(1000);
    const recent = await store.getMany(Array.from({ length: 500 }, (_, j) => key(59_500 + j)));
    expect(recent.size).toBe(500);
  });

  it("a record counts two bytes per character of its arguments", async () => {
    const short = await bytesOf(record(1, ["x"]));
    expect(await bytesOf(record(1, ["x".repeat(1001)]))).toBe(short + 2000);
  });

  const MAX_BYTES = 4 * 1024 * 1024;
  it.each([
    ["unrelated processes", () => Array.from({ length: 300 }, (_, i) => record(1000 + i, longArgs(i)))],
    [
      "children of one parent with 16 KB of arguments",
      () => resolvedRecords(300, (i) => (i === 0 ? 1 : 1000)),
    ],
    ["a line of processes, each the parent of the next", () => resolvedRecords(300, (i) => 999 + i)],
  ])(
    "records with 16 KB of arguments each (%s): the estimate stays under the bound, the oldest go",
    async (_, make) => {
      const list = make();
      const store = new MemoryLineageStore(MAX_BYTES);
      for (let i = 0; i < list.length; i += 10) {
        await store.putMany(records(...list.slice(i, i + 10)));
        // 32 × 512 characters are 32 KB of UTF-16 in each record: far fewer than 300 fit.
        expect(store.bytes).toBeLessThanOrEqual(MAX_BYTES);
        expect(store.bytes).toBeGreaterThanOrEqual(store.size * 32 * 1024);
      }
      const pids = list.map((r) => r.pid);
      const found = await store.getMany(pids.map((pid) => key(pid)));
      expect(found.size).toBeLessThan(MAX_BYTES / (32 * 1024));
      expect(pids.slice(0, 100).filter((pid) => found.has(key(pid)))).toEqual([]);
      // The most recent are kept: at least a few writes' worth.
      expect(pids.slice(-10).every((pid) => found.has(key(pid)))).toBe(true);
    },
  );

  it("children of one parent count its node once, not once each", async () => {
    const parent = exec({ pid: 100, ppid: 1, exe: "/usr/bin/prog", args: longArgs(100), host: "h" });
    const store = new MemoryLineageStore();
    await store.putMany(records(resolveLineage(parent, undefined, undefined).record));
    const held = (await store.getMany([key(100)])).get(key(100));
    const parentBytes = store.bytes;
    expect(parentBytes).toBeGreaterThan(32 * 1024);
    for (let i = 0; i < 100; i++) {
      const child = exec({ pid: 1000 + i, ppid: 100, exe: "/usr/bin/true", args: ["true"], host: "h" });
      await store.putMany(records(resolveLineage(child, undefined, held).record));
    }
    // The parent's record, its node (counted in full, though it shares the record's text), 100 small children.
    expect(store.size).toBe(101);
    expect(store.bytes).toBeLessThan(2 * parentBytes + 100 * 1024);
    const children = await store.getMany([key(1000), key(1099)]);
    expect(children.get(key(1000))!.ancestors[0]).toBe(children.get(key(1099))!.ancestors[0]);
  });

  it("holds a record resolved under held parents as it is, and gives one with other ancestors nodes of its own", async () => {
    const store = new MemoryLineageStore();
    const shell = resolveLineage(
      exec({ pid: 100, ppid: 1, exe: "/usr/bin/bash", host: "h" }),
      undefined,
      undefined,
    );
    await store.putMany(records(shell.record));
    const parent = (await store.getMany([key(100)])).get(key(100))!;
    // Resolved under the held shell: its first ancestor is the shell's node; no copy is made.
    const child = resolveLineage(
      exec({ pid: 200, ppid: 100, exe: "/usr/bin/id", host: "h" }),
      undefined,
      parent,
    );
    await store.putMany(records(child.record));
    expect((await store.getMany([key(200)])).get(key(200))).toBe(child.record);
    // An ancestor the telemetry carried (ECS process.parent, no record of it) is a plain object: the held
    // record is a copy whose ancestors are nodes, so that it keeps nothing else of it alive.
    const orphan = resolveLineage(
      exec({
        pid: 300,
        ppid: 299,
        exe: "/usr/bin/id",
        host: "h",
        parent: { pid: 299, executable: "/tmp/x", args: ["/tmp/x"] },
      }),
      undefined,
      undefined,
    );
    expect(orphan.record.ancestors.map((a) => a.executable)).toEqual(["/tmp/x"]);
    await store.putMany(records(orphan.record));
    const held = (await store.getMany([key(300)])).get(key(300))!;
    expect(held).not.toBe(orphan.record);
    expect(held).toEqual(orphan.record);
    expect(held.ancestors[0]).not.toBe(orphan.record.ancestors[0]);
    expect(held.ancestors[0]).toEqual(expect.objectContaining({ pid: 299, executable: "/tmp/x" }));
  });

  it("a held record keeps none of its evicted ancestors' ancestors alive", async () => {
    const gc = collector();
    const store = new MemoryLineageStore(MAX_BYTES);
    // A line of 300 processes written one by one, each the parent of the next, as a batch of one event each
    // would: the store's record of the parent is the child's first ancestor.
    const first = await (async () => {
      let parent: ProcessRecord | undefined;
      let firstRef: WeakRef<ProcessRecord> | undefined;
      for (let i = 0; i < 300; i++) {
        const pid = 1000 + i;
        const event = exec({ pid, ppid: pid - 1, exe: "/usr/bin/prog", args: longArgs(pid), host: "h" });
        const { record: resolved } = resolveLineage(event, undefined, parent);
        await store.putMany(records(resolved));
        parent = (await store.getMany([key(pid)])).get(key(pid));
        firstRef ??= new WeakRef(parent!);
      }
      return firstRef!;
    })();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(first.deref()).toBeUndefined();
    expect(store.size).toBeLessThan(300);
  });

  it("an evicted record is not kept alive by a parent that stays (its node charged to a dropped generation)", async () => {
    const gc = collector();
    const unit = await bytesOf(record(10_000));
    const store = new MemoryLineageStore(200 * unit);
    const shell = exec({ pid: 100, ppid: 1, exe: "/usr/bin/bash", args: ["bash"], host: "h" });
    await store.putMany(records(resolveLineage(shell, undefined, undefined).record));
    const child = await (async () => {
      const parent = (await store.getMany([key(100)])).get(key(100));
      const event = exec({ pid: 200, ppid: 100, exe: "/usr/bin/true", args: ["true"], host: "h" });
      await store.putMany(records(resolveLineage(event, undefined, parent).record));
      return new WeakRef((await store.getMany([key(200)])).get(key(200))!);
    })();
    // Generations come and go; the shell stays, used by every write.
    for (let i = 0; i < 20; i++) {
      await store.getMany([key(100)]);
      await store.putMany(records(...Array.from({ length: 50 }, (_, j) => record(10_000 + i * 50 + j))));
    }
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect((await store.getMany([key(100), key(200)])).size).toBe(1);
    expect(child.deref()).toBeUndefined();
  });

  it("an argument cut by capArgs keeps none of the whole argument alive", async () => {
    const gc = collector();
    const store = new MemoryLineageStore();
    const heap = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const before = heap();
    // 64 arguments of 512 KiB each (one per process), each cut to 512 characters. (Node keeps a string of
    // more than about 1 MB decoded from a Buffer outside the heap: these stay in it.)
    for (let i = 0; i < 64; i++) {
      const whole = Buffer.alloc(512 * 1024, 65 + (i % 26)).toString("latin1");
      await store.putMany(records(record(1000 + i, capArgs(["prog", whole]))));
    }
    expect(store.size).toBe(64);
    expect(heap() - before).toBeLessThan(8 << 20);
  });

  it("separates hosts", async () => {
    const store = new MemoryLineageStore();
    await store.putMany(records({ ...record(7), host: "a" }));
    expect((await store.getMany([key(7, "b")])).size).toBe(0);
    expect((await store.getMany([key(7, "a")])).size).toBe(1);
  });
});
