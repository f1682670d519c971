import { deflateRawSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ProcessNode, type ProcessRecord, processKey } from "../../lib/lineage/process-record.js";
import {
  type DynamoItem,
  decodeRecord,
  encodeRecord,
  MAX_RECORD_JSON_BYTES,
  PACK_ABOVE_BYTES,
  pkOf,
  pkOfProcessKey,
  serializeRecord,
} from "../../lib/lineage/record-codec.js";

const node = (pid: number, overrides: Partial<ProcessNode> = {}): ProcessNode => ({
  pid,
  executable: `/usr/bin/p${pid}`,
  args: [`p${pid}`, "-x"],
  time: 1_700_000_000_000 + pid,
  chain: [],
  ...overrides,
});

const record = (overrides: Partial<ProcessRecord> = {}): ProcessRecord => ({
  host: "web-01",
  pid: 300,
  ppid: 200,
  start: 1_700_000_000_100,
  sessionId: "12",
  executable: "/usr/bin/curl",
  invokedPath: "curl",
  script: undefined,
  args: ["curl", "http://192.0.2.1/x"],
  cwd: "/tmp",
  time: 1_700_000_000_200,
  user: { id: "33", name: "www-data" },
  chain: [
    { executable: "/bin/sh", script: "/tmp/x.sh", args: ["/bin/sh", "/tmp/x.sh"], time: 1_700_000_000_150 },
  ],
  ancestors: [node(200, { script: "/tmp/x.sh", cwd: "/tmp", user: { id: "33" } }), node(100)],
  ...overrides,
});

const roundTrip = (r: ProcessRecord) =>
  decodeRecord(encodeRecord(r, 1_800_000_000), processKey(r.host, r.pid));
const jsonBytes = (r: ProcessRecord) => Buffer.byteLength(serializeRecord(r));

describe("record codec", () => {
  it("round-trips a record, keyed p|host|pid, with the TTL in epoch seconds", () => {
    const r = record();
    const item = encodeRecord(r, 1_800_000_000.7);
    expect(item["pk"]).toEqual({ S: "p|web-01|300" });
    expect(item["expiresAt"]).toEqual({ N: "1800000000" });
    expect(Object.keys(item).sort()).toEqual(["expiresAt", "pk", "r"]);
    expect(pkOfProcessKey(processKey("web-01", 300))).toBe("p|web-01|300");
    expect(roundTrip(r)).toEqual(r);
  });

  it("stores ancestors as plain nodes, never their own ancestors or host", () => {
    // In memory an ancestor is the parent's whole record, ancestors included.
    const grandparent = record({ pid: 100, ppid: 1, ancestors: [node(1)], chain: [] });
    const parent = record({ pid: 200, ppid: 100, ancestors: [grandparent, node(1)], chain: [] });
    const child = record({ ancestors: [parent, grandparent, node(1)] });
    const decoded = roundTrip(child)!;
    expect(decoded.ancestors.map((a) => a.pid)).toEqual([200, 100, 1]);
    for (const a of decoded.ancestors) {
      expect(Object.keys(a)).not.toContain("ancestors");
      expect(Object.keys(a)).not.toContain("host");
      expect(Object.keys(a)).not.toContain("ppid");
    }
    expect(decoded.ancestors[0]).toEqual({
      pid: 200,
      executable: parent.executable,
      invokedPath: parent.invokedPath,
      args: parent.args,
      cwd: parent.cwd,
      time: parent.time,
      user: parent.user,
      chain: [],
    });
  });

  it("round-trips arbitrary small records", () => {
    const text = fc.string({ maxLength: 20 });
    const image = fc.record({
      executable: text,
      invokedPath: fc.option(text, { nil: undefined }),
      script: fc.option(text, { nil: undefined }),
      args: fc.array(text, { maxLength: 4 }),
      cwd: fc.option(text, { nil: undefined }),
      time: fc.integer({ min: 0, max: 2 ** 45 }),
    });
    const user = fc.option(
      fc.record({ id: fc.option(text, { nil: undefined }), name: fc.option(text, { nil: undefined }) }),
      { nil: undefined },
    );
    const pid = fc.integer({ min: 0, max: 0xffff_ffff });
    const ancestor = fc.record({ pid, image, user, chain: fc.array(image, { maxLength: 2 }) });
    const arbitrary = fc.record({
      host: fc.string({ minLength: 1, maxLength: 30 }),
      pid,
      ppid: pid,
      start: fc.option(fc.integer({ min: 0, max: 2 ** 45 }), { nil: undefined }),
      sessionId: fc.option(text, { nil: undefined }),
      image,
      user,
      chain: fc.array(image, { maxLength: 3 }),
      ancestors: fc.array(ancestor, { maxLength: 4 }),
    });
    fc.assert(
      fc.property(arbitrary, (a) => {
        const r: ProcessRecord = {
          host: a.host,
          pid: a.pid,
          ppid: a.ppid,
          start: a.start,
          sessionId: a.sessionId,
          ...a.image,
          user: a.user,
          chain: a.chain,
          ancestors: a.ancestors.map((x) => ({ pid: x.pid, ...x.image, user: x.user, chain: x.chain })),
        };
        // A user with neither field is stored as no user.
        const expected = (u: ProcessNode["user"]) =>
          u?.id === undefined && u?.name === undefined ? undefined : u;
        expect(roundTrip(r)).toEqual({
          ...r,
          user: expected(r.user),
          ancestors: r.ancestors.map((x) => ({ ...x, user: expected(x.user) })),
        });
      }),
      { numRuns: 200 },
    );
  });

  it("keeps an ordinary deep tree whole and small", () => {
    const ancestors = Array.from({ length: 16 }, (_, i) =>
      node(1000 - i, { args: ["python3", "/opt/app/manage.py", "runserver"], cwd: "/opt/app" }),
    );
    const r = record({ ancestors });
    expect(jsonBytes(r)).toBeLessThan(2_500);
    expect(roundTrip(r)).toEqual(r);
  });

  it("deflates a record whose JSON would pass a write unit, and reads it back", () => {
    const ancestors = Array.from({ length: 16 }, (_, i) =>
      node(1000 - i, { args: ["python3", "/opt/app/manage.py", "runserver"], cwd: "/opt/app" }),
    );
    const r = record({ ancestors });
    expect(jsonBytes(r)).toBeGreaterThan(PACK_ABOVE_BYTES);
    const item = encodeRecord(r, 1_800_000_000);
    expect(Object.keys(item).sort()).toEqual(["expiresAt", "pk", "z"]);
    // Under one write unit with the key and the TTL.
    expect(item["z"]!.B!.length).toBeLessThan(800);
    expect(roundTrip(r)).toEqual(r);
  });

  it.each([
    ["not DEFLATE", Buffer.from("not deflate at all")],
    ["a bomb inflating past the cap", deflateRawSync(Buffer.alloc(1_000_000, 0x7b))],
    ["DEFLATE of no record", deflateRawSync('{"v":99}')],
  ])("a packed record that is %s is not a record", (_, packed) => {
    const item: DynamoItem = { pk: { S: "p|web-01|300" }, z: { B: packed }, expiresAt: { N: "1800000000" } };
    expect(decodeRecord(item, processKey("web-01", 300))).toBeUndefined();
  });

  it("caps args at 1 KB per image; earlier images of ancestors stay (their paths are evidence)", () => {
    const long = Array.from({ length: 8 }, (_, i) => `${i}`.repeat(200));
    const chain = Array.from({ length: 5 }, (_, i) => ({ executable: `/bin/c${i}`, args: [], time: i }));
    const r = record({ args: long, ancestors: [node(200, { chain })] });
    const decoded = roundTrip(r)!;
    expect(decoded.args.join("").length).toBeLessThanOrEqual(1024);
    expect(decoded.args.slice(0, 5)).toEqual(long.slice(0, 5));
    expect(decoded.args.at(-1)!.endsWith("…")).toBe(true);
    expect(decoded.ancestors[0]!.chain.map((c) => c.executable)).toEqual(chain.map((c) => c.executable));
  });

  it("fits the hard cap, nearest lineage first: 16 ancestors × 32 args × 512 chars and long chains", () => {
    const args = Array.from({ length: 32 }, (_, i) => String.fromCharCode(97 + (i % 26)).repeat(512));
    const chain = Array.from({ length: 8 }, (_, i) => ({
      executable: `/tmp/stage${i}`,
      script: `/tmp/s${i}.sh`,
      args,
      cwd: "/tmp",
      time: i,
    }));
    const ancestors = Array.from({ length: 16 }, (_, i) => node(1000 - i, { args, chain, cwd: "/var/www" }));
    const r = record({ args, chain, ancestors });
    expect(jsonBytes(r)).toBeLessThanOrEqual(MAX_RECORD_JSON_BYTES);
    const decoded = roundTrip(r)!;
    // Paths stay exact: they are what the rule reads. The parent always survives.
    expect(decoded.executable).toBe(r.executable);
    expect(decoded.ancestors[0]!.executable).toBe("/usr/bin/p1000");
    expect(decoded.chain[0]!.executable).toBe("/tmp/stage0");
    // Args and the oldest images go before any ancestor does: all 16 keep their executable.
    expect(decoded.ancestors.map((a) => a.executable)).toEqual(ancestors.map((a) => a.executable));
  });

  it("fits the hard cap even when every string is hostile (huge, control characters, astral)", () => {
    const hostile = "\u0001😈".repeat(20_000);
    const big: ProcessNode = {
      pid: 1,
      executable: hostile,
      invokedPath: hostile,
      script: hostile,
      args: [hostile, hostile],
      cwd: hostile,
      time: 1,
      user: { id: hostile, name: hostile },
      chain: [{ executable: hostile, args: [hostile], time: 1 }],
    };
    const r = record({
      ...big,
      sessionId: hostile,
      chain: big.chain,
      ancestors: Array.from({ length: 16 }, () => big),
    });
    expect(jsonBytes(r)).toBeLessThanOrEqual(MAX_RECORD_JSON_BYTES);
    const decoded = roundTrip(r)!;
    // The parent and the top; every path keeps its head.
    expect(decoded.ancestors.length).toBeGreaterThanOrEqual(2);
    expect(decoded.executable.startsWith("\u0001😈")).toBe(true);
  });

  it("hashes a host too long for a partition key", () => {
    const host = "h".repeat(3000);
    const pk = pkOf(host, 42);
    expect(Buffer.byteLength(pk)).toBeLessThan(100);
    expect(pk).toMatch(/^p\|#[\w-]{43}\|42$/);
    expect(roundTrip(record({ host, pid: 42 }))).toEqual(record({ host, pid: 42 }));
  });

  const key = processKey("web-01", 300);
  const good = encodeRecord(record(), 1);
  const withJson = (json: unknown): DynamoItem => ({ ...good, r: { S: JSON.stringify(json) } });
  const json = JSON.parse(good["r"]!.S!) as Record<string, unknown>;

  it.each<[string, DynamoItem | undefined]>([
    ["no item", undefined],
    ["no record attribute", { pk: good["pk"]! }],
    ["record not a string", { ...good, r: { N: "1" } }],
    ["not JSON", { ...good, r: { S: "{nope" } }],
    ["JSON null", withJson(null)],
    ["an array", withJson([1])],
    ["unknown version", withJson({ ...json, v: 2 })],
    ["no executable", withJson({ ...json, e: undefined })],
    ["time a string", withJson({ ...json, t: "1" })],
    ["negative ppid", withJson({ ...json, pp: -1 })],
    ["fractional ppid", withJson({ ...json, pp: 1.5 })],
    ["args not strings", withJson({ ...json, g: [1, 2] })],
    ["args an object", withJson({ ...json, g: { 0: "x" } })],
    ["ancestor not an object", withJson({ ...json, a: ["x"] })],
    ["ancestor without pid", withJson({ ...json, a: [{ e: "/bin/x", t: 1 }] })],
    ["chain image without time", withJson({ ...json, c: [{ e: "/bin/x" }] })],
    ["user a string", withJson({ ...json, u: "root" })],
    ["another key's item", { ...good, pk: { S: "p|web-01|301" } }],
  ])("decodes a corrupt item to undefined, never a throw: %s", (_name, item) => {
    expect(decodeRecord(item, key)).toBeUndefined();
  });
});
