import { describe, expect, it } from "vitest";
import { MemoryLineageStore } from "../../lib/lineage/memory-store.js";
import type { ProcessRecord } from "../../lib/lineage/process-record.js";

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
  it("keeps at most its capacity, evicting the least recently used", async () => {
    const store = new MemoryLineageStore(3);
    await store.putMany([record(1), record(2), record(3)]);
    await store.getMany([{ host: "h", pid: 1 }]); // 1 is now the most recent
    await store.putMany([record(4)]);
    expect(store.size).toBe(3);
    const found = await store.getMany([1, 2, 3, 4].map((pid) => ({ host: "h", pid })));
    expect([...found.values()].map((r) => r.pid).sort()).toEqual([1, 3, 4]);
  });

  it("a long replay stays bounded", async () => {
    const store = new MemoryLineageStore(1000);
    for (let i = 0; i < 50; i++)
      await store.putMany(Array.from({ length: 1000 }, (_, j) => record(i * 1000 + j)));
    expect(store.size).toBe(1000);
  });

  it("separates hosts", async () => {
    const store = new MemoryLineageStore();
    await store.putMany([{ ...record(7), host: "a" }]);
    expect((await store.getMany([{ host: "b", pid: 7 }])).size).toBe(0);
    expect((await store.getMany([{ host: "a", pid: 7 }])).size).toBe(1);
  });
});
