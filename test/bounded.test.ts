import { describe, expect, it } from "vitest";
import { runBounded } from "../lib/bounded.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("runBounded", () => {
  it("runs every item, never more than the limit at once, started in order", async () => {
    let inFlight = 0;
    let most = 0;
    const started: number[] = [];
    const all = await runBounded(
      Array.from({ length: 25 }, (_, i) => i),
      4,
      async (item) => {
        started.push(item);
        most = Math.max(most, ++inFlight);
        await tick();
        inFlight--;
      },
    );
    expect(all).toBe(25);
    expect(most).toBe(4);
    expect(started).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it("stops starting when mayStart says no, and says where", async () => {
    const ran: number[] = [];
    const next = await runBounded(
      [0, 1, 2, 3, 4, 5],
      2,
      async (item) => {
        ran.push(item);
      },
      (index) => index < 3,
    );
    expect(next).toBe(3);
    expect(ran).toEqual([0, 1, 2]);
  });

  it("a task that throws stops new starts, lets the running finish, then throws", async () => {
    const finished: number[] = [];
    const running = runBounded([0, 1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      if (item === 0) throw new Error("boom");
      await tick();
      finished.push(item);
    });
    await expect(running).rejects.toThrow("boom");
    // 1 and 2 were running beside 0; nothing after them started.
    expect(finished.sort()).toEqual([1, 2]);
  });
});
