import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The shared samples sit beside the repository (../shared), in CI as in a session. */
export const samplePath = (relative: string): string =>
  fileURLToPath(new URL(`../../../shared/samples/${relative}`, import.meta.url));

export const readSample = (relative: string): string => readFileSync(samplePath(relative), "utf8");

export const CAPTURED_AUDITD = "captured/exec-cases.auditd.log";
export const CAPTURED_LAUREL = "captured/exec-cases.laurel.jsonl";

/** The two alerts captured/README.md describes (D1, D2). */
export const CAPTURED_ALERTS = [
  { pid: 14828, utility: "nslookup", path: "/tmp/dropper.sh", kind: "script" },
  { pid: 14834, utility: "curl", path: "/dev/shm/.x", kind: "ancestor" },
];

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
