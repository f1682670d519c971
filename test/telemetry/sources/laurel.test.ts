import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DecodeOutput, RawRecord } from "../../../lib/telemetry/decoder.js";
import type { ExecEvent } from "../../../lib/telemetry/exec-event.js";
import { laurelDecoder, unescapeLaurel } from "../../../lib/telemetry/sources/laurel.js";
import { CAPTURED_LAUREL, readSample } from "../../helpers/samples.js";

const ctx = { defaultHost: "vm" };
const lines = readSample(CAPTURED_LAUREL)
  .split("\n")
  .filter((line) => line !== "");

const record = (text: string, line = 1): RawRecord => ({ text, line });
const decodeText = (text: string, line = 1): DecodeOutput =>
  laurelDecoder.decode(JSON.parse(text), record(text, line), ctx);
const decodeValue = (value: unknown): DecodeOutput =>
  laurelDecoder.decode(value, record(JSON.stringify(value) ?? ""), ctx);

const sampleEvents: ExecEvent[] = lines.map((text, i) => {
  const out = decodeText(text, i + 1);
  if (out.kind !== "event")
    throw new Error(`line ${i + 1}: ${out.kind} ${"reason" in out ? out.reason : ""}`);
  return out.event;
});
const byPid = (pid: number): ExecEvent => {
  const found = sampleEvents.find((event) => event.process.pid === pid);
  if (found === undefined) throw new Error(`no event for pid ${pid}`);
  return found;
};

/** A sample line as an object, to be altered by a test. */
const sampleObject = (index: number): Record<string, unknown> & { SYSCALL: Record<string, unknown> } =>
  JSON.parse(lines[index]!);
const NSLOOKUP_LINE = lines.findIndex((line) => line.includes('"comm":"nslookup"'));

describe("laurelDecoder on the captured sample", () => {
  it("decodes every line to an exec event", () => {
    expect(lines).toHaveLength(27);
    const outputs = lines.map((text, i) => decodeText(text, i + 1));
    expect(outputs.filter((out) => out.kind === "malformed")).toEqual([]);
    expect(outputs.filter((out) => out.kind === "event")).toHaveLength(27);
    expect(outputs.map((out) => out.line)).toEqual(lines.map((_, i) => i + 1));
  });

  it("decodes the nslookup run by the dropper", () => {
    const event = byPid(14828);
    expect(event.process).toMatchObject({
      pid: 14828,
      ppid: 14826,
      executable: "/usr/bin/nslookup",
      args: ["nslookup", "vm.leak.example", "192.0.2.53"],
      cwd: "/opt/sim",
    });
    expect(event.process.argsTruncated).toBeUndefined();
    expect(event.process.invokedPath).toBeUndefined();
    expect(event.parent).toEqual({
      pid: 14826,
      executable: "/usr/bin/dash",
      entityId: "vm:1795822038.628:1049",
    });
    expect(event.ancestors).toBeUndefined();
    expect(event.host).toEqual({ name: "vm" });
    expect(event.user).toEqual({ id: "0", name: "root", auditId: "4343" });
    expect(event.process.sessionId).toBe("16");
    expect(event.time).toBe(1795822038628);
    expect(event.source).toEqual({ format: "laurel", eventId: "vm:1795822038.628:1051", sequence: 1051 });
  });

  it("decodes the dropper script exec with its script and invoked path", () => {
    const event = byPid(14826);
    expect(event.process).toMatchObject({
      executable: "/usr/bin/dash",
      script: "/tmp/dropper.sh",
      args: ["/bin/sh", "/tmp/dropper.sh"],
      invokedPath: "/tmp/dropper.sh",
      entityId: "vm:1795822038.628:1049",
    });
    // The parent's exec entity links the child to the event that started it.
    expect(byPid(14828).parent?.entityId).toBe(event.process.entityId);
  });

  it("decodes the curl run by the ELF in /dev/shm", () => {
    const event = byPid(14834);
    expect(event.process.executable).toBe("/usr/bin/curl");
    expect(event.process.args).toEqual(["curl", "-s", "-m", "1", "http://192.0.2.10/p", "-o", "/dev/null"]);
    expect(event.parent?.executable).toBe("/dev/shm/.x");
  });

  it("undoes laurel's percent-encoding of '+' (auditd logs the same argument as +x)", () => {
    const chmod = sampleEvents.find((event) => event.process.executable === "/usr/bin/chmod");
    expect(chmod?.process.args).toEqual(["chmod", "+x", "/tmp/dropper.sh"]);
    const dig = sampleEvents.find((event) => event.process.executable === "/usr/bin/dig");
    expect(dig?.process.args).toEqual(["dig", "@192.0.2.53", "+time=1", "+tries=1", "example.org"]);
  });

  it("records a symlinked invocation as invokedPath", () => {
    const sh = sampleEvents.find((event) => event.process.executable === "/usr/bin/ip");
    expect(sh?.process.invokedPath).toBe("/sbin/ip");
  });

  it("leaves out the parent entity when laurel has no exec event for the parent", () => {
    const env = byPid(14823);
    expect(env.parent).toEqual({ pid: 14810, executable: "/usr/bin/bash" });
  });
});

describe("laurelDecoder: exec or not", () => {
  it("skips a failed execve", () => {
    const value = sampleObject(NSLOOKUP_LINE);
    value.SYSCALL["success"] = "no";
    value.SYSCALL["exit"] = -2;
    expect(decodeValue(value)).toMatchObject({ kind: "skipped", reason: "laurel: failed execve" });
  });

  it("skips another syscall", () => {
    const value = sampleObject(NSLOOKUP_LINE);
    value.SYSCALL["syscall"] = 44;
    value.SYSCALL["SYSCALL"] = "sendto";
    expect(decodeValue(value)).toMatchObject({
      kind: "skipped",
      reason: "laurel: syscall sendto is not an exec",
    });
  });

  it.each([
    { arch: "0xc000003e", syscall: 59, exec: true },
    { arch: "0xc000003e", syscall: 322, exec: true },
    { arch: "0xc000003e", syscall: 221, exec: false },
    { arch: "0xc00000b7", syscall: 221, exec: true },
    { arch: "0xc00000b7", syscall: 281, exec: true },
    { arch: "0xc00000b7", syscall: 59, exec: false }, // pipe2 on aarch64
    { arch: "0x40000003", syscall: 11, exec: true },
    { arch: "0xdeadbeef", syscall: 59, exec: false },
  ])("untranslated syscall $syscall on arch $arch: exec $exec", ({ arch, syscall, exec }) => {
    const value = sampleObject(NSLOOKUP_LINE);
    delete value.SYSCALL["SYSCALL"];
    delete value.SYSCALL["ARCH"];
    value.SYSCALL["arch"] = arch;
    value.SYSCALL["syscall"] = syscall;
    expect(decodeValue(value).kind).toBe(exec ? "event" : "skipped");
  });

  it("trusts the translated name when drop-raw removed the numbers", () => {
    const value = sampleObject(NSLOOKUP_LINE);
    delete value.SYSCALL["syscall"];
    delete value.SYSCALL["arch"];
    delete value.SYSCALL["uid"];
    value.SYSCALL["SYSCALL"] = "execveat";
    const out = decodeValue(value);
    expect(out.kind).toBe("event");
    if (out.kind === "event") expect(out.event.user).toEqual({ name: "root", auditId: "4343" });
  });
});

describe("laurelDecoder: fields", () => {
  it("takes the host from NODE and puts it in the event id", () => {
    const value = { ...sampleObject(NSLOOKUP_LINE), NODE: "web-1" };
    const out = decodeValue(value);
    expect(out.kind).toBe("event");
    if (out.kind !== "event") return;
    expect(out.event.host).toEqual({ name: "web-1" });
    expect(out.event.source.eventId).toBe("web-1:1795822038.628:1051");
    expect(out.event.parent?.entityId).toBe("web-1:1795822038.628:1049");
  });

  it("flags args as truncated when argc is larger than ARGV", () => {
    const value = sampleObject(NSLOOKUP_LINE);
    (value["EXECVE"] as Record<string, unknown>)["argc"] = 9;
    const out = decodeValue(value);
    expect(out.kind === "event" && out.event.process.argsTruncated).toBe(true);
  });

  it("drops laurel's skipped-args marker (execve-argv-limit-bytes) and flags the cut", () => {
    const value = sampleObject(NSLOOKUP_LINE);
    value["EXECVE"] = { argc: 5, ARGV: ["nslookup", { skipped_args: 3, skipped_bytes: 900 }, "192.0.2.53"] };
    const out = decodeValue(value);
    expect(out.kind === "event" && out.event.process).toMatchObject({
      args: ["nslookup", "192.0.2.53"],
      argsTruncated: true,
    });
  });

  it("keeps numbers in ARGV as strings", () => {
    const value = sampleObject(NSLOOKUP_LINE);
    value["EXECVE"] = { argc: 2, ARGV: ["sleep", 1] };
    const out = decodeValue(value);
    expect(out.kind === "event" && out.event.process.args).toEqual(["sleep", "1"]);
  });

  it("falls back to ARGV_STR, then to PROCTITLE, when EXECVE has no ARGV", () => {
    const value = sampleObject(NSLOOKUP_LINE);
    value["EXECVE"] = { argc: 2, ARGV_STR: "nc -e%2b /bin/sh" };
    const fromString = decodeValue(value);
    expect(fromString.kind === "event" && fromString.event.process.args).toEqual(["nc", "-e+", "/bin/sh"]);
    delete value["EXECVE"];
    const fromTitle = decodeValue(value);
    expect(fromTitle.kind === "event" && fromTitle.event.process.args).toEqual([
      "nslookup",
      "vm.leak.example",
      "192.0.2.53",
    ]);
  });

  it("reads the container id laurel adds under PID", () => {
    const value = sampleObject(NSLOOKUP_LINE);
    value.SYSCALL["PID"] = { EVENT_ID: "1795822038.628:1051", container: { id: "abc123" } };
    const out = decodeValue(value);
    expect(out.kind === "event" && out.event.container).toEqual({ id: "abc123" });
  });

  it("does not take a translation placeholder for a user name", () => {
    const value = sampleObject(NSLOOKUP_LINE);
    value.SYSCALL["uid"] = 4343;
    value.SYSCALL["UID"] = "unknown(4343)";
    const out = decodeValue(value);
    expect(out.kind === "event" && out.event.user).toEqual({ id: "4343", auditId: "4343" });
  });

  it("matches laurel records only", () => {
    expect(laurelDecoder.matches(sampleObject(0))).toBe(true);
    expect(laurelDecoder.matches({ ID: 1, SYSCALL: {} })).toBe(false);
    expect(laurelDecoder.matches({ ID: "1.000:1", SYSCALL: [] })).toBe(false);
    expect(laurelDecoder.matches({ process: { pid: 1 }, "@timestamp": "x" })).toBe(false);
    expect(laurelDecoder.matches(null)).toBe(false);
    expect(laurelDecoder.matches([])).toBe(false);
  });
});

describe("unescapeLaurel", () => {
  it.each([
    ["plain", "plain"],
    ["%2bx", "+x"],
    ["100%25", "100%"],
    ["%25%2b%25", "%+%"],
    ["a%0ab", "a\nb"],
    ["%c3%a4", "ä"],
    ["%c3ä", "\uFFFDä"],
    ["100%", "100%"],
    ["%zz%4", "%zz%4"],
    ["%2B", "+"],
  ])("%s → %j", (input, expected) => {
    expect(unescapeLaurel(input)).toBe(expected);
  });
});

describe("laurel events that are not syscalls", () => {
  // laurel writes a line for every audit event; these shapes are its output for daemon, PAM and crash records.
  it.each([
    ["DAEMON_START", { ID: "1795822040.001:1", DAEMON_START: { op: "start", ver: "3.0.9", res: "success" } }],
    ["DAEMON_ROTATE", { ID: "1795822040.002:2", DAEMON_ROTATE: { op: "rotate-logs", res: "success" } }],
    [
      "USER_AUTH",
      { ID: "1795822040.003:3", USER_AUTH: { pid: 9, uid: 0, msg: { op: "PAM:authentication" } } },
    ],
    ["USER_ACCT", { ID: "1795822040.004:4", USER_ACCT: { pid: 9, uid: 0, msg: { op: "PAM:accounting" } } }],
    ["CRED_ACQ", { ID: "1795822040.005:5", CRED_ACQ: { pid: 9, uid: 0, msg: { op: "PAM:setcred" } } }],
    ["USER_START", { ID: "1795822040.006:6", USER_START: { pid: 9, msg: { op: "PAM:session_open" } } }],
    ["USER_END", { ID: "1795822040.007:7", USER_END: { pid: 9, msg: { op: "PAM:session_close" } } }],
    ["CRED_DISP", { ID: "1795822040.008:8", CRED_DISP: { pid: 9, msg: { op: "PAM:setcred" } } }],
    ["USER", { ID: "1795822040.009:9", USER: { pid: 9, msg: { op: "custom" } } }],
    ["ANOM_ABEND", { ID: "1795822040.010:10", ANOM_ABEND: { pid: 9, comm: "sleep", sig: 11 }, NODE: "vm" }],
  ])("%s: recognised as laurel and skipped under its type, never malformed", (type, value) => {
    expect(laurelDecoder.matches(value)).toBe(true);
    expect(decodeValue(value)).toEqual({
      kind: "skipped",
      line: 1,
      reason: `laurel: ${type} event (not an exec)`,
    });
  });

  it.each([
    ["no record at all", { ID: "1795822040.001:1" }],
    ["an ID of another shape", { ID: "user-42", USER_AUTH: { pid: 9 } }],
    ["lower-case keys only", { ID: "1795822040.001:1", user: { pid: 9 } }],
  ])("%s: not taken for laurel", (_name, value) => {
    expect(laurelDecoder.matches(value)).toBe(false);
  });
});

describe("laurelDecoder on bad data", () => {
  const mutate = (edit: (value: ReturnType<typeof sampleObject>) => void): unknown => {
    const value = sampleObject(NSLOOKUP_LINE);
    edit(value);
    return value;
  };

  it.each([
    ["not an object", [], "laurel: record is not a JSON object"],
    ["ID missing", mutate((v) => delete v["ID"]), "laurel: ID is missing"],
    ["ID a number", mutate((v) => (v["ID"] = 17)), "laurel: ID is not a string"],
    [
      "ID shaped wrong",
      mutate((v) => (v["ID"] = "yesterday")),
      'laurel: ID "yesterday" is not SEC.MS:SERIAL',
    ],
    ["SYSCALL an array", mutate((v) => Reflect.set(v, "SYSCALL", [])), "laurel: SYSCALL is not an object"],
    [
      "syscall unknown",
      mutate((v) => {
        delete v.SYSCALL["SYSCALL"];
        v.SYSCALL["syscall"] = "execve?";
      }),
      "laurel: SYSCALL.syscall is not a number",
    ],
    ["pid a word", mutate((v) => (v.SYSCALL["pid"] = "abc")), "laurel: SYSCALL.pid is not a number"],
    ["pid negative", mutate((v) => (v.SYSCALL["pid"] = -1)), "laurel: SYSCALL.pid is not a number"],
    ["pid missing", mutate((v) => delete v.SYSCALL["pid"]), "laurel: SYSCALL.pid is missing"],
    ["ppid an object", mutate((v) => (v.SYSCALL["ppid"] = {})), "laurel: SYSCALL.ppid is not a number"],
    ["exe a number", mutate((v) => (v.SYSCALL["exe"] = 5)), "laurel: SYSCALL.exe is not a string"],
    [
      "ARGV a string",
      mutate((v) => (v["EXECVE"] = { argc: 1, ARGV: "nslookup" })),
      "laurel: EXECVE.ARGV is not an array",
    ],
    [
      "ARGV entry null",
      mutate((v) => (v["EXECVE"] = { argc: 2, ARGV: ["nslookup", null] })),
      "laurel: EXECVE.ARGV[1] is not a string",
    ],
  ])("%s → malformed", (_name, value, reason) => {
    const out = decodeValue(value);
    expect(out).toMatchObject({ kind: "malformed", reason });
    if (out.kind === "malformed") expect(out.raw).toBe(JSON.stringify(value));
  });

  it("ignores optional fields of the wrong type", () => {
    const out = decodeValue(
      mutate((v) => {
        v["CWD"] = "nope";
        v["PATH"] = { item: 0 };
        v.SYSCALL["PPID"] = 7;
        v.SYSCALL["SCRIPT"] = [];
        v["NODE"] = 3;
      }),
    );
    expect(out.kind).toBe("event");
    if (out.kind !== "event") return;
    expect(out.event.process.cwd).toBeUndefined();
    expect(out.event.parent).toBeUndefined();
    expect(out.event.host.name).toBe("vm");
  });

  it("never throws, whatever the value", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(["event", "skipped", "malformed"]).toContain(decodeValue(value).kind);
      }),
    );
  });

  it("never throws when any SYSCALL field holds anything", () => {
    const keys = Object.keys(sampleObject(NSLOOKUP_LINE).SYSCALL);
    fc.assert(
      fc.property(
        fc.constantFrom(...keys, "EXECVE", "PATH", "CWD", "PROCTITLE"),
        fc.anything(),
        (key, junk) => {
          const value = sampleObject(NSLOOKUP_LINE);
          if (key in value) value[key] = junk;
          else value.SYSCALL[key] = junk;
          expect(["event", "skipped", "malformed"]).toContain(decodeValue(value).kind);
        },
      ),
    );
  });
});
