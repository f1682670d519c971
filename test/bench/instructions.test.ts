import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { collectedInstructions, type PhaseResult, perRound } from "./instructions.js";

/** What valgrind 3.19's callgrind printed on stderr for `/bin/true`, as it was. */
const CALLGRIND_STDERR = `==7701== Callgrind, a call-graph generating cache profiler
==7701== Copyright (C) 2002-2017, and GNU GPL'd, by Josef Weidendorfer et al.
==7701== Using Valgrind-3.19.0 and LibVEX; rerun with -h for copyright info
==7701== Command: /bin/true
==7701== 
==7701== For interactive control, run 'callgrind_control -h'.
==7701== 
==7701== Events    : Ir
==7701== Collected : 126219
==7701== 
==7701== I   refs:      126,219
`;

describe("callgrind's count", () => {
  it.each<[string, string, number | undefined]>([
    ["the total it collected", CALLGRIND_STDERR, 126_219],
    ["none when the run ended before its summary", CALLGRIND_STDERR.split("==7701== Events")[0]!, undefined],
    ["a program's own output that looks like one is not it", "Collected : 5\n", undefined],
  ])("%s", (_, stderr, expected) => {
    expect(collectedInstructions(stderr)).toBe(expected);
  });

  it("one warm round is half the difference between the runs two rounds apart", () => {
    expect(perRound(24_388_477_634, 37_810_739_985)).toBe(6_711_131_175.5);
  });
});

describe("bench.js --phase (what callgrind runs)", () => {
  const bench = fileURLToPath(new URL("../../dist/bench.js", import.meta.url));
  const run = async (...args: string[]): Promise<PhaseResult> => {
    const { stdout } = await promisify(execFile)(process.execPath, [bench, ...args]);
    return JSON.parse(stdout.trim().split("\n").pop()!) as PhaseResult;
  };

  it("runs the one phase over a part of the input and says what it did", async () => {
    const [baseline, pipeline] = await Promise.all([
      run("--phase", "baseline", "--rounds", "2", "--scale", "100"),
      run("--phase", "pipeline", "--rounds", "1", "--scale", "100"),
    ]);
    expect(baseline).toMatchObject({ phase: "baseline", rounds: 2, alerts: 0 });
    expect(pipeline).toMatchObject({ phase: "pipeline", rounds: 1 });
    // 1/100 of the timed bench's 200,000 events: both phases see all of them, and the attacks among them alert.
    expect(baseline.events).toBe(2000);
    expect(pipeline.events).toBe(baseline.events);
    expect(pipeline.alerts).toBeGreaterThan(0);
  });

  it("--lineage none: the pipeline holds no record between batches, the memory store does", async () => {
    const [memory, none] = await Promise.all([
      run("--phase", "pipeline", "--scale", "100"),
      run("--phase", "pipeline", "--scale", "100", "--lineage", "none"),
    ]);
    expect(memory.held).toBeGreaterThan(500);
    expect(none.held).toBe(0);
    // The same events, and the attacks (whose chains fit in a batch) still alert: the ceiling does the same work.
    expect(none.events).toBe(memory.events);
    expect(none.alerts).toBe(memory.alerts);
  });

  it("refuses a lineage store it does not have", async () => {
    await expect(run("--phase", "pipeline", "--lineage", "dynamodb")).rejects.toThrow(
      /usage: bench.js \[--lineage memory\|none\]/,
    );
  });

  it("refuses a phase it does not know", async () => {
    await expect(run("--phase", "decode")).rejects.toThrow(/usage: bench.js --phase baseline\|pipeline/);
  });
});
