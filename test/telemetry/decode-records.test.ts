import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createRecordDecoder } from "../../lib/telemetry/decode-records.js";
import type { DecodeOutput } from "../../lib/telemetry/decoder.js";
import type { InputFormat } from "../../lib/telemetry/input-format.js";
import { alertSummary, replayText as run } from "../helpers/replay-text.js";
import { CAPTURED_ALERTS, CAPTURED_AUDITD, CAPTURED_LAUREL, readSample } from "../helpers/samples.js";

const lines = (sample: string) =>
  readSample(sample)
    .split("\n")
    .filter((l) => l.length > 0);

describe("--format auto", () => {
  it("mixes auditd and laurel lines in one input", async () => {
    const { alerts, summary } = await run(
      `${lines(CAPTURED_AUDITD).join("\n")}\n${lines(CAPTURED_LAUREL).join("\n")}\n`,
    );
    expect(summary.counters.malformed).toBe(0);
    expect(summary.counters.execEvents).toBe(54);
    // The same two attacks seen by both sources on one host: dedup keeps one alert each.
    expect(alerts.map((a) => a.utility.name)).toEqual(["nslookup", "curl"]);
  });

  it.each([
    ["Fluent Bit / Fluentd", "log"],
    ["CloudWatch agent export", "message"],
  ])('unwraps a %s wrapper around the raw line ({"%s": …})', async (_name, key) => {
    const wrapped = lines(CAPTURED_AUDITD).map((line) =>
      JSON.stringify({ [key]: line, source: "/var/log/audit/audit.log" }),
    );
    const { alerts, summary } = await run(`${wrapped.join("\n")}\n`);
    expect(summary.counters.malformed).toBe(0);
    expect(alertSummary(alerts)).toEqual(CAPTURED_ALERTS);
  });

  it("unwraps once: a wrapper of a wrapper is malformed, not a loop", async () => {
    const twice = JSON.stringify({ log: JSON.stringify({ log: "type=EOE msg=audit(1.000:1):" }) });
    const { summary } = await run(`${twice}\n`);
    expect(summary.counters.malformed).toBe(1);
    expect(summary.malformed[0]!.reason).toMatch(/no known format/);
  });
});

/** Every output of `lines` pushed through one record decoder, then flushed. */
function decodeLines(format: InputFormat, lines: readonly string[]): DecodeOutput[] {
  const decoder = createRecordDecoder(format, { defaultHost: "vm" });
  const out: DecodeOutput[] = [];
  lines.forEach((text, i) => {
    decoder.push({ text, line: i + 1 }, out);
  });
  decoder.flush(out);
  return out;
}

const kinds = (out: readonly DecodeOutput[]) => out.map((o) => o.kind);
const TIME_RANGE = "0..9223372036854 (epoch ms, 1970-01-01 to 2262-04-11)";

describe("values out of range (event-bounds.ts) make their one event malformed", () => {
  const ecsLine = (fields: Record<string, unknown>) =>
    JSON.stringify({
      "@timestamp": "2026-01-05T10:00:00.200Z",
      event: { kind: "event", category: ["process"], type: ["start"], action: "exec" },
      host: { name: "node-a" },
      process: {
        pid: 201,
        executable: "/usr/bin/curl",
        args: ["curl", "http://192.0.2.10/x"],
        parent: { pid: 1 },
      },
      ...fields,
    });

  it.each(["auto", "ecs"] as const)(
    "%s: an ECS @timestamp of 1e300 (the issue's DynamoDB Number overflow), next to a valid line",
    (format) => {
      const poison = ecsLine({ "@timestamp": 1e300 });
      expect(poison).toContain('"@timestamp":1e+300');
      const out = decodeLines(format, [poison, ecsLine({})]);
      expect(kinds(out)).toEqual(["malformed", "event"]);
      expect(out[0]).toEqual({
        kind: "malformed",
        line: 1,
        reason: `ecs: invalid value: time 1e+300 is outside ${TIME_RANGE}`,
        raw: poison,
      });
      expect(out[1]).toMatchObject({
        kind: "event",
        line: 2,
        event: { time: Date.parse("2026-01-05T10:00:00.200Z") },
      });
    },
  );

  it.each([
    [
      "an ISO date past the kernel's clock",
      { "@timestamp": "+275760-09-13T00:00:00.000Z" },
      "time 8640000000000000 is",
    ],
    ["an ISO date before the epoch", { "@timestamp": "1969-12-31T23:59:59.999Z" }, "time -1 is outside"],
    [
      "process.start 1e300",
      { process: { pid: 5, executable: "/x", start: 1e300 } },
      "process.start 1e+300 is",
    ],
    ["a pid past pid_t", { process: { pid: 2 ** 31, executable: "/x" } }, "process.pid 2147483648 is"],
    [
      "an unsafe pid string",
      { process: { pid: "9999999999999999", executable: "/x" } },
      "process.pid 10000000000000000",
    ],
    [
      "a parent pid past pid_t",
      { process: { pid: 5, executable: "/x", parent: { pid: 1e15 } } },
      "process.ppid 1000000000000000",
    ],
    [
      "a lone low surrogate in the user id",
      { user: { id: "\udc00" } },
      'user.id "\\udc00" is not well-formed',
    ],
    [
      "a lone surrogate in the host name",
      { host: { name: "web\ud800" } },
      'host.name "web\\ud800" is not well-formed',
    ],
  ])("ecs: %s", (_name, fields, reason) => {
    const out = decodeLines("ecs", [ecsLine(fields)]);
    expect(out).toHaveLength(1);
    expect(out[0]!.kind).toBe("malformed");
    expect(out[0]!.kind === "malformed" && out[0]!.reason).toMatch(`ecs: invalid value: ${reason}`);
  });

  it.each(["auto", "native", "ecs", "tetragon", "falco", "datadog", "ocsf"] as const)(
    "%s: a lone surrogate in an argument (JSON \\ud800)",
    (format) => {
      const lines = readFileSync(new URL(`../fixtures/${FIXTURE_OF[format]}`, import.meta.url), "utf8")
        .split("\n")
        .filter((l) => l.length > 0);
      // The first line that decodes to an event, with `\ud800` appended to its last argument in the raw JSON.
      const index = decodeLines(format, lines).findIndex(
        (o) => o.kind === "event" && o.event.process.args.length > 0,
      );
      expect(index).toBeGreaterThanOrEqual(0);
      const good = decodeLines(format, [lines[index]!])[0]!;
      if (good.kind !== "event") throw new Error("not an event");
      const arg = good.event.process.args.at(-1)!;
      const poison = lines[index]!.replace(
        JSON.stringify(arg).slice(1, -1),
        `${JSON.stringify(arg).slice(1, -1)}\\ud800`,
      );
      expect(poison).not.toBe(lines[index]);
      const out = decodeLines(format, [poison, lines[index]!]);
      expect(kinds(out)).toEqual(["malformed", "event"]);
      expect(out[0]).toMatchObject({ line: 1, raw: poison });
      expect(out[0]!.kind === "malformed" && out[0]!.reason).toMatch(
        new RegExp(
          `^${format === "auto" ? "[a-z]+" : format}: invalid value: process\\.args\\[\\d+\\] ".*\\\\ud800.*" is not well-formed Unicode \\(lone surrogate at index \\d+\\)$`,
        ),
      );
    },
  );

  it("laurel: an audit timestamp out of range (ID 99999999999999.000:1), next to a valid line", () => {
    const valid = lines(CAPTURED_LAUREL)[0]!;
    const id = (JSON.parse(valid) as { ID: string }).ID;
    const poison = valid.replace(`"ID":"${id}"`, '"ID":"99999999999999.000:1"');
    expect(poison).not.toBe(valid);
    for (const format of ["auto", "laurel"] as const) {
      const out = decodeLines(format, [poison, valid]);
      expect(kinds(out)).toEqual(["malformed", "event"]);
      expect(out[0]).toEqual({
        kind: "malformed",
        line: 1,
        reason: `laurel: invalid value: time 99999999999999000 is outside ${TIME_RANGE}`,
        raw: poison,
      });
    }
    // An audit serial past 2^53 (16 digits) would compare equal to its neighbours.
    const serial = valid.replace(`"ID":"${id}"`, `"ID":"${id.split(":")[0]}:9999999999999999"`);
    expect(decodeLines("laurel", [serial])[0]).toMatchObject({
      kind: "malformed",
      reason:
        "laurel: invalid value: source.sequence 10000000000000000 is outside 0..9007199254740991 (an exact integer)",
    });
  });

  /** One execve as auditd logs it, every record under msg=audit(STAMP:SERIAL). */
  const auditdEvent = (stamp: string, serial: number, pid = "4242") => [
    `type=SYSCALL msg=audit(${stamp}:${serial}): arch=c000003e syscall=59 success=yes exit=0 items=1 ppid=4241 pid=${pid} auid=1000 uid=0 ses=3 comm="curl" exe="/usr/bin/curl"`,
    `type=EXECVE msg=audit(${stamp}:${serial}): argc=2 a0="curl" a1="http://x"`,
    `type=CWD msg=audit(${stamp}:${serial}): cwd="/tmp"`,
    `type=PATH msg=audit(${stamp}:${serial}): item=0 name="/usr/bin/curl"`,
    `type=PROCTITLE msg=audit(${stamp}:${serial}): proctitle=6375726C00687474703A2F2F78`,
    `type=EOE msg=audit(${stamp}:${serial}):`,
  ];

  it.each(["auto", "auditd"] as const)(
    "%s: an audit timestamp out of range sets its lines aside, the next event still decodes",
    (format) => {
      const poison = auditdEvent("999999999999.000", 1);
      const out = decodeLines(format, [...poison, ...auditdEvent("1795822038.612", 2)]);
      expect(kinds(out)).toEqual([...poison.map(() => "malformed"), "event"]);
      expect(out[0]).toEqual({
        kind: "malformed",
        line: 1,
        reason: `msg=audit(…) header: time 999999999999000 is outside ${TIME_RANGE}`,
        raw: poison[0],
      });
      expect(out.at(-1)).toMatchObject({
        kind: "event",
        event: { time: 1795822038612, process: { pid: 4242 } },
      });
    },
  );

  it("auditd: a pid past pid_t sets its SYSCALL line aside; the event, without it, is not an exec", () => {
    const poison = auditdEvent("1795822038.612", 1, "9999999999");
    const out = decodeLines("auditd", poison);
    expect(out[0]).toEqual({
      kind: "malformed",
      line: 1,
      reason: "SYSCALL record: pid 9999999999 is outside 0..2147483647",
      raw: poison[0],
    });
    expect(out.filter((o) => o.kind === "event")).toEqual([]);
  });

  it("auditd: a line that came through JSON with a lone surrogate is set aside whole", () => {
    const event = auditdEvent("1795822038.612", 1);
    event[1] = `type=EXECVE msg=audit(1795822038.612:1): argc=2 a0="curl" a1="http://x\ud800"`;
    const wrapped = event.map((line) => JSON.stringify({ log: line }));
    const out = decodeLines("auto", wrapped);
    expect(out.filter((o) => o.kind === "malformed")).toEqual([
      {
        kind: "malformed",
        line: 2,
        reason: "not well-formed Unicode: a lone surrogate at column 71",
        raw: event[1],
      },
    ]);
    // The event completes without the line, its arguments marked incomplete.
    expect(out.find((o) => o.kind === "event")).toMatchObject({
      event: { process: { argsTruncated: true } },
    });
  });

  it("auditd: a host the decoder was given empty makes the event malformed, at the event's line", () => {
    const decoder = createRecordDecoder("auditd", { defaultHost: "" });
    const out: DecodeOutput[] = [];
    auditdEvent("1795822038.612", 1).forEach((text, i) => {
      decoder.push({ text, line: i + 1 }, out);
    });
    decoder.flush(out);
    expect(out).toEqual([
      { kind: "malformed", line: 1, reason: "auditd: invalid value: host.name is empty", raw: "" },
    ]);
  });

  it("osquery: one row out of range in a batch line costs that row only", () => {
    const row = (pid: string) => ({
      pid,
      parent: "1",
      path: "/usr/bin/dig",
      cmdline: "dig x.example",
      time: "1764237610",
    });
    const line = JSON.stringify({
      name: "process_events",
      hostIdentifier: "web-01",
      unixTime: "1764237610",
      diffResults: { added: [row("4101"), row("99999999999"), row("4102")], removed: [] },
    });
    const out = decodeLines("osquery", [line]);
    expect(kinds(out)).toEqual(["event", "malformed", "event"]);
    expect(out[1]).toEqual({
      kind: "malformed",
      line: 1,
      reason: "osquery: invalid value: process.pid 99999999999 is outside 0..2147483647",
      raw: line,
    });
  });

  it("tetragon: a process exit out of range is malformed, not an eviction", () => {
    const exit = JSON.parse(readSample("upstream/tetragon/isovalent-book_nc_process_exit.json")) as {
      process_exit: { process: { pid: number } };
    };
    exit.process_exit.process.pid = 2 ** 32;
    const line = JSON.stringify(exit);
    const out = decodeLines("tetragon", [line]);
    expect(out).toEqual([
      {
        kind: "malformed",
        line: 1,
        reason: "tetragon: invalid value: exit.pid 4294967296 is outside 0..2147483647",
        raw: line,
      },
    ]);
  });

  it("replay: the 1e300 event is set aside and the valid alert after it is still raised", async () => {
    const bash = ecsLine({
      "@timestamp": "2026-01-05T10:00:00.100Z",
      process: { pid: 100, executable: "/usr/bin/bash", args: ["bash", "/tmp/x.sh"], parent: { pid: 1 } },
    });
    const curl = (pid: number, stamp: unknown) =>
      ecsLine({
        "@timestamp": stamp,
        process: {
          pid,
          executable: "/usr/bin/curl",
          args: ["curl", "http://192.0.2.10/x"],
          parent: { pid: 100 },
        },
      });
    const { alerts, summary } = await run(
      `${[bash, curl(201, 1e300), curl(202, "2026-01-05T10:00:00.300Z")].join("\n")}\n`,
    );
    expect(summary.counters.malformed).toBe(1);
    expect(summary.malformed[0]!.reason).toBe(`ecs: invalid value: time 1e+300 is outside ${TIME_RANGE}`);
    expect(alerts.map((a) => a.process.pid)).toEqual([202]);
  });
});

/** A fixture of whole exec events per JSON format. */
const FIXTURE_OF = {
  auto: "parent-cwd/ecs.jsonl",
  ecs: "parent-cwd/ecs.jsonl",
  native: "parent-cwd/native.jsonl",
  tetragon: "chains/tetragon.jsonl",
  falco: "chains/falco.jsonl",
  datadog: "chains/datadog.jsonl",
  ocsf: "chains/ocsf.jsonl",
} as const;
