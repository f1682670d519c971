import { describe, expect, it } from "vitest";
import { ALIVE_GAP_MS, PidAllocations } from "../../lib/lineage/pid-allocation.js";

const H = "web-01";
const MIN = 60_000;

/** A host whose allocator hands out `from`, `from + step`, … up to `to`, one pid per `gap` ms from `start`. */
function allocate(pids: PidAllocations, from: number, to: number, start: number, step = 7, gap = 10): number {
  let time = start;
  for (let pid = from; pid <= to; pid += step) {
    pids.observe(H, pid, time);
    time += gap;
  }
  return time;
}

describe("PidAllocations", () => {
  it("knows nothing of a host it never saw", () => {
    expect(new PidAllocations().superseded(H, 5000, 0, 10 * MIN)).toBe(false);
  });

  it("a record the allocator came past since, with its process not seen alive, is an earlier holder's", () => {
    const pids = new PidAllocations();
    // A record of pid 5000 written at t=0; the allocator goes from 4000 to 9000 a minute later.
    pids.observe(H, 4000, 0);
    const end = allocate(pids, 4001, 9000, MIN);
    expect(pids.superseded(H, 5000, 0, end)).toBe(true);
    // A pid ahead of the allocator has not been passed since: its record stands.
    expect(pids.superseded(H, 12_000, 0, end)).toBe(false);
    // Written after the pass: the current holder's.
    expect(pids.superseded(H, 5000, MIN + 5_000, end)).toBe(false);
  });

  it("a process seen forking shortly before the pass kept its pid (the kernel skips pids in use)", () => {
    const pids = new PidAllocations();
    pids.observe(H, 4000, 0);
    pids.seen(H, 5000, MIN - ALIVE_GAP_MS / 2);
    const end = allocate(pids, 4001, 9000, MIN);
    expect(pids.superseded(H, 5000, 0, end)).toBe(false);
  });

  it("a wrap to the bottom of the pid space is confirmed by a second pid, then passes what lies below", () => {
    const pids = new PidAllocations();
    allocate(pids, 20_000, 32_700, 0);
    // Old records: one low, one high (above the last cursor), both from before the wrap.
    const wrapAt = 10 * MIN;
    pids.observe(H, 305, wrapAt);
    // One pid out of line is not a wrap yet (an old process exec'ing again looks the same).
    expect(pids.superseded(H, 400, 1000, wrapAt + 1)).toBe(false);
    const end = allocate(pids, 312, 2000, wrapAt + 10);
    expect(pids.superseded(H, 400, 1000, end)).toBe(true);
    expect(pids.superseded(H, 32_760, 1000, end)).toBe(true);
    // Above the new cursor and written after the previous pass over it: still its holder's.
    expect(pids.superseded(H, 30_000, 5 * MIN, end)).toBe(false);
  });

  it("after a long silence, a pid behind the cursor is the allocator's new place (it went round unseen)", () => {
    const pids = new PidAllocations();
    const end = allocate(pids, 20_000, 26_400, 0);
    // Six hours without an exec from this host, then pid 23,750: only slightly behind the cursor.
    const back = end + 6 * 60 * MIN;
    pids.observe(H, 23_750, back);
    expect(pids.superseded(H, 23_750, 1_000, back)).toBe(true);
    expect(pids.superseded(H, 5_000, 1_000, back)).toBe(true);
    // The same pid a minute after the last exec: a process forked a little earlier, nothing moves.
    const busy = new PidAllocations();
    const then = allocate(busy, 20_000, 26_400, 0);
    busy.observe(H, 23_750, then + MIN);
    expect(busy.superseded(H, 23_750, 1_000, then + MIN)).toBe(false);
  });

  it("an old process exec'ing once with a low pid moves nothing", () => {
    const pids = new PidAllocations();
    let time = allocate(pids, 10_000, 12_000, 0);
    pids.observe(H, 900, time);
    time = allocate(pids, 12_010, 12_500, time + 10);
    expect(pids.superseded(H, 1000, 0, time)).toBe(false);
    expect(pids.superseded(H, 20_000, 0, time)).toBe(false);
  });

  it("ignores observations out of time order (a redelivery)", () => {
    const pids = new PidAllocations();
    pids.observe(H, 4000, 10 * MIN);
    pids.observe(H, 4100, MIN);
    pids.observe(H, 4200, MIN);
    expect(pids.superseded(H, 4150, 0, 11 * MIN)).toBe(false);
  });

  it("does not use a pass after the time asked about", () => {
    const pids = new PidAllocations();
    pids.observe(H, 4000, 0);
    const end = allocate(pids, 4001, 9000, 5 * MIN);
    expect(pids.superseded(H, 5000, 0, 2 * MIN)).toBe(false);
    expect(pids.superseded(H, 5000, 0, end)).toBe(true);
  });

  it("clear forgets every host", () => {
    const pids = new PidAllocations();
    pids.observe(H, 4000, 0);
    const end = allocate(pids, 4001, 9000, MIN);
    pids.clear();
    expect(pids.superseded(H, 5000, 0, end)).toBe(false);
  });
});
