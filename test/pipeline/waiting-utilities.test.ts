import { describe, expect, it } from "vitest";
import type { HostPending, WaitingUtility } from "../../lib/pipeline/pending-events.js";
import {
  applyWaiting,
  dueWaiting,
  MAX_WAITING,
  noWaitingChanges,
  waitingOrphan,
  waitingSettled,
} from "../../lib/pipeline/waiting-utilities.js";
import { exec } from "../helpers/exec-events.js";

const stateOf = (entries: WaitingUtility[]): HostPending => ({
  entries: new Map(),
  waiting: new Map(entries.map((e) => [e.event.source.eventId, e])),
  done: [],
});

describe("waiting utilities", () => {
  it("are due when a batch writes a record as old as they are, or when the wait is over", () => {
    const curl = exec({ pid: 41, ppid: 40, exe: "/usr/bin/curl", time: 1_000 });
    const state = stateOf([waitingSettled(curl, 0)]);
    expect(dueWaiting(state, 2_000, 10, 300_000)).toEqual([]);
    expect(dueWaiting(state, 900, 10, 300_000)).toEqual([
      { entry: state.waiting.get(curl.source.eventId), final: false, arrived: true },
    ]);
    expect(dueWaiting(state, undefined, 300_000, 300_000)).toEqual([
      { entry: state.waiting.get(curl.source.eventId), final: true, arrived: false },
    ]);
  });

  it("past MAX_WAITING, settled utilities are dropped before orphans, oldest first", () => {
    const orphans = Array.from({ length: MAX_WAITING }, (_, i) =>
      waitingOrphan(exec({ pid: 100 + i, ppid: 40, exe: "/usr/bin/curl" }), i),
    );
    const settled = waitingSettled(exec({ pid: 99, ppid: 40, exe: "/usr/bin/dig" }), 1_000);
    const changes = noWaitingChanges();
    changes.set.set(settled.event.source.eventId, settled);
    const { state, dropped } = applyWaiting(stateOf(orphans), changes);
    expect(dropped).toBe(1);
    expect(state.waiting.has(settled.event.source.eventId)).toBe(false);
    expect(state.waiting.size).toBe(MAX_WAITING);
  });
});
