import { describe, expect, it } from "vitest";
import { eventTag } from "../../lib/lineage/event-tag.js";
import { type ProcessRecord, processKey } from "../../lib/lineage/process-record.js";
import { walkLineage } from "../../lib/lineage/walk-lineage.js";
import { exec } from "../helpers/exec-events.js";

/** Records as the store holds them, written in any order: each with the ancestors it could copy then. */
const rec = (
  pid: number,
  ppid: number,
  executable: string,
  time: number,
  extra: Partial<ProcessRecord> = {},
) =>
  ({
    host: "vm",
    pid,
    ppid,
    executable,
    args: [executable],
    time,
    chain: [],
    ancestors: [],
    ...extra,
  }) as ProcessRecord;

function storeOf(records: ProcessRecord[]) {
  const map = new Map(records.map((r) => [processKey(r.host, r.pid), r]));
  const rounds: string[][] = [];
  return {
    rounds,
    fetch: async (keys: readonly string[]) => {
      rounds.push([...keys]);
      return new Map([...map].filter(([k]) => keys.includes(k)));
    },
  };
}

describe("walkLineage", () => {
  it("rebuilds the ancestry parent by parent, past records that copied none (their parents came later)", async () => {
    const store = storeOf([
      rec(10, 1, "/usr/sbin/sshd", 1),
      rec(20, 10, "/tmp/x.sh", 2),
      rec(30, 20, "/usr/bin/bash", 3),
    ]);
    const curl = exec({ host: "vm", pid: 40, ppid: 30, exe: "/usr/bin/curl", time: 4 });
    const walked = (await walkLineage([curl], store.fetch)).get(curl)!;
    expect(walked.lineage.ancestors.map((a) => a.pid)).toEqual([30, 20, 10]);
    expect(walked.missing).toBeUndefined();
    // One read per level (own and parent first), and nothing read twice.
    expect(store.rounds).toHaveLength(4);
  });

  it.each([
    ["a parent not delivered yet", [rec(30, 20, "/usr/bin/bash", 3)], [30], 20],
    [
      "a parent newer than its child (the pid was reused since)",
      [rec(30, 20, "/usr/bin/bash", 9)],
      [],
      undefined,
    ],
  ])("stops at %s", async (_name, records, pids, missing) => {
    const curl = exec({ host: "vm", pid: 40, ppid: 30, exe: "/usr/bin/curl", time: 4 });
    const walked = (await walkLineage([curl], storeOf(records).fetch)).get(curl)!;
    expect(walked.lineage.ancestors.map((a) => a.pid)).toEqual(pids);
    expect(walked.missing).toBe(missing);
  });

  it("the exec chain: the images of its pid before its own, not the ones after", async () => {
    const nc = exec({ host: "vm", pid: 7, ppid: 1, exe: "/usr/bin/nc", time: 5 });
    const tag = eventTag(nc.source.eventId);
    // The pid's record: nc exec'd /bin/sh later; before nc, the /tmp script.
    const record = rec(7, 1, "/usr/bin/dash", 6, {
      by: "later",
      chain: [
        { executable: "/usr/bin/nc", args: ["nc"], time: 5, by: tag },
        {
          executable: "/usr/bin/dash",
          script: "/tmp/rs.sh",
          args: ["sh", "/tmp/rs.sh"],
          time: 4,
          by: "script",
        },
      ],
    });
    const walked = (await walkLineage([nc], storeOf([record]).fetch)).get(nc)!;
    expect(walked.lineage.chain.map((i) => i.script ?? i.executable)).toEqual(["/tmp/rs.sh"]);
  });

  it("a process re-parented to init: its earlier image and the ancestry that started it", async () => {
    const nc = exec({ host: "vm", pid: 35, ppid: 1, exe: "/usr/bin/nc", time: 5 });
    const records = [
      rec(35, 30, "/usr/bin/dash", 3, { script: "/tmp/daemon.sh", by: "daemon" }),
      rec(30, 20, "/usr/bin/bash", 2),
      rec(20, 1, "/usr/sbin/sshd", 1),
    ];
    const walked = (await walkLineage([nc], storeOf(records).fetch)).get(nc)!;
    expect(walked.lineage.chain.map((i) => i.script ?? i.executable)).toEqual(["/tmp/daemon.sh"]);
    expect(walked.lineage.ancestors.map((a) => a.pid)).toEqual([30, 20]);
  });
});
