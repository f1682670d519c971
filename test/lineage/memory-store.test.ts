import { describe, expect, it } from "vitest";
import { MemoryLineageStore } from "../../lib/lineage/memory-store.js";
import { type ProcessRecord, processKey } from "../../lib/lineage/process-record.js";

const key = (pid: number, host = "h") => processKey(host, pid);
const records = (...list: ProcessRecord[]) => new Map(list.map((r) => [processKey(r.host, r.pid), r]));
const record = (pid: number): ProcessRecord => ({
  host: "h",
  pid,
  ppid: 1,
  executable: "/bin/x",
  args: ["x"],
  time: pid,
  chain: [],
  ancestors: [],
});

describe("MemoryLineageStore", () => {
  it("keeps at most its capacity, forgetting the least recently used", async () => {
    const store = new MemoryLineageStore(3);
    await store.putMany(records(record(1), record(2), record(3)));
    await store.getMany([key(1)]); // 1 is now recently used
    await store.putMany(records(record(4)));
    expect(store.size).toBeLessThanOrEqual(3);
    const found = await store.getMany([1, 2, 3, 4].map((pid) => key(pid)));
    expect([...found.values()].map((r) => r.pid).sort()).toEqual([1, 3, 4]);
  });

  it("a long replay stays bounded and keeps the most recent half of its capacity", async () => {
    const store = new MemoryLineageStore(1000);
    for (let i = 0; i < 50; i++)
      await store.putMany(records(...Array.from({ length: 1000 }, (_, j) => record(i * 1000 + j))));
    expect(store.size).toBeLessThanOrEqual(1000);
    const recent = await store.getMany(Array.from({ length: 500 }, (_, j) => key(49_500 + j)));
    expect(recent.size).toBe(500);
  });

  it("separates hosts", async () => {
    const store = new MemoryLineageStore();
    await store.putMany(records({ ...record(7), host: "a" }));
    expect((await store.getMany([key(7, "b")])).size).toBe(0);
    expect((await store.getMany([key(7, "a")])).size).toBe(1);
  });
});
