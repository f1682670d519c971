import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { compressionOf, decompressed } from "../../lib/cli/decompress.js";
import { InputError } from "../../lib/errors.js";
import { cli } from "../helpers/cli.js";
import { CAPTURED_AUDITD, CAPTURED_LAUREL, chunked, readSample, samplePath } from "../helpers/samples.js";

const dir = mkdtempSync(join(tmpdir(), "netutil-gz-"));
const file = (name: string, content: Buffer | string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const drain = async (source: AsyncIterable<Buffer>) => {
  const out: Buffer[] = [];
  for await (const chunk of source) out.push(chunk);
  return Buffer.concat(out);
};

describe("compressionOf (magic bytes, not the name)", () => {
  it.each([
    ["gzip", Buffer.from([0x1f, 0x8b, 0x08, 0x00]), "gzip"],
    ["bzip2", Buffer.from("BZh91AY&SY"), "bzip2"],
    ["xz", Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00]), "xz"],
    ["zstd", Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x04]), "zstd"],
    ["an auditd line", Buffer.from("type=SYSCALL msg=audit("), undefined],
    ["JSON", Buffer.from('{"a":1}'), undefined],
    ["text that starts like bzip2", Buffer.from("BZhx is a word"), undefined],
    ["one byte of a gzip header", Buffer.from([0x1f]), undefined],
    ["nothing", Buffer.alloc(0), undefined],
  ])("%s → %s", (_name, head, compression) => {
    expect(compressionOf(head)).toBe(compression);
  });
});

describe("decompressed", () => {
  const text = readSample(CAPTURED_AUDITD);
  const gz = gzipSync(text);

  it.each([
    ["plain, whole", Buffer.from(text), [1 << 22], undefined],
    ["plain, a byte at a time at first", Buffer.from(text), [1, 1, 1, 4096], undefined],
    ["gzip, whole", gz, [1 << 22], "gzip"],
    ["gzip, a byte at a time at first", gz, [1, 1, 1, 4096], "gzip"],
    [
      "gzip, two members (cat a.gz b.gz)",
      Buffer.concat([gzipSync(text.slice(0, 1000)), gzipSync(text.slice(1000))]),
      [777],
      "gzip",
    ],
  ])("%s: the same bytes come out", async (_name, input, sizes, compression) => {
    let found: string | undefined = "not called";
    const out = await drain(decompressed(chunked(input, sizes), "x", (c) => (found = c)));
    expect(out.toString("utf8")).toBe(text);
    expect(found).toBe(compression);
  });

  it("an empty input is empty, not an error", async () => {
    expect((await drain(decompressed(chunked(Buffer.alloc(0)), "x"))).length).toBe(0);
  });

  it.each([
    [
      "truncated",
      gz.subarray(0, gz.length >> 1),
      /^x: gzip data is corrupt or truncated after \d+ decompressed bytes \(unexpected end of file\)$/,
    ],
    [
      "corrupt",
      Buffer.concat([gz.subarray(0, 20), Buffer.alloc(200, 0xff)]),
      /^x: gzip data is corrupt or truncated after \d+ decompressed bytes/,
    ],
  ])("a %s gzip stream ends with an InputError naming the input", async (_name, input, message) => {
    const error = await drain(decompressed(chunked(input), "x")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
  });
});

describe("replay of compressed input", () => {
  const plain = samplePath(CAPTURED_AUDITD);
  const gz = file("audit.log.2.gz", gzipSync(readSample(CAPTURED_AUDITD)));

  it("replay audit.log.2.gz gives the same alerts and counts as the uncompressed file", async () => {
    const a = await cli(["replay", "--output", "json", plain]);
    const b = await cli(["replay", "--output", "json", gz]);
    expect(b.code).toBe(0);
    expect(b.stdout.split("\n").filter(Boolean)).toHaveLength(2);
    expect(b.stdout).toBe(a.stdout);
    expect(b.stderr.split("\n")[0]).toBe(a.stderr.split("\n")[0]!.replace(plain, `${gz} (gzip)`));
  });

  it("so does gzip on stdin (zcat-less pipes: ssh host cat audit.log.1.gz | replay -)", async () => {
    const a = await cli(["replay", "--output", "json", "-"], readSample(CAPTURED_LAUREL));
    const b = await cli(["replay", "--output", "json", "-"], gzipSync(readSample(CAPTURED_LAUREL)));
    expect(b.stdout).toBe(a.stdout);
    expect(b.stderr).toContain("stdin (gzip): ");
  });

  it.each([
    ["xz", Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04]), "xz -dc"],
    ["bzip2", Buffer.from("BZh91AY&SY\u0000\u0000"), "bzip2 -dc"],
    ["zstd", Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x00]), "zstd -dc"],
  ])("%s input: one line saying how to decompress it, exit 2", async (name, bytes, command) => {
    const path = file(`audit.log.${name}`, bytes);
    const { code, stdout, stderr } = await cli(["replay", path]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      `netutil-detector: ${path} is ${name}-compressed: decompress it first (${command} FILE | netutil-detector replay -)\n`,
    );
  });

  it("a .gz cut after its first thousand events: their alerts, then one line naming the file, exit 2", async () => {
    const lines = Array.from({ length: 1500 }, (_, i) =>
      JSON.stringify({
        schema: "netutil-detector/exec@1",
        time: 1_795_766_400_000 + i,
        source: { eventId: `e-${i}` },
        host: { name: `web-${i}` },
        process: {
          pid: 1000 + i,
          ppid: 9,
          executable: "/usr/bin/curl",
          args: ["curl", "http://198.51.100.7/"],
        },
        parent: { pid: 9, executable: "/tmp/.k" },
      }),
    );
    const whole = gzipSync(`${lines.join("\n")}\n`);
    const path = file("cut-late.gz", whole.subarray(0, Math.floor(whole.length * 0.9)));
    const { code, stdout, stderr } = await cli(["replay", "--output", "json", path]);
    expect(code).toBe(2);
    // The pipeline evaluates a batch once it holds 1,000 events or more (a read chunk may add a few over).
    const printed = stdout.split("\n").filter(Boolean).length;
    expect(printed).toBeGreaterThanOrEqual(1000);
    expect(printed).toBeLessThan(1500);
    expect(stderr).toMatch(
      /^netutil-detector: .*cut-late\.gz: gzip data is corrupt or truncated after \d+ decompressed bytes .*\n$/,
    );
  });

  it("a truncated .gz: one line naming the file, exit 2", async () => {
    const whole = gzipSync(readSample(CAPTURED_AUDITD));
    const path = file("cut.gz", whole.subarray(0, whole.length - 100));
    const { code, stderr } = await cli(["replay", path]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      new RegExp(
        `^netutil-detector: ${path}: gzip data is corrupt or truncated after \\d+ decompressed bytes .*\\n$`,
      ),
    );
  });
});
