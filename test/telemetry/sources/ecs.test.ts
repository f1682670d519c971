import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DecodeOutput, RawRecord } from "../../../lib/telemetry/decoder.js";
import type { ExecEvent } from "../../../lib/telemetry/exec-event.js";
import { ecsDecoder } from "../../../lib/telemetry/sources/ecs.js";
import { MAX_ARGS } from "../../../lib/telemetry/sources/json-access.js";
import { samplePath } from "../../helpers/samples.js";

const samples = pathToFileURL(samplePath("upstream/"));
const ctx = { defaultHost: "stream-host" };

// Raw text matters only for quarantine; a value too deep to stringify still gets a record.
const record = (value: unknown): RawRecord => {
  try {
    return { text: JSON.stringify(value) ?? "", line: 3 };
  } catch {
    return { text: "<too deep>", line: 3 };
  }
};
const decode = (value: unknown): DecodeOutput => ecsDecoder.decode(value, record(value), ctx);
const eventOf = (value: unknown): ExecEvent => {
  const out = decode(value);
  if (out.kind !== "event") throw new Error(`${out.kind}: ${out.reason}`);
  return out.event;
};

const auditbeatText = readFileSync(new URL("ecs/beats_auditbeat_auditd_meta_execve.json", samples), "utf8");
const auditbeat = (): Record<string, unknown> => JSON.parse(auditbeatText);

const aucoalesce = (): Record<string, unknown> => {
  const text = readFileSync(
    new URL("auditd/go-libaudit_ubuntu-16.10_EXECVE.json.golden-excerpt", samples),
    "utf8",
  );
  // The excerpt is one element of a JSON array, with its trailing comma.
  return JSON.parse(text.trimEnd().replace(/,$/, "")).event;
};

/** What Elastic Defend writes for an exec on Linux (trimmed to the fields that matter here). */
const elasticAgentExec = (): Record<string, unknown> => ({
  "@timestamp": "2026-01-05T10:00:00.123Z",
  ecs: { version: "8.11.0" },
  agent: { type: "endpoint" },
  event: {
    id: "NqDwTFzqHnxwgZ4X++++0qoA",
    action: "exec",
    category: ["process"],
    type: ["start"],
    kind: "event",
    created: "2026-01-05T10:00:00.120Z",
  },
  host: { name: "web-1", hostname: "web-1.internal", id: "c0ffee" },
  container: { id: "4f1a9c", image: { name: "nginx:1.27" } },
  user: { id: "33", name: "www-data" },
  process: {
    pid: 4242,
    entity_id: "ZTAxYS00MjQy",
    executable: "/usr/bin/curl",
    name: "curl",
    args: ["curl", "-s", "http://198.51.100.7/x"],
    args_count: 3,
    command_line: "curl -s http://198.51.100.7/x",
    working_directory: "/var/www",
    start: "2026-01-05T10:00:00.100Z",
    parent: {
      pid: 4241,
      entity_id: "ZTAxYS00MjQx",
      executable: "/tmp/.k",
      args: ["/tmp/.k"],
    },
    Ext: { ancestry: ["ZTAxYS00MjQx", "ZTAxYS0x"] },
  },
});

describe("ecsDecoder on Auditbeat (auditd module)", () => {
  it("decodes the upstream execve sample", () => {
    const value = auditbeat();
    expect(ecsDecoder.matches(value)).toBe(true);
    const event = eventOf(value);
    expect(event.process).toEqual({
      pid: 10043,
      ppid: 10027,
      executable: "/bin/uname",
      args: ["uname", "-a"],
      cwd: "/home/andrew_kroh",
      // auditd.session
      sessionId: "11",
    });
    expect(event.parent).toEqual({ pid: 10027 });
    // user.audit.id
    expect(event.user).toEqual({ id: "1001", auditId: "1001" });
    expect(event.host).toEqual({ name: "stream-host" });
    // The documentation sample carries no time: decoded at 0 rather than dropped.
    expect(event.time).toBe(0);
    expect(event.source).toEqual({ format: "ecs", eventId: "stream-host:10043:0:8972:/bin/uname" });
  });

  it("skips a failed execve", () => {
    const value = auditbeat();
    (value["auditd"] as Record<string, unknown>)["result"] = "fail";
    expect(decode(value)).toMatchObject({ kind: "skipped", reason: "ecs: failed execve" });
  });

  it("skips another audited syscall", () => {
    const value = auditbeat();
    value["event"] = { action: "connected-to", category: "audit-rule", module: "auditd" };
    (value["auditd"] as { data: Record<string, unknown> }).data["syscall"] = "connect";
    expect(decode(value)).toMatchObject({
      kind: "skipped",
      reason: 'ecs: event.action "connected-to" is not an exec',
    });
  });

  it("flags args as truncated when argc is larger than the args", () => {
    const value = auditbeat();
    (value["auditd"] as { data: Record<string, unknown> }).data["argc"] = "5";
    expect(eventOf(value).process.argsTruncated).toBe(true);
  });
});

describe("ecsDecoder on go-libaudit aucoalesce", () => {
  it("decodes the golden excerpt, numbers as strings", () => {
    const value = aucoalesce();
    expect(ecsDecoder.matches(value)).toBe(true);
    const event = eventOf(value);
    expect(event.process).toEqual({
      pid: 10043,
      ppid: 10027,
      executable: "/bin/uname",
      args: ["uname", "-a"],
      cwd: "/home/andrew_kroh",
      // top-level session
      sessionId: "11",
    });
    expect(event.parent).toEqual({ pid: 10027 });
    // user.ids.auid
    expect(event.user).toEqual({ id: "1001", auditId: "1001" });
    expect(event.time).toBe(Date.parse("2017-04-21T05:28:42.985Z"));
    expect(event.source.eventId).toBe(
      `stream-host:10043:${Date.parse("2017-04-21T05:28:42.985Z")}:8972:/bin/uname`,
    );
  });

  it("recognises the exec from the ECS hints when the action is absent", () => {
    const value = aucoalesce();
    delete (value["summary"] as Record<string, unknown>)["action"];
    delete value["data"];
    expect(decode(value).kind).toBe("event");
  });

  it("splits the title when there is no args array", () => {
    const value = aucoalesce();
    delete (value["process"] as Record<string, unknown>)["args"];
    expect(eventOf(value).process.args).toEqual(["uname", "-a"]);
  });
});

describe("ecsDecoder on Elastic Agent / Elastic Defend", () => {
  it("decodes host, container, user, process and parent", () => {
    const value = elasticAgentExec();
    expect(ecsDecoder.matches(value)).toBe(true);
    const event = eventOf(value);
    expect(event).toEqual({
      host: { name: "web-1", id: "c0ffee" },
      container: { id: "4f1a9c", image: "nginx:1.27" },
      user: { id: "33", name: "www-data" },
      process: {
        pid: 4242,
        ppid: 4241,
        executable: "/usr/bin/curl",
        args: ["curl", "-s", "http://198.51.100.7/x"],
        cwd: "/var/www",
        start: Date.parse("2026-01-05T10:00:00.100Z"),
        entityId: "ZTAxYS00MjQy",
      },
      parent: { pid: 4241, executable: "/tmp/.k", args: ["/tmp/.k"], entityId: "ZTAxYS00MjQx" },
      time: Date.parse("2026-01-05T10:00:00.123Z"),
      source: { format: "ecs", eventId: "NqDwTFzqHnxwgZ4X++++0qoA" },
    });
  });

  it.each([
    { name: "host.hostname", host: { hostname: "h2" }, expected: { name: "h2" } },
    { name: "host.id only", host: { id: "i-0abc" }, expected: { name: "i-0abc", id: "i-0abc" } },
    { name: "no host", host: undefined, expected: { name: "stream-host" } },
  ])("takes the host name from $name", ({ host, expected }) => {
    const value = elasticAgentExec();
    if (host === undefined) delete value["host"];
    else value["host"] = host;
    expect(eventOf(value).host).toEqual(expected);
  });

  it("falls back from @timestamp to event.created", () => {
    const value = elasticAgentExec();
    delete value["@timestamp"];
    expect(eventOf(value).time).toBe(Date.parse("2026-01-05T10:00:00.120Z"));
  });

  it("builds a composite event id without event.id", () => {
    const value = elasticAgentExec();
    delete (value["event"] as Record<string, unknown>)["id"];
    expect(eventOf(value).source.eventId).toBe(
      `web-1:4242:${Date.parse("2026-01-05T10:00:00.123Z")}:/usr/bin/curl`,
    );
  });

  it("accepts pids as numeric strings", () => {
    const value = elasticAgentExec();
    const proc = value["process"] as Record<string, unknown>;
    proc["pid"] = "4242";
    (proc["parent"] as Record<string, unknown>)["pid"] = "4241";
    expect(eventOf(value).process).toMatchObject({ pid: 4242, ppid: 4241 });
  });

  it("keeps an exec without a parent pid, with ppid 0 and no parent", () => {
    const value = elasticAgentExec();
    delete (value["process"] as Record<string, unknown>)["parent"];
    const event = eventOf(value);
    expect(event.process.ppid).toBe(0);
    expect(event.parent).toBeUndefined();
  });

  it("flags args cut by the agent (args_count larger than args)", () => {
    const value = elasticAgentExec();
    (value["process"] as Record<string, unknown>)["args_count"] = 40;
    expect(eventOf(value).process.argsTruncated).toBe(true);
  });

  const many = Array.from({ length: MAX_ARGS + 8 }, (_, i) => `f${i}`);
  it.each([
    ["strings as they are", ["curl", "-s"], ["curl", "-s"], undefined],
    ["numbers as text", ["sleep", 5, "x"], ["sleep", "5", "x"], undefined],
    ["the first MAX_ARGS, flagged", many, many.slice(0, MAX_ARGS), true],
    ["numbers past the cut ignored", [...many, 7], many.slice(0, MAX_ARGS), true],
    ["numbers before the cut as text", [3, ...many], ["3", ...many.slice(0, MAX_ARGS - 1)], true],
  ])("reads process.args: %s", (_, args, expected, truncated) => {
    const value = elasticAgentExec();
    (value["process"] as Record<string, unknown>)["args"] = args;
    delete (value["process"] as Record<string, unknown>)["args_count"];
    const process = eventOf(value).process;
    expect(process.args).toEqual(expected);
    expect(process.argsTruncated).toBe(truncated);
  });

  it("uses process.name when there is no executable", () => {
    const value = elasticAgentExec();
    delete (value["process"] as Record<string, unknown>)["executable"];
    expect(eventOf(value).process.executable).toBe("curl");
  });

  it.each([
    ["exec", ["start"], "event"],
    ["executed", undefined, "event"],
    ["execve", undefined, "event"],
    ["process_started", ["start"], "event"],
    ["start", ["start"], "event"],
    [undefined, ["start"], "event"],
    ["fork", ["start"], "skipped"],
    ["end", ["end"], "skipped"],
    ["connection_attempted", ["start"], "skipped"],
    ["creation", ["creation"], "skipped"],
  ])("event.action %s, event.type %j → %s", (action, type, kind) => {
    const value = elasticAgentExec();
    const event: Record<string, unknown> = { id: "x" };
    if (action !== undefined) event["action"] = action;
    if (type !== undefined) event["type"] = type;
    // Network and file events carry other categories.
    event["category"] =
      action === "connection_attempted" ? ["network"] : action === "creation" ? ["file"] : ["process"];
    value["event"] = event;
    expect(decode(value).kind).toBe(kind);
  });

  it("skips an exec whose outcome is a failure", () => {
    const value = elasticAgentExec();
    (value["event"] as Record<string, unknown>)["outcome"] = "failure";
    expect(decode(value)).toMatchObject({ kind: "skipped", reason: "ecs: failed execve" });
  });

  it("matches ECS process documents only", () => {
    expect(ecsDecoder.matches({ process: { pid: 1 } })).toBe(false);
    expect(ecsDecoder.matches({ process: "x", event: {} })).toBe(false);
    expect(ecsDecoder.matches({ ID: "1.000:1", SYSCALL: {} })).toBe(false);
    expect(ecsDecoder.matches({ process: {}, ecs: { version: "8" } })).toBe(true);
  });
});

describe("ecsDecoder on hostile data", () => {
  const withProcess = (edit: (proc: Record<string, unknown>) => void): unknown => {
    const value = elasticAgentExec();
    edit(value["process"] as Record<string, unknown>);
    return value;
  };

  let deep: unknown = "bottom";
  for (let i = 0; i < 100_000; i++) deep = i % 2 === 0 ? { process: deep } : [deep];

  it.each([
    ["not an object", "exec", "ecs: record is not a JSON object"],
    ["process missing", { event: { action: "exec" } }, "ecs: process is missing"],
    ["process an array", { event: { action: "exec" }, process: [] }, "ecs: process is not an object"],
    ["event a string", { event: "exec", process: { pid: 1 } }, "ecs: event is not an object"],
    ["pid an object", withProcess((p) => (p["pid"] = { value: 1 })), "ecs: process.pid is not a number"],
    ["pid a fraction", withProcess((p) => (p["pid"] = 1.5)), "ecs: process.pid is not a number"],
    [
      "pid a huge string",
      withProcess((p) => (p["pid"] = "9".repeat(5000))),
      "ecs: process.pid is not a number",
    ],
    ["pid missing", withProcess((p) => delete p["pid"]), "ecs: process.pid is missing"],
    ["parent a string", withProcess((p) => (p["parent"] = "bash")), "ecs: process.parent is not an object"],
    [
      "parent pid an array",
      withProcess((p) => (p["parent"] = { pid: [1] })),
      "ecs: process.parent.pid is not a number",
    ],
    ["args not an array", withProcess((p) => (p["args"] = "curl -s")), "ecs: process.args is not an array"],
    [
      "args holding an object",
      withProcess((p) => (p["args"] = ["curl", {}])),
      "ecs: process.args[1] is not a string",
    ],
    [
      "executable a number",
      withProcess((p) => (p["executable"] = 7)),
      "ecs: process.executable is not a string",
    ],
    [
      "no executable at all",
      withProcess((p) => {
        delete p["executable"];
        delete p["name"];
      }),
      "ecs: process.executable is missing",
    ],
    ["deeply nested args", withProcess((p) => (p["args"] = deep)), "ecs: process.args[0] is not a string"],
    ["deeply nested process", { event: { action: "exec" }, process: deep }, "ecs: process is not an object"],
    [
      "deeply nested parent",
      withProcess((p) => (p["parent"] = { pid: deep, executable: deep })),
      "ecs: process.parent.pid is not a number",
    ],
    ["garbage time", { ...elasticAgentExec(), "@timestamp": "yesterday" }, "ecs: @timestamp is not a date"],
  ])("%s → malformed", (_name, value, reason) => {
    expect(decode(value)).toMatchObject({ kind: "malformed", reason });
  });

  it("ignores optional fields of the wrong type", () => {
    const value = elasticAgentExec();
    value["host"] = "web-1";
    value["container"] = { id: 5 };
    value["user"] = { id: { uid: 0 }, name: ["root"] };
    const proc = value["process"] as Record<string, unknown>;
    proc["working_directory"] = 1;
    proc["start"] = "not a date";
    proc["entity_id"] = {};
    proc["parent"] = { pid: 4241, executable: 3, args: "x", entity_id: [] };
    const event = eventOf(value);
    expect(event.host).toEqual({ name: "stream-host" });
    expect(event.container).toBeUndefined();
    expect(event.user).toEqual({});
    expect(event.process.cwd).toBeUndefined();
    expect(event.process.start).toBeUndefined();
    expect(event.process.entityId).toBeUndefined();
    expect(event.parent).toEqual({ pid: 4241 });
  });

  it("never throws, whatever the value", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(["event", "skipped", "malformed"]).toContain(decode(value).kind);
      }),
    );
  });

  it("never throws when any process field holds anything", () => {
    const keys = Object.keys(elasticAgentExec()["process"] as object);
    fc.assert(
      fc.property(fc.constantFrom(...keys, "ppid", "exe", "title"), fc.anything(), (key, junk) => {
        const value = withProcess((p) => (p[key] = junk));
        expect(["event", "skipped", "malformed"]).toContain(decode(value).kind);
      }),
    );
  });
});
