import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DecodeOutput, RawRecord } from "../../../lib/telemetry/decoder.js";
import type { ExecEvent } from "../../../lib/telemetry/exec-event.js";
import {
  NATIVE_SCHEMA_ID,
  nativeDecoder,
  nativeExecEventSchema,
} from "../../../lib/telemetry/sources/native.js";

const ctx = { defaultHost: "unused" };
const record = (value: unknown): RawRecord => ({ text: JSON.stringify(value) ?? "", line: 7 });
const decode = (value: unknown): DecodeOutput => nativeDecoder.decode(value, record(value), ctx);

/** A complete event in the native schema, every optional field set. */
const fullEvent = (): Record<string, unknown> & ExecEvent => ({
  schema: NATIVE_SCHEMA_ID,
  host: { name: "web-1", id: "i-0abc" },
  container: { id: "4f1a9c", image: "nginx:1.27" },
  user: { id: "33", name: "www-data" },
  process: {
    pid: 4242,
    ppid: 4241,
    executable: "/usr/bin/curl",
    invokedPath: "/usr/local/bin/curl",
    args: ["curl", "-s", "http://198.51.100.7/x"],
    argsTruncated: true,
    cwd: "/var/www",
    start: 1767607199000,
    entityId: "web-1:4242:1767607199000",
    script: "/tmp/run.sh",
  },
  parent: { pid: 4241, executable: "/tmp/.k", args: ["/tmp/.k"], entityId: "web-1:4241" },
  ancestors: [
    { pid: 1200, executable: "/usr/sbin/nginx", args: ["nginx: worker process"] },
    { executable: "/sbin/init" },
  ],
  time: 1767607200123,
  source: { format: "native", eventId: "web-1:4242:1767607200123" },
});

const minimalEvent = (): Record<string, unknown> => ({
  schema: NATIVE_SCHEMA_ID,
  time: 1767607200123,
  source: { eventId: "e-1" },
  host: { name: "web-1" },
  process: { pid: 10, ppid: 1, executable: "/usr/bin/dig", args: ["dig", "example.org"] },
});

describe("nativeDecoder", () => {
  it("round-trips a complete event", () => {
    const value = fullEvent();
    const out = decode(JSON.parse(JSON.stringify(value)));
    const { schema: _schema, ...expected } = value;
    expect(out).toEqual({ kind: "event", event: expected, line: 7 });
  });

  it("round-trips a minimal event, user defaulting to empty", () => {
    expect(decode(minimalEvent())).toEqual({
      kind: "event",
      line: 7,
      event: {
        host: { name: "web-1" },
        user: {},
        process: { pid: 10, ppid: 1, executable: "/usr/bin/dig", args: ["dig", "example.org"] },
        time: 1767607200123,
        source: { format: "native", eventId: "e-1" },
      },
    });
  });

  it("round-trips the audit login uid and session", () => {
    const value = minimalEvent();
    value["user"] = { id: "0", auditId: "1001" };
    (value["process"] as Record<string, unknown>)["sessionId"] = "11";
    const out = decode(JSON.parse(JSON.stringify(value)));
    expect(out.kind).toBe("event");
    if (out.kind !== "event") return;
    expect(out.event.user).toEqual({ id: "0", auditId: "1001" });
    expect(out.event.process).toEqual({
      pid: 10,
      ppid: 1,
      executable: "/usr/bin/dig",
      args: ["dig", "example.org"],
      sessionId: "11",
    });
  });

  it.each([
    ["2026-01-05T10:00:00.123Z", Date.UTC(2026, 0, 5, 10, 0, 0, 123)],
    ["2026-01-05T12:00:00.123+02:00", Date.UTC(2026, 0, 5, 10, 0, 0, 123)],
    ["2026-01-05T10:00:00Z", Date.UTC(2026, 0, 5, 10, 0, 0)],
  ])("reads the ISO-8601 time %s", (time, expected) => {
    const out = decode({ ...minimalEvent(), time });
    expect(out.kind === "event" && out.event.time).toBe(expected);
  });

  it("reads an ISO-8601 process start", () => {
    const value = minimalEvent();
    (value["process"] as Record<string, unknown>)["start"] = "2026-01-05T10:00:00Z";
    const out = decode(value);
    expect(out.kind === "event" && out.event.process.start).toBe(Date.UTC(2026, 0, 5, 10, 0, 0));
  });

  it("forces the source format and ignores unknown keys", () => {
    const value = {
      ...minimalEvent(),
      source: { eventId: "e-2", format: "laurel", extra: 1 },
      producer: { name: "my-agent" },
      process: { pid: 10, ppid: 1, executable: "/usr/bin/dig", args: [], inode: 99 },
    };
    const out = decode(value);
    expect(out.kind).toBe("event");
    if (out.kind !== "event") return;
    expect(out.event.source).toEqual({ format: "native", eventId: "e-2" });
    expect(out.event).not.toHaveProperty("producer");
    expect(out.event.process).not.toHaveProperty("inode");
  });

  it("matches only records carrying the marker", () => {
    expect(nativeDecoder.matches(minimalEvent())).toBe(true);
    expect(nativeDecoder.matches({ ...minimalEvent(), schema: "netutil-detector/exec@2" })).toBe(false);
    expect(nativeDecoder.matches({ process: {}, "@timestamp": "x" })).toBe(false);
    expect(nativeDecoder.matches([NATIVE_SCHEMA_ID])).toBe(false);
    expect(nativeDecoder.matches(null)).toBe(false);
  });

  it("exports the schema for producers to validate against", () => {
    expect(nativeExecEventSchema.safeParse(minimalEvent()).success).toBe(true);
  });
});

/** A minimal event open to any edit, as a producer bug would make it. */
interface Draft {
  [key: string]: unknown;
  process: Record<string, unknown>;
  host: Record<string, unknown>;
}

describe("nativeDecoder on invalid events", () => {
  const edit = (change: (value: Draft) => void): unknown => {
    const value = minimalEvent() as Draft;
    change(value);
    return value;
  };

  it.each([
    [
      "pid as a string",
      edit((v) => (v.process.pid = "10")),
      ["process.pid: expected number, received string"],
    ],
    ["negative ppid", edit((v) => (v.process.ppid = -1)), ["process.ppid:"]],
    ["fractional pid", edit((v) => (v.process.pid = 1.5)), ["process.pid: expected int"]],
    ["missing executable", edit((v) => delete v.process.executable), ["process.executable: expected string"]],
    ["empty executable", edit((v) => (v.process.executable = "")), ["process.executable:"]],
    [
      "args not an array",
      edit((v) => (v.process.args = "dig example.org")),
      ["process.args: expected array"],
    ],
    ["an arg not a string", edit((v) => (v.process.args = ["dig", 5])), ["process.args[1]: expected string"]],
    ["too many args", edit((v) => (v.process.args = Array(4097).fill("a"))), ["process.args: Too big"]],
    ["an arg too long", edit((v) => (v.process.args = ["a".repeat(131_073)])), ["process.args[0]: Too big"]],
    ["path too long", edit((v) => (v.process.cwd = `/${"a".repeat(4096)}`)), ["process.cwd: Too big"]],
    [
      "null optional field",
      edit((v) => (v.process.cwd = null)),
      ["process.cwd: expected string, received null"],
    ],
    [
      "time garbage",
      edit((v) => (v.time = "yesterday")),
      ["time: expected epoch ms or an ISO-8601 date-time"],
    ],
    ["time without zone", edit((v) => (v.time = "2026-01-05T10:00:00")), ["time: expected epoch ms"]],
    ["time negative", edit((v) => (v.time = -5)), ["time: Too small"]],
    ["time missing", edit((v) => delete v.time), ["time: expected epoch ms"]],
    ["event id missing", edit((v) => (v.source = {})), ["source.eventId: expected string"]],
    ["source missing", edit((v) => delete v.source), ["source: expected object"]],
    ["host missing", edit((v) => Reflect.deleteProperty(v, "host")), ["host: expected object"]],
    ["host name empty", edit((v) => (v.host.name = "")), ["host.name:"]],
    ["container without id", edit((v) => (v.container = { image: "x" })), ["container.id: expected string"]],
    ["user id a number", edit((v) => (v.user = { id: 33 })), ["user.id: expected string, received number"]],
    [
      "parent without pid",
      edit((v) => (v.parent = { executable: "/bin/sh" })),
      ["parent.pid: expected number"],
    ],
    [
      "ancestor without executable",
      edit((v) => (v.ancestors = [{ executable: "/bin/sh" }, { pid: 1 }])),
      ["ancestors[1].executable: expected string"],
    ],
    [
      "wrong marker",
      edit((v) => (v.schema = "netutil-detector/exec@2")),
      ['schema: expected "netutil-detector/exec@1"'],
    ],
    [
      "several bad paths at once",
      edit((v) => {
        v.process.pid = "x";
        v.time = "soon";
      }),
      ["process.pid: expected number", "time: expected epoch ms"],
    ],
    ["not an object", ["schema"], ["record: expected object, received array"]],
  ])("%s → malformed naming the path", (_name, value, fragments) => {
    const out = decode(value);
    expect(out.kind).toBe("malformed");
    if (out.kind !== "malformed") return;
    expect(out.reason.startsWith("native: ")).toBe(true);
    for (const fragment of fragments) expect(out.reason).toContain(fragment);
    expect(out.raw).toBe(JSON.stringify(value));
    expect(out.line).toBe(7);
  });

  it("keeps the reason short when everything is wrong", () => {
    const out = decode({
      schema: 1,
      time: {},
      source: 2,
      host: 3,
      process: 4,
      user: 5,
      parent: 6,
      ancestors: 7,
    });
    expect(out.kind === "malformed" && out.reason).toMatch(/; … \d+ more$/);
  });

  it("never throws, whatever the value", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(["event", "malformed"]).toContain(decode(value).kind);
      }),
    );
  });
});
