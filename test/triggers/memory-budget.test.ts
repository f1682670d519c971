import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleEnvironment } from "../helpers/cut-harness.js";
import { type LocalDynamo, startDynalite } from "../helpers/dynalite.js";

/**
 * Memory is bounded by what an invocation holds, not by what its batch brings: the built Kinesis bundle in
 * a child process whose heap is 450 MB (a 512 MB function's), fed 30 gzip records of about 16 KB that
 * inflate to 15 MiB of junk lines each. Held together (as they were, all opened up front) they need well
 * over 900 MB and the child dies; opened in slices under the budget, the batch completes in one invocation.
 */
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo?.close();
});

const CHILD = fileURLToPath(new URL("../helpers/kinesis-heap-child.mjs", import.meta.url));
const BUNDLE = fileURLToPath(new URL("../../dist/lambda/kinesis/index.mjs", import.meta.url));

describe("the Kinesis bundle under a 450 MB heap", () => {
  it("30 gzip records of 16 KB inflating to 15 MiB each: one invocation, each record set aside once", async () => {
    const args = JSON.stringify({ bundle: BUNDLE, records: 30, lineBytes: 16_000, inflatedBytes: 15 << 20 });
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--max-old-space-size=450", CHILD, args],
      {
        env: { ...process.env, ...bundleEnvironment(dynamo.endpoint, dynamo.tableName) },
        maxBuffer: 1 << 20,
      },
    );
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, number>;
    expect(result["gzipBytes"]).toBeLessThan(20_000);
    expect(result).toMatchObject({ invocations: 1, published: 0, quarantined: 30 });
  }, 120_000);
});
