/**
 * The built bin under a small heap: lineage memory is bounded by bytes (--cache), so a replay of execs with
 * 16 KB of arguments each completes in a heap smaller than the lineage the input describes. Each input is
 * about 130 MB: a store that kept every record (or every slice of its text) would need more than the heap.
 */
import { execFile } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { NATIVE_SCHEMA_ID } from "../../lib/telemetry/sources/native.js";

const bin = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "netutil-memory-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXECS = 8000;
const HEAP_MB = 100;
const CACHE_MIB = 16;

/** 32 arguments of 512 characters: 16 KB, all of which capArgs keeps. */
const kept = (pid: number) => Array.from({ length: 32 }, (_, i) => `${pid}:${i}:`.padEnd(512, "a"));
/** One argument of 16 KB, which capArgs cuts to 512 characters. */
const cut = (pid: number) => ["prog", `${pid}:`.padEnd(16 * 1024, "b")];

/** EXECS native exec events, written in slices: the parent of exec i is `parentOf(i)`. */
function input(name: string, args: (pid: number) => string[], parentOf: (pid: number) => number): string {
  const file = join(dir, name);
  const fd = openSync(file, "w");
  try {
    let lines: string[] = [];
    for (let i = 0; i < EXECS; i++) {
      const pid = 1000 + i;
      lines.push(
        JSON.stringify({
          schema: NATIVE_SCHEMA_ID,
          time: 1_795_766_400_000 + i,
          source: { eventId: `e-${i}` },
          host: { name: "web-01" },
          process: { pid, ppid: parentOf(pid), executable: "/usr/bin/prog", args: args(pid) },
        }),
      );
      if (lines.length === 500 || i === EXECS - 1) {
        writeSync(fd, `${lines.join("\n")}\n`);
        lines = [];
      }
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

describe(`replay in a ${HEAP_MB} MB heap, --cache ${CACHE_MIB}, ${EXECS} execs with 16 KB of arguments each`, () => {
  it.each([
    ["children of one shell, 16 KB of arguments kept each", kept, () => 100],
    ["a line of processes, each the parent of the next", kept, (pid: number) => pid - 1],
    ["children of one shell, one 16 KB argument cut each", cut, () => 100],
  ])(
    "%s: completes",
    async (name, args, parentOf) => {
      const file = input(`${name.replaceAll(/\W+/g, "-")}.ndjson`, args, parentOf);
      const { stderr } = await run(
        process.execPath,
        [`--max-old-space-size=${HEAP_MB}`, bin, "replay", "--cache", String(CACHE_MIB), file],
        { maxBuffer: 1 << 20 },
      ).catch((error: { code?: unknown; signal?: unknown; stderr?: string }) => {
        throw new Error(`exit ${error.code} ${error.signal}: ${error.stderr?.slice(0, 300)}`);
      });
      expect(stderr).toContain(`${EXECS} exec events, 0 alerts`);
      expect(stderr).toContain("0 malformed");
      rmSync(file);
    },
    60_000,
  );
});
