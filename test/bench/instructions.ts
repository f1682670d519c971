/**
 * The throughput phases counted in instructions (`npm run bench:instructions`): what the baseline and the
 * pipeline do, counted by valgrind's callgrind, which counts the instructions executed rather than timing
 * them. The count barely moves between runs, whatever else the machine does, where the VM's speed makes a
 * timed ratio drift by ±0.08 (README, Performance): a change of 5 % in a phase shows. It is not the time:
 * waiting on memory (cache misses in large tables, the collector copying what a phase keeps) costs time and
 * few instructions, so it tells where the work goes and whether a change did less of it, not the `ratio`.
 *
 * Each phase runs in a process of its own under callgrind (`--phase`, run.ts), twice: once for R rounds,
 * once for R + 2; the difference, halved, is one warm round's count, without the input's generation, the
 * start of Node and the first rounds' compilation. The input is 1/SCALE of the timed bench's: callgrind runs
 * code about 50 times slower. Node runs single-threaded (below), so a process's count is repeatable to 1–2 %, not
 * exactly (two identical processes of two pipeline rounds counted 30.63 and 30.85 billion), and a round's, the
 * difference of two counts, to about 3 %: two runs of the whole gave ratios of 0.811 and 0.763.
 */
import { execFile } from "node:child_process";
import { availableParallelism } from "node:os";
import { promisify } from "node:util";
import type { LineageChoice } from "./run.js";

const run = promisify(execFile);

export const SCALE = 5;
/** Rounds of the shorter run: the first rounds still compile (TurboFan) much of the pipeline's code. */
export const FIRST_ROUNDS = 2;
export const PHASES = ["baseline", "pipeline"] as const;
export type Phase = (typeof PHASES)[number];

/** What a `--phase` run prints as its last line. */
export interface PhaseResult {
  readonly phase: Phase;
  readonly rounds: number;
  readonly events: number;
  readonly alerts: number;
  /** Records the pipeline's lineage store held at the end of its last round (0 for the baseline). */
  readonly held: number;
}

/** callgrind's total of instructions executed ("Collected : N" on stderr), or undefined without one. */
export function collectedInstructions(stderr: string): number | undefined {
  const match = /==\d+== Collected : (\d+)/.exec(stderr);
  return match === null ? undefined : Number(match[1]);
}

/** One warm round's instructions: the difference between the runs of FIRST_ROUNDS + 2 and FIRST_ROUNDS rounds, halved. */
export const perRound = (shorter: number, longer: number): number => (longer - shorter) / 2;

interface Counted {
  readonly instructions: number;
  readonly result: PhaseResult;
}

async function countPhase(
  script: string,
  phase: Phase,
  rounds: number,
  lineage: LineageChoice,
): Promise<Counted> {
  const args = [
    "--tool=callgrind",
    "--callgrind-out-file=/dev/null",
    process.execPath,
    // Background threads (concurrent marking and compilation) are counted too, and how much they do, or spin,
    // depends on how valgrind schedules them: two identical runs of a pipeline process differed by 36 % with
    // them, by 0.7 % without. The collector's and the compiler's work is then done, and counted, on the main thread.
    "--single-threaded",
    "--expose-gc",
    script,
    "--phase",
    phase,
    "--rounds",
    String(rounds),
    "--scale",
    String(SCALE),
    "--lineage",
    lineage,
  ];
  let out: { stdout: string; stderr: string };
  try {
    out = await run("valgrind", args);
  } catch (error) {
    const { code, stderr } = error as { code?: number | string; stderr?: string };
    const hint = code === "ENOENT" ? " (apt-get install valgrind)" : "";
    throw new Error(`${phase} × ${rounds} under callgrind failed${hint}: ${(stderr ?? "").slice(-500)}`, {
      cause: error,
    });
  }
  const instructions = collectedInstructions(out.stderr);
  const last = out.stdout.trim().split("\n").pop() ?? "";
  if (instructions === undefined || !last.startsWith("{"))
    throw new Error(`${phase} × ${rounds} under callgrind printed no count: ${out.stderr.slice(-500)}`);
  return { instructions, result: JSON.parse(last) as PhaseResult };
}

/**
 * Runs the four counted processes, as many at a time as there are CPUs (the counts do not depend on it);
 * `lineage` is the pipeline's store (run.ts `--lineage`).
 */
export async function countInstructions(
  script: string,
  lineage: LineageChoice = "memory",
): Promise<{
  readonly perEvent: Record<Phase, number>;
  readonly events: number;
  readonly ratio: number;
  readonly runs: readonly (Counted & { readonly phase: Phase; readonly rounds: number })[];
}> {
  const jobs = PHASES.flatMap((phase) =>
    [FIRST_ROUNDS, FIRST_ROUNDS + 2].map((rounds) => ({ phase, rounds })),
  );
  const runs: (Counted & { phase: Phase; rounds: number })[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      runs.push({ ...job, ...(await countPhase(script, job.phase, job.rounds, lineage)) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), jobs.length) }, worker));
  const find = (phase: Phase, rounds: number) => runs.find((r) => r.phase === phase && r.rounds === rounds)!;
  const events = find("baseline", FIRST_ROUNDS).result.events;
  const perEvent = {} as Record<Phase, number>;
  for (const phase of PHASES) {
    const shorter = find(phase, FIRST_ROUNDS);
    const longer = find(phase, FIRST_ROUNDS + 2);
    for (const run of [shorter, longer])
      if (run.result.events !== events)
        throw new Error(`${phase} × ${run.rounds} decoded ${run.result.events} exec events, not ${events}`);
    perEvent[phase] = perRound(shorter.instructions, longer.instructions) / events;
  }
  return { perEvent, events, ratio: perEvent.baseline / perEvent.pipeline, runs };
}
