import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The sample telemetry kept in the repository (test/fixtures/samples): captured/ recorded here with real auditd
 * and laurel, upstream/ copied from the sensors' own projects (upstream/PROVENANCE.md names source, commit and
 * licence of each file), and recorded/ when present.
 */
const SAMPLES_DIR = fileURLToPath(new URL("../fixtures/samples/", import.meta.url));

export const samplePath = (relative: string): string => join(SAMPLES_DIR, relative);

export const readSample = (relative: string): string => readFileSync(samplePath(relative), "utf8");

export const CAPTURED_AUDITD = "captured/exec-cases.auditd.log";
export const CAPTURED_LAUREL = "captured/exec-cases.laurel.jsonl";

/** The two alerts captured/README.md describes (D1, D2). */
export const CAPTURED_ALERTS = [
  { pid: 14828, utility: "nslookup", path: "/tmp/dropper.sh", kind: "script" },
  { pid: 14834, utility: "curl", path: "/dev/shm/.x", kind: "ancestor" },
];

/**
 * What is kept beside the telemetry but is not a stream of it: documentation, the scripts that recorded it,
 * dotfiles; go-libaudit's YAML and golden-JSON test-harness fragments (decoded from their blocks in
 * auditd.test.ts and ecs.test.ts); the AWS transport envelopes (Lambda events, run through the handlers in
 * test/triggers/upstream-transport.test.ts).
 */
const NOT_TELEMETRY: readonly RegExp[] = [
  /\.md$/,
  /\.sh$/,
  /(^|\/)\./,
  /\.yaml$/,
  /\.yaml-excerpt$/,
  /\.golden-excerpt$/,
  /^upstream\/aws\//,
];

/**
 * Every telemetry file under test/fixtures/samples (captured/, upstream/, and recorded/ when it exists), as
 * sorted paths relative to that directory with `/` separators: the inputs a replay must read without a
 * malformed record. `root` is for the helper's own test.
 */
export function telemetrySampleFiles(root: string = SAMPLES_DIR): string[] {
  const walk = (relative: string): string[] => {
    const dir = join(root, relative);
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) return walk(path);
      return entry.isFile() && !NOT_TELEMETRY.some((pattern) => pattern.test(path)) ? [path] : [];
    });
  };
  return walk("").sort();
}

/** Splits text into chunks of varying small sizes, as a pipe or a socket would deliver it. */
export async function* chunked(
  text: string | Buffer,
  sizes: readonly number[] = [7, 1, 64, 3, 4096],
): AsyncGenerator<Buffer> {
  const buf = typeof text === "string" ? Buffer.from(text) : text;
  let i = 0;
  let k = 0;
  while (i < buf.length) {
    const size = sizes[k++ % sizes.length]!;
    yield buf.subarray(i, i + size);
    i += size;
  }
}
