import { describe, expect, it } from "vitest";
import { MAX_CHAIN, MAX_DEPTH, type ProcessRecord, processKey } from "../../lib/lineage/process-record.js";
import { resolveLineage } from "../../lib/lineage/resolve-lineage.js";
import { exec } from "../helpers/exec-events.js";

/** Resolves events in order against a plain map, as a batch does. */
function resolveAll(events: ReturnType<typeof exec>[]) {
  const known = new Map<string, ProcessRecord>();
  return events.map((event) => {
    const host = event.host.name;
    const result = resolveLineage(
      event,
      known.get(processKey(host, event.process.pid)),
      known.get(processKey(host, event.process.ppid)),
    );
    known.set(processKey(result.record.host, result.record.pid), result.record);
    return result;
  });
}

describe("resolveLineage", () => {
  it("denormalises ancestors nearest first, so a child needs one lookup", () => {
    const results = resolveAll([
      exec({ pid: 10, ppid: 1, exe: "/usr/sbin/sshd", args: ["sshd"] }),
      exec({ pid: 20, ppid: 10, exe: "/usr/bin/bash", args: ["-bash"] }),
      exec({ pid: 30, ppid: 20, exe: "/usr/bin/python3", args: ["python3", "job.py"], cwd: "/srv" }),
    ]);
    const last = results[2]!;
    expect(last.lineage.ancestors.map((a) => a.pid)).toEqual([20, 10]);
    expect(last.record.script).toBe("/srv/job.py");
  });

  it("children of one parent share its list of ancestors, and its user object when theirs says the same", () => {
    const [, a, b, other] = resolveAll([
      exec({ pid: 10, ppid: 1, exe: "/usr/bin/bash", args: ["bash"] }),
      exec({ pid: 11, ppid: 10, exe: "/usr/bin/id", args: ["id"] }),
      exec({ pid: 12, ppid: 10, exe: "/usr/bin/ls", args: ["ls"] }),
      exec({ pid: 13, ppid: 10, exe: "/usr/bin/ls", args: ["ls"], user: "root" }),
    ]);
    expect(a!.record.ancestors).toBe(b!.record.ancestors);
    expect(a!.record.ancestors.map((n) => n.pid)).toEqual([10]);
    expect(a!.record.user).toBe(b!.record.user);
    // Another user's child keeps its own; every record still says who ran it.
    expect(other!.record.user).not.toBe(a!.record.user);
    expect(other!.record.user).toEqual({ id: "33", name: "root" });
    expect(a!.record.user).toEqual({ id: "33", name: "www-data" });
  });

  it("uses the parent carried by the telemetry when the store has none (laurel PPID, ECS parent)", () => {
    const [only] = resolveAll([
      exec({
        pid: 30,
        ppid: 20,
        exe: "/usr/bin/curl",
        args: ["curl", "x"],
        parent: { pid: 20, executable: "/dev/shm/.x" },
      }),
    ]);
    expect(only!.lineage.ancestors.map((a) => [a.pid, a.executable])).toEqual([[20, "/dev/shm/.x"]]);
  });

  it("prefers the stored parent and appends deeper telemetry ancestors", () => {
    const events = [
      exec({ pid: 20, ppid: 10, exe: "/usr/bin/bash", args: ["bash"] }),
      exec({
        pid: 30,
        ppid: 20,
        exe: "/usr/bin/curl",
        args: ["curl", "x"],
        parent: { pid: 20, executable: "/usr/bin/bash" },
      }),
    ];
    events[1]!.ancestors = [
      { pid: 10, executable: "/tmp/a" },
      { pid: 5, executable: "/sbin/init" },
    ];
    const results = resolveAll(events);
    expect(results[1]!.lineage.ancestors.map((a) => a.executable)).toEqual([
      "/usr/bin/bash",
      "/tmp/a",
      "/sbin/init",
    ]);
  });

  it("caps ancestors at MAX_DEPTH and the exec chain at MAX_CHAIN", () => {
    const events = Array.from({ length: 40 }, (_, i) =>
      exec({ pid: 100 + i, ppid: 99 + i, exe: "/usr/bin/bash", args: ["bash"] }),
    );
    for (let i = 0; i < 20; i++)
      events.push(exec({ pid: 500, ppid: 139, exe: `/usr/bin/step${i}`, args: [`step${i}`] }));
    const results = resolveAll(events);
    expect(results[39]!.lineage.ancestors).toHaveLength(MAX_DEPTH);
    expect(results.at(-1)!.lineage.chain).toHaveLength(MAX_CHAIN);
    expect(results.at(-1)!.lineage.chain[0]!.executable).toBe("/usr/bin/step18");
  });

  it("caps args kept in records", () => {
    const [only] = resolveAll([
      exec({ pid: 1, ppid: 0, exe: "/bin/x", args: Array.from({ length: 100 }, () => "a".repeat(2000)) }),
    ]);
    expect(only!.record.args).toHaveLength(32);
    expect(only!.record.args[0]!.length).toBeLessThan(600);
  });

  describe("through re-parenting (a parent that exits hands its child to init or a subreaper)", () => {
    // The recorded E1: `( /tmp/daemon.sh & sleep 0.2 )`: the script's shell is exec'd under the subshell,
    // re-parented to init when it exits, then replaces itself by nc.
    const daemonised = (ncPpid: number, session: string, gap: number, parentExe?: string) =>
      resolveAll([
        exec({ pid: 20, ppid: 1, exe: "/usr/bin/bash", args: ["bash", "cases.sh"], session, time: 1_000 }),
        exec({
          pid: 35,
          ppid: 20,
          exe: "/usr/bin/dash",
          args: ["/bin/sh", "/tmp/daemon.sh"],
          session,
          time: 2_000,
        }),
        ...(parentExe === undefined
          ? []
          : [exec({ pid: ncPpid, ppid: 1, exe: parentExe, args: [parentExe], session, time: 2_100 })]),
        exec({
          pid: 35,
          ppid: ncPpid,
          exe: "/usr/bin/nc.traditional",
          args: ["nc", "-w", "1", "192.0.2.1", "4445"],
          session,
          time: 2_000 + gap,
        }),
      ]).at(-1)!;

    it.each<[string, number, string, number, string | undefined, string[], number[]]>([
      ["to init, same login session", 1, "3", 500, undefined, ["/tmp/daemon.sh"], [20]],
      [
        "to init, under a daemon (no session), soon after",
        1,
        "4294967295",
        500,
        undefined,
        ["/tmp/daemon.sh"],
        [20],
      ],
      [
        "to init two hours later with no session: the pid may have been reused",
        1,
        "4294967295",
        7_200_000,
        undefined,
        [],
        [],
      ],
      ["to a user's systemd", 811, "3", 500, "/usr/lib/systemd/systemd", ["/tmp/daemon.sh"], [20]],
      ["to a bash that is no reaper: another process", 811, "3", 500, "/usr/bin/bash", [], [811]],
    ])("%s", (_name, ppid, session, gap, parentExe, chain, ancestors) => {
      const nc = daemonised(ppid, session, gap, parentExe);
      expect(nc.lineage.chain.map((i) => i.script ?? i.executable)).toEqual(chain);
      // The ancestry that started it, not init's.
      expect(nc.lineage.ancestors.map((a) => a.pid)).toEqual(ancestors);
    });
  });

  it.each([
    // The kernel follows /var/run -> /run before it meets `..`: the script is /dev/shm/x, not /var/dev/shm/x.
    [["sh", "/var/run/../dev/shm/x"], "/", "/dev/shm/x"],
    [["sh", "../lock/x.sh"], "/var/run/user", "/run/lock/x.sh"],
    [["sh", "/usr/tmp/x.sh"], "/", "/var/tmp/x.sh"],
  ])("places a script %j (cwd %s) as the kernel does, through aliases: %s", (args, cwd, script) => {
    const [only] = resolveAll([exec({ pid: 30, ppid: 1, exe: "/usr/bin/dash", args, cwd })]);
    expect(only!.record.script).toBe(script);
  });
});
