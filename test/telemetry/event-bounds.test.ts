import { describe, expect, it } from "vitest";
import type { ProcessExit } from "../../lib/telemetry/decoder.js";
import {
  eventOutOfBounds,
  exitOutOfBounds,
  HOST_MAX_CHARS,
  loneSurrogateAt,
  PID_MAX,
  SEQUENCE_MAX,
  TIME_MAX_MS,
} from "../../lib/telemetry/event-bounds.js";
import type { ExecEvent } from "../../lib/telemetry/exec-event.js";

/** An event with every field the bounds look at, each well inside its range. */
const valid = (): ExecEvent => ({
  host: { name: "web-01", id: "8f14e45fceea167a5a36dedd4bea2543" },
  container: { id: "c0ffee", image: "nginx:1.27" },
  user: { id: "33", name: "www-data", auditId: "1000" },
  process: {
    pid: 4242,
    ppid: 4241,
    executable: "/usr/bin/curl",
    invokedPath: "/usr/local/bin/curl",
    args: ["curl", "http://198.51.100.7/x"],
    cwd: "/var/www",
    start: 1_700_000_000_000,
    entityId: "web-01:4242",
    script: "/tmp/x.sh",
    sessionId: "4294967295",
  },
  parent: { pid: 4241, executable: "/bin/sh", args: ["sh", "/tmp/x.sh"], cwd: "/tmp", entityId: "p" },
  ancestors: [
    { pid: 100, executable: "/usr/sbin/apache2", args: ["apache2"], cwd: "/" },
    { pid: 1, executable: "/sbin/init" },
  ],
  time: 1_700_000_000_123,
  source: { format: "native", eventId: "web-01:4242:7", sequence: 7 },
});

type Change = (e: ExecEvent) => void;

/** Sets the value at a dotted path of the event (`process.args.1`). */
const at =
  (path: string, value: unknown): Change =>
  (e) => {
    const keys = path.split(".");
    let holder = e as unknown as Record<string, unknown>;
    for (const key of keys.slice(0, -1)) holder = holder[key] as Record<string, unknown>;
    holder[keys.at(-1)!] = value;
  };

const LONE = "\ud800";
const PAIR = "\ud83d\ude00"; // 😀: two code units, one well-formed code point

/** [case, change, the reason's start or undefined when the event stays in bounds]. */
const EVENT_CASES: readonly [string, Change, string | undefined][] = [
  // time: the Linux clock's range, both ends.
  ["time at the epoch", at("time", 0), undefined],
  ["time before the epoch", at("time", -1), "time -1 is outside 0..9223372036854"],
  ["time at the kernel's last instant", at("time", TIME_MAX_MS), undefined],
  ["time past the kernel's last instant", at("time", TIME_MAX_MS + 1), "time 9223372036855 is"],
  ["time past a Date's range", at("time", 8.64e15 + 1), "time 8640000000000001 is"],
  ["time 1e300", at("time", 1e300), "time 1e+300 is outside"],
  ["time NaN", at("time", Number.NaN), "time NaN is outside"],
  ["time Infinity", at("time", Number.POSITIVE_INFINITY), "time Infinity is outside"],
  ["process.start at the epoch", at("process.start", 0), undefined],
  ["process.start before the epoch", at("process.start", -5), "process.start -5 is outside"],
  ["process.start at the end", at("process.start", TIME_MAX_MS), undefined],
  ["process.start past the end", at("process.start", 1e16), "process.start 10000000000000000"],
  // pids: pid_t's range.
  ["process.pid 0", at("process.pid", 0), undefined],
  ["process.pid -1", at("process.pid", -1), "process.pid -1 is outside 0..2147483647"],
  ["process.pid at pid_t's max", at("process.pid", PID_MAX), undefined],
  ["process.pid past pid_t's max", at("process.pid", PID_MAX + 1), "process.pid 2147483648 is"],
  ["process.pid fractional", at("process.pid", 1.5), "process.pid 1.5 is outside"],
  ["process.pid unsafe", at("process.pid", 2 ** 53 + 2), "process.pid 9007199254740994"],
  ["process.ppid 0 (unknown)", at("process.ppid", 0), undefined],
  ["process.ppid too large", at("process.ppid", 1e300), "process.ppid 1e+300 is outside"],
  ["parent.pid at max", at("parent.pid", PID_MAX), undefined],
  ["parent.pid negative", at("parent.pid", -2), "parent.pid -2 is outside"],
  ["ancestor pid at max", at("ancestors.1.pid", PID_MAX), undefined],
  ["ancestor pid too large", at("ancestors.1.pid", 2 ** 32), "ancestors[1].pid 4294967296 is"],
  // source.sequence: any exact non-negative integer.
  ["sequence 0", at("source.sequence", 0), undefined],
  ["sequence -1", at("source.sequence", -1), "source.sequence -1 is outside"],
  ["sequence at 2^53 - 1", at("source.sequence", SEQUENCE_MAX), undefined],
  ["sequence at 2^53", at("source.sequence", 2 ** 53), "source.sequence 9007199254740992 is"],
  ["sequence fractional", at("source.sequence", 0.5), "source.sequence 0.5 is outside"],
  // host: named, and no longer than any host name or its stand-ins.
  ["host.name of one character", at("host.name", "a"), undefined],
  ["host.name empty", at("host.name", ""), "host.name is empty"],
  ["host.name at the cap", at("host.name", "h".repeat(HOST_MAX_CHARS)), undefined],
  [
    "host.name over the cap",
    at("host.name", "h".repeat(HOST_MAX_CHARS + 1)),
    "host.name is 1025 characters long (max 1024)",
  ],
  ["host.id empty", at("host.id", ""), undefined],
  ["host.id over the cap", at("host.id", "i".repeat(HOST_MAX_CHARS + 1)), "host.id is 1025"],
  ["host.name with a lone surrogate", at("host.name", `web${LONE}`), "host.name "],
  // strings: well-formed Unicode, every field that reaches a store or a formatter.
  ["an argument with a surrogate pair", at("process.args.1", `x${PAIR}y`), undefined],
  ["an argument with a lone high surrogate", at("process.args.1", LONE), "process.args[1] "],
  ["an argument with a lone low surrogate", at("process.args.0", "\udc00x"), "process.args[0] "],
  ["a reversed pair", at("process.args.1", "\ude00\ud83d"), "process.args[1] "],
  ["process.executable", at("process.executable", `/tmp/${LONE}`), "process.executable "],
  ["process.invokedPath", at("process.invokedPath", LONE), "process.invokedPath "],
  ["process.cwd", at("process.cwd", `/${LONE}`), "process.cwd "],
  ["process.entityId", at("process.entityId", LONE), "process.entityId "],
  ["process.script", at("process.script", LONE), "process.script "],
  ["process.sessionId", at("process.sessionId", LONE), "process.sessionId "],
  ["user.id", at("user.id", LONE), "user.id "],
  ["user.name", at("user.name", LONE), "user.name "],
  ["user.auditId", at("user.auditId", LONE), "user.auditId "],
  ["container.id", at("container.id", LONE), "container.id "],
  ["container.image", at("container.image", LONE), "container.image "],
  ["source.eventId", at("source.eventId", LONE), "source.eventId "],
  ["parent.executable", at("parent.executable", LONE), "parent.executable "],
  ["parent.args", at("parent.args", ["sh", "-c", LONE]), "parent.args[2] "],
  ["parent.cwd", at("parent.cwd", LONE), "parent.cwd "],
  ["parent.entityId", at("parent.entityId", LONE), "parent.entityId "],
  ["ancestor executable", at("ancestors.0.executable", LONE), "ancestors[0].executable "],
  ["ancestor args", at("ancestors.0.args", [LONE]), "ancestors[0].args[0] "],
  ["ancestor cwd", at("ancestors.1.cwd", LONE), "ancestors[1].cwd "],
];

describe("eventOutOfBounds", () => {
  it("passes an event with every field in range, and one with only the required fields", () => {
    expect(eventOutOfBounds(valid())).toBeUndefined();
    expect(
      eventOutOfBounds({
        host: { name: "h" },
        user: {},
        process: { pid: 1, ppid: 0, executable: "", args: [] },
        time: 0,
        source: { format: "auditd", eventId: "" },
      }),
    ).toBeUndefined();
  });

  it.each(EVENT_CASES)("%s", (_name, change, reason) => {
    const event = valid();
    change(event);
    const found = eventOutOfBounds(event);
    if (reason === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(new RegExp(`^${reason.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  });

  it("states the range of a time, with the dates it spans", () => {
    const event = valid();
    event.time = 1e300;
    expect(eventOutOfBounds(event)).toBe(
      "time 1e+300 is outside 0..9223372036854 (epoch ms, 1970-01-01 to 2262-04-11)",
    );
    expect(new Date(TIME_MAX_MS).toISOString()).toBe("2262-04-11T23:47:16.854Z");
  });

  it("shows a string inert: printable ASCII as is, every other code unit escaped, a window around the fault", () => {
    const event = valid();
    event.process.args[1] = `\u202e\u0007"\\${"a".repeat(100)}${LONE}${"b".repeat(100)}`;
    const reason = eventOutOfBounds(event)!;
    expect(reason).toBe(
      `process.args[1] "…${"a".repeat(24)}\\ud800${"b".repeat(23)}…" is not well-formed Unicode (lone surrogate at index 104)`,
    );
    event.process.args[1] = `\u202e\u0007"\\${LONE}`;
    expect(eventOutOfBounds(event)).toBe(
      'process.args[1] "\\u202e\\u0007\\u0022\\u005c\\ud800" is not well-formed Unicode (lone surrogate at index 4)',
    );
    // Nothing but printable ASCII, whatever the value held.
    expect(eventOutOfBounds(event)).toMatch(/^[\x20-\x7e…]*$/);
  });

  it("shows a long host name cut", () => {
    const event = valid();
    event.host.name = "\u0000".repeat(5000);
    const reason = eventOutOfBounds(event)!;
    expect(reason).toBe(`host.name is 5000 characters long (max 1024): "${"\\u0000".repeat(48)}…"`);
  });

  it("reports the first field out of range", () => {
    const event = valid();
    event.process.pid = -1;
    event.time = -1;
    expect(eventOutOfBounds(event)).toMatch(/^time -1/);
  });
});

const EXIT: ProcessExit = { host: "web-01", pid: 4242, time: 1_700_000_000_000, entityId: "x" };

const EXIT_CASES: readonly [string, Partial<ProcessExit>, string | undefined][] = [
  ["an exit in range", {}, undefined],
  ["exit.time at the epoch", { time: 0 }, undefined],
  ["exit.time before the epoch", { time: -1 }, "exit.time -1 is outside"],
  ["exit.time at the end", { time: TIME_MAX_MS }, undefined],
  ["exit.time 1e300", { time: 1e300 }, "exit.time 1e+300 is outside"],
  ["exit.pid at max", { pid: PID_MAX }, undefined],
  ["exit.pid past max", { pid: PID_MAX + 1 }, "exit.pid 2147483648 is outside"],
  ["exit.pid -1", { pid: -1 }, "exit.pid -1 is outside"],
  ["exit.host empty", { host: "" }, "exit.host is empty"],
  ["exit.host over the cap", { host: "h".repeat(HOST_MAX_CHARS + 1) }, "exit.host is 1025 characters"],
  ["exit.entityId lone surrogate", { entityId: LONE }, "exit.entityId "],
];

describe("exitOutOfBounds", () => {
  it.each(EXIT_CASES)("%s", (_name, change, reason) => {
    const found = exitOutOfBounds({ ...EXIT, ...change });
    if (reason === undefined) expect(found).toBeUndefined();
    else expect(found?.startsWith(reason), found).toBe(true);
  });
});

describe("loneSurrogateAt", () => {
  it.each([
    ["", -1],
    ["plain", -1],
    [PAIR, -1],
    [`a${PAIR}b${PAIR}`, -1],
    [LONE, 0],
    [`ab${LONE}`, 2],
    [`${PAIR}\udc00`, 2],
    ["\ud800\ud800\udc00", 0],
    ["x\udfff", 1],
  ])("%j → %i", (text, at) => {
    expect(loneSurrogateAt(text)).toBe(at);
  });
});
