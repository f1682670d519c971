/**
 * Throughput benchmark (`npm run bench`): how much the detection pipeline (lineage, rule, dedup) costs on
 * top of reading the telemetry at all (framing and decoding).
 *
 * 200,000 generated exec events (auditd ENRICHED lines and ECS documents, in one stream with `--format auto`
 * semantics) are held in memory and fed as 64 KiB chunks, so that disk and stdin play no part. Each round
 * times the baseline and the full pipeline back to back in this one process; the medians are reported
 * (`ratio`: of the medians), and the median of the rounds' own ratios (`roundRatio`).
 *
 * Then the store phase (./store-phase.ts): 50,000 other exec events of 112 hosts (after 50,000 of their
 * history) through the Kinesis handler against an embedded dynalite, its DynamoDB calls logged and priced
 * (cost per million events), its alerts and the parent links it stored checked against the generator's
 * ground truth.
 *
 * The run fails (exit code 1) when an attack chain is missed, an alert appears that no chain accounts for, or
 * an alert's ancestry is shorter than the telemetry allows or names a wrong process. Cost and stale links are
 * reported, not gated. The last line of stdout is one JSON object for CI to read.
 *
 * `--instructions` counts the two throughput phases in instructions instead (./instructions.ts), each run by
 * callgrind as `--phase baseline|pipeline --rounds N --scale K` (that phase alone, over 1/K of the input).
 *
 * `--lineage none` runs the pipeline with a lineage store that keeps nothing (./no-lineage-store.ts): what the
 * pipeline costs with lineage between batches free, the most that work on the store alone can give the ratio.
 * Its figures are not the product's; its last JSON line says `"lineage":"none"`.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { Alert } from "../../lib/alerts/alert.js";
import { DEFAULT_DEDUP_WINDOW_MS, MemoryDedupStore } from "../../lib/alerts/dedup-store.js";
import { MemoryLineageStore } from "../../lib/lineage/memory-store.js";
import { replay } from "../../lib/pipeline/replay.js";
import { compileRule } from "../../lib/rule/compile-rule.js";
import { createRecordDecoder } from "../../lib/telemetry/decode-records.js";
import type { DecodeOutput } from "../../lib/telemetry/decoder.js";
import { createDocumentJoiner, flushDocumentJoiner, frameLines } from "../../lib/telemetry/framing.js";
import { checkAlerts } from "./expected-alerts.js";
import { fleetFacts } from "./fleet-facts.js";
import { ATTACK_KINDS, auditdLines, ecsLines, generateScenario } from "./generate-telemetry.js";
import {
  countInstructions,
  FIRST_ROUNDS,
  PHASES,
  type Phase,
  type PhaseResult,
  SCALE,
} from "./instructions.js";
import { checkAlertLineage, LineageTruth } from "./lineage-truth.js";
import { NoLineageStore } from "./no-lineage-store.js";
import { PRICES } from "./prices.js";
import { kinesisMemoryMb, serverlessYmlPath, storeCost } from "./store-cost.js";
import { runStorePhase, STORE_BATCH_SIZE, STORE_SCENARIO, type StoreRun, storeInput } from "./store-phase.js";

const AUDITD_EVENTS = 150_000;
const ECS_EVENTS = 50_000;
const CHUNK_BYTES = 64 * 1024;
const ROUNDS = 5;
const DEFAULT_HOST = "bench";

/** Lines → one Buffer, built in slices so that no giant string (or array of lines) is ever held. */
function toBuffer(lines: Iterable<string>): Buffer {
  const parts: Buffer[] = [];
  let batch: string[] = [];
  for (const line of lines) {
    batch.push(line);
    if (batch.length === 8192) {
      parts.push(Buffer.from(`${batch.join("\n")}\n`));
      batch = [];
    }
  }
  if (batch.length > 0) parts.push(Buffer.from(`${batch.join("\n")}\n`));
  return Buffer.concat(parts);
}

/**
 * The input, and what the checks need of the scenarios. The scenarios themselves (200,000 exec objects) die
 * here: kept alive, every major GC of the timed runs would trace them and bias both phases.
 */
function generateInput(scale = 1) {
  const auditd = generateScenario({
    seed: 1,
    events: Math.round(AUDITD_EVENTS / scale),
    hosts: 24,
    attackShare: 0.005,
    containersPerHost: 3,
  });
  const auditdBuffer = toBuffer(auditdLines(auditd));
  const ecs = generateScenario({
    seed: 2,
    events: Math.round(ECS_EVENTS / scale),
    hosts: 12,
    attackShare: 0.005,
    containersPerHost: 3,
    firstHost: 101,
  });
  return {
    input: [auditdBuffer, toBuffer(ecsLines(ecs))],
    generated: auditd.events + ecs.events,
    auditd: { events: auditd.events, hosts: auditd.hosts.length },
    ecs: { events: ecs.events, hosts: ecs.hosts.length },
    attacks: [...auditd.attacks, ...ecs.attacks],
  };
}

async function* chunks(buffers: readonly Buffer[]): AsyncGenerator<Buffer> {
  for (const buffer of buffers) {
    for (let i = 0; i < buffer.length; i += CHUNK_BYTES) yield buffer.subarray(i, i + CHUNK_BYTES);
  }
}

interface BaselineRun {
  seconds: number;
  events: number;
  skipped: number;
  malformed: number;
}

/** Framing (lines, JSON document joiner) and per-record decoding exactly as replay() does them, nothing else. */
async function runBaseline(input: readonly Buffer[]): Promise<BaselineRun> {
  const started = performance.now();
  const decoder = createRecordDecoder("auto", { defaultHost: DEFAULT_HOST });
  const join = createDocumentJoiner();
  const out: DecodeOutput[] = [];
  const run: BaselineRun = { seconds: 0, events: 0, skipped: 0, malformed: 0 };
  const count = () => {
    for (const o of out) {
      if (o.kind === "event") run.events++;
      else if (o.kind === "skipped") run.skipped++;
      else run.malformed++;
    }
    out.length = 0;
  };
  const feed = (records: ReturnType<typeof join>) => {
    for (const record of records) {
      if (record.text.length === 0 && record.error === undefined) continue;
      decoder.push(record, out);
    }
  };
  for await (const records of frameLines(chunks(input))) {
    feed(join(records));
    count();
  }
  feed(flushDocumentJoiner(join));
  decoder.flush(out);
  count();
  run.seconds = (performance.now() - started) / 1000;
  return run;
}

/** The throughput phase's lineage store: the CLI's (`memory`), or none at all, for the ceiling (./no-lineage-store.ts). */
const LINEAGE_STORES = ["memory", "none"] as const;
export type LineageChoice = (typeof LINEAGE_STORES)[number];

interface PipelineRun {
  seconds: number;
  /** Records the lineage store held at the end. */
  held: number;
  events: number;
  skipped: number;
  malformed: number;
  alerts: Alert[];
  suppressed: number;
}

async function runPipeline(input: readonly Buffer[], lineage: LineageChoice): Promise<PipelineRun> {
  const store = lineage === "none" ? new NoLineageStore() : new MemoryLineageStore();
  const started = performance.now();
  const alerts: Alert[] = [];
  const summary = await replay(chunks(input), {
    format: "auto",
    defaultHost: DEFAULT_HOST,
    deps: { store, dedup: new MemoryDedupStore(), rule: compileRule() },
    onAlert: (alert) => alerts.push(alert),
  });
  const seconds = (performance.now() - started) / 1000;
  const c = summary.counters;
  const s = c.suppressed;
  return {
    seconds,
    held: store.size,
    events: c.execEvents,
    skipped: c.skipped,
    malformed: c.malformed,
    alerts,
    suppressed: s.loopback + s.allowlist + s["benign-location"] + s.dedup,
  };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows
    .map((r) =>
      r.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join("  "),
    )
    .join("\n");
}

const perThousand = (calls: number, events: number): number => Math.round((calls / events) * 10_000) / 10;
const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;
const sum = <T>(list: readonly T[], f: (item: T) => number) => list.reduce((n, item) => n + f(item), 0);
const pct = (part: number, whole: number): number => (whole === 0 ? 0 : round((part / whole) * 100, 1));

/** The store phase's lineage checks against the ground truth (./lineage-truth.ts). */
interface LineageFigures {
  readonly judgedLinks: number;
  readonly staleLinks: number;
  readonly shallow: string[];
  readonly lines: string[];
}

function lineageFigures(truth: LineageTruth, run: StoreRun): LineageFigures {
  const r = run.recordLinks;
  const recordJudged = r.correct + r.stale + r["unknown-image"];
  const recordStale = r.stale + r["unknown-image"];
  let alertLinks = 0;
  let alertStale = 0;
  let unmatched = 0;
  let shorter = 0;
  let wrong = 0;
  let truthDepth = 0;
  let alertDepth = 0;
  const shallow: string[] = [];
  for (const alert of run.alerts) {
    const image = truth.imageAt(
      alert.host.name,
      alert.process.pid,
      Date.parse(alert.time),
      alert.process.executable,
    );
    if (image === undefined) {
      unmatched++;
      continue;
    }
    const check = checkAlertLineage(truth, image, alert.ancestors);
    alertLinks += check.links;
    alertStale += check.staleLinks;
    truthDepth += check.truthDepth;
    alertDepth += check.alertDepth;
    if (check.alertDepth < check.truthDepth) shorter++;
    if (check.wrongAt.length > 0) wrong++;
    if (check.shallow) {
      shallow.push(
        `${alert.host.name} pid ${alert.process.pid} ${alert.utility.name}: ${check.alertDepth} ancestors, ` +
          `the telemetry allows ${check.truthDepth}` +
          (check.wrongAt.length > 0 ? `, wrong process at depth ${check.wrongAt.join(", ")}` : ""),
      );
    }
  }
  const matched = run.alerts.length - unmatched;
  const avg = (n: number) => (matched === 0 ? "-" : (n / matched).toFixed(1));
  return {
    judgedLinks: recordJudged + alertLinks,
    staleLinks: recordStale + alertStale,
    shallow,
    lines: [
      `parent links, written records (own image → ancestors[0], ${fmt(recordJudged)} distinct links judged): ` +
        `${fmt(r.correct)} correct, ${fmt(r.stale)} stale (an earlier holder of the pid), ` +
        `${fmt(r["unknown-image"])} naming an image no process had; not judged: ${fmt(r.none)} records ` +
        `without ancestors, ${fmt(r.unmatched)} whose own image is no generated exec`,
      `parent links, alerts (process → ancestors): ${fmt(alertLinks)} judged, ${fmt(alertStale)} stale`,
      `alert ancestry: ${fmt(matched)} alerts (${fmt(unmatched)} naming no generated exec), depth ${avg(alertDepth)} ` +
        `on average where the telemetry allows ${avg(truthDepth)}; ${fmt(shallow.length)} shallow ` +
        `(${fmt(shorter)} shorter than the truth, ${fmt(wrong)} naming a wrong process)`,
    ],
  };
}

/**
 * The store phase (./store-phase.ts): the handler's DynamoDB calls and what they cost, priced from the call
 * log (./call-log.ts, ./store-cost.ts), and its alerts and lineage against the ground truth.
 */
async function storePhase() {
  const input = storeInput();
  const { scenario } = input;
  const truth = new LineageTruth(scenario.execs);
  const facts = fleetFacts(scenario);
  const run = await runStorePhase(input, truth);
  const events = scenario.events - scenario.historyEvents;
  const invocations = run.invocations;
  const handlerSeconds = sum(invocations, (i) => i.seconds);
  const memoryMb = kinesisMemoryMb(readFileSync(serverlessYmlPath(), "utf8"));
  const storage = run.meter.storage(run.config.LINEAGE_TTL_SECONDS);
  const cost = storeCost({
    events,
    byKind: run.meter.byKind,
    storage,
    // Every event leaves its records in the table, the history's as the window's.
    storageEvents: scenario.events,
    handlerSeconds,
    memoryMb,
    batchSize: STORE_BATCH_SIZE,
  });
  const calls = sum([...run.meter.byOperation.values()], (o) => o.calls);
  const records = run.meter.sizesOf("p").sort((a, b) => a - b);
  const wrappedHosts = sum([...facts.wrapped.values()], (n) => n);
  const roles = [...facts.roles].map(([role, n]) => `${n} ${role}`).join(", ");

  console.log(
    `\nstore phase: ${fmt(events)} auditd exec events measured from ${scenario.hosts.length} hosts (${roles}; ` +
      `seed ${STORE_SCENARIO.seed}), after ${fmt(scenario.historyEvents)} events of their history replayed ` +
      `unmeasured (${run.historyInvocations} invocations; then the hosts' pids went round, six hours passed); ` +
      `${fmt(scenario.attacks.length)} attack chains; ${fmt(facts.cronJobs)} cron jobs, ` +
      `${fmt(facts.sshSessions)} ssh sessions, ${fmt(facts.compilerRuns)} compiler runs (cc1), ` +
      `${fmt(facts.containerExecs)} execs in containers; pids wrapped around pid_max within the window on ` +
      `${wrappedHosts} hosts (${[...facts.wrapped].map(([role, n]) => `${n} ${role}`).join(", ")}); ` +
      `${fmt(facts.unknownParents)} execs whose parent never exec'd before them, ${fmt(facts.staleTraps)} of them ` +
      `at a parent pid an earlier process exec'd with. One exec event per Kinesis record (partition key = ` +
      `host), ${invocations.length} invocations of ${fmt(STORE_BATCH_SIZE)} records through the Kinesis ` +
      `handler against an embedded dynalite: ${run.seconds.toFixed(1)} s in all (window handler ` +
      `${handlerSeconds.toFixed(1)} s)\n`,
  );
  console.log(
    table([
      ["DynamoDB calls (call log)", "calls", "per 1,000 events", "keys read", "items written"],
      ...[...run.meter.byOperation].map(([op, o]) => [
        op,
        fmt(o.calls),
        perThousand(o.calls, events).toFixed(1),
        fmt(o.keysRead),
        fmt(o.itemsWritten),
      ]),
      [
        "total",
        fmt(calls),
        perThousand(calls, events).toFixed(1),
        fmt(sum([...run.meter.byOperation.values()], (o) => o.keysRead)),
        fmt(sum([...run.meter.byOperation.values()], (o) => o.itemsWritten)),
      ],
    ]),
  );
  const p95 = records[Math.floor(records.length * 0.95)] ?? 0;
  console.log(
    `\nprocess records: ${fmt(run.recordsWritten)} written (${(run.recordsWritten / events).toFixed(2)} per event), ` +
      `${fmt(records.length)} left in the table, ${fmt(sum(records, (n) => n) / Math.max(1, records.length))} B ` +
      `on average (p95 ${fmt(p95)} B); storage ${fmt(storage.items)} items, ${(storage.bytes / 1048576).toFixed(1)} MiB ` +
      `with overhead, kept to their TTL (process records: LINEAGE_TTL_SECONDS ${fmt(run.config.LINEAGE_TTL_SECONDS)})`,
  );
  const kinds = [...run.meter.byKind].filter(([, t]) => t.writes + t.reads > 0);
  console.log(
    `by item kind (window): ${kinds
      .map(
        ([kind, t]) =>
          `${kind}| ${fmt(t.writes)} writes (${(t.writes / events).toFixed(3)} per event, ` +
          `${t.writes === 0 ? "-" : (t.writeUnits / t.writes).toFixed(2)} WRU each), ${fmt(t.reads)} keys read`,
      )
      .join("; ")}`,
  );
  const approximations = [
    run.meter.approximateUpdates > 0
      ? `${run.meter.approximateUpdates} updates without their item after`
      : "",
    run.meter.deletesOfUnknownSize > 0
      ? `${run.meter.deletesOfUnknownSize} deletes of unknown size (1 WRU)`
      : "",
  ].filter((a) => a !== "");
  console.log(
    `\n${table([
      [
        `cost per million exec events (${PRICES.region} on-demand, prices.ts, ${PRICES.asOf})`,
        "per event",
        "$ per M events",
      ],
      ...cost.lines.map((line) => [
        line.item,
        `${line.perEvent < 0.001 ? line.perEvent.toExponential(2) : line.perEvent.toFixed(3)} ${line.unit}`,
        line.usdPerMillion.toFixed(4),
      ]),
      ["total", "", cost.usdPerMillionEvents.toFixed(4)],
    ])}` + (approximations.length > 0 ? `\napproximated: ${approximations.join("; ")}` : ""),
  );

  const lineage = lineageFigures(truth, run);
  const alertCheck = checkAlerts(
    scenario.attacks,
    run.alerts,
    run.config.DEDUP_WINDOW_SECONDS * 1000,
    "tumbling",
  );
  console.log(
    `\n${fmt(alertCheck.expected)} alerts expected (${fmt(alertCheck.deduplicated)} chains inside a dedup window), ` +
      `${fmt(run.alerts.length)} published\n${lineage.lines.join("\n")}`,
  );

  const problems: string[] = [];
  invocations.forEach((inv, i) => {
    if (inv.reportedExecEvents !== inv.records) {
      problems.push(
        `store invocation ${i + 1}: the handler decoded ${inv.reportedExecEvents} exec events of ${inv.records}`,
      );
    }
    if (inv.failedItems > 0) problems.push(`store invocation ${i + 1} reported batchItemFailures`);
    if (inv.quarantined > 0)
      problems.push(`store invocation ${i + 1}: ${inv.quarantined} records quarantined`);
  });
  if (run.sdkRequests !== run.loggedCalls) {
    problems.push(
      `store phase: ${run.sdkRequests} DynamoDB requests sent, ${run.loggedCalls} in the call log`,
    );
  }
  for (const [op, n] of run.meter.unpriced)
    problems.push(`store phase: ${n} ${op} calls the meter cannot price`);
  const impossible = truth.impossibleParents();
  if (impossible > 0)
    problems.push(`generator: ${impossible} execs whose parent's pid changed hands (a bug)`);
  const missing = [
    [facts.cronJobs, "cron jobs"],
    [facts.sshSessions, "ssh sessions"],
    [facts.compilerRuns, "build jobs"],
    [facts.containerExecs, "container execs"],
    [wrappedHosts, "pid wrap-arounds"],
  ].filter(([n]) => n === 0);
  for (const [, what] of missing) problems.push(`store phase: the generated fleet has no ${what}`);
  for (const m of alertCheck.missed.slice(0, 20))
    problems.push(`store phase: attack chain without its alert: ${m}`);
  for (const u of alertCheck.unexpected.slice(0, 20)) problems.push(`store phase: unexpected alert: ${u}`);
  for (const w of alertCheck.wrongLocation.slice(0, 20)) {
    problems.push(`store phase: alert with an unexpected location: ${w}`);
  }
  for (const s of lineage.shallow.slice(0, 20)) problems.push(`store phase: shallow alert: ${s}`);
  if (lineage.shallow.length > 20)
    problems.push(`store phase: ${lineage.shallow.length - 20} more shallow alerts`);
  return {
    problems,
    missed: alertCheck.missed.length,
    unexpected: alertCheck.unexpected.length,
    ddbCallsPer1000: perThousand(calls, events),
    ddbWriteUnitsPerEvent: round(cost.writeUnitsPerEvent, 3),
    ddbReadUnitsPerEvent: round(cost.readUnitsPerEvent, 3),
    usdPerMillionEvents: round(cost.usdPerMillionEvents, 3),
    staleParentLinksPct: pct(lineage.staleLinks, lineage.judgedLinks),
    shallowAlerts: lineage.shallow.length,
  };
}

async function main(lineage: LineageChoice): Promise<void> {
  const genStarted = performance.now();
  const { input, generated, auditd, ecs, attacks } = generateInput();
  const rssAfterGeneration = process.memoryUsage().rss / 1048576;
  const bytes = input.reduce((n, b) => n + b.length, 0);
  const genSeconds = (performance.now() - genStarted) / 1000;
  console.log(
    `netutil-detector bench: ${fmt(generated)} exec events (${fmt(auditd.events)} auditd from ${auditd.hosts} hosts, ` +
      `${fmt(ecs.events)} ECS from ${ecs.hosts} hosts), ${(bytes / 1048576).toFixed(1)} MiB, ` +
      `${fmt(attacks.length)} attack chains; generated in ${genSeconds.toFixed(1)} s`,
  );
  console.log(
    `node ${process.version}, ${ROUNDS} rounds after a warm-up, ${CHUNK_BYTES / 1024} KiB chunks, ` +
      `RSS after generation ${rssAfterGeneration.toFixed(0)} MiB` +
      (lineage === "none"
        ? "; --lineage none: the pipeline keeps no lineage between batches (its ceiling, not the product)\n"
        : "\n"),
  );

  const baselines: BaselineRun[] = [];
  const pipelines: PipelineRun[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    // Always in this order, each pipeline after a baseline: in one process a pipeline run that followed another
    // took 1.12 times as long (median of 5 pairs), a baseline that followed a pipeline 0.97 (README).
    const b = await runBaseline(input);
    const p = await runPipeline(input, lineage);
    if (round === 0) continue; // warm-up: JIT and inline caches settle
    baselines.push(b);
    pipelines.push(p);
  }
  const baseSeconds = median(baselines.map((r) => r.seconds));
  const pipeSeconds = median(pipelines.map((r) => r.seconds));
  // The VM's speed drifts within a run: a round's two phases, timed back to back, share its speed, so the
  // median of the rounds' own ratios is the steadier figure (reported beside `ratio`, which it does not replace).
  const roundRatios = baselines.map((b, i) => b.seconds / pipelines[i]!.seconds);
  const baselineEventsPerSec = generated / baseSeconds;
  const pipelineEventsPerSec = generated / pipeSeconds;
  const last = pipelines[pipelines.length - 1]!;
  const lastBase = baselines[baselines.length - 1]!;

  console.log(
    table([
      ["phase", "events", "seconds (median)", "events/s", "skipped", "malformed", "alerts", "suppressed"],
      [
        "baseline: frame + decode",
        fmt(lastBase.events),
        baseSeconds.toFixed(3),
        fmt(baselineEventsPerSec),
        fmt(lastBase.skipped),
        fmt(lastBase.malformed),
        "-",
        "-",
      ],
      [
        "pipeline: replay()",
        fmt(last.events),
        pipeSeconds.toFixed(3),
        fmt(pipelineEventsPerSec),
        fmt(last.skipped),
        fmt(last.malformed),
        fmt(last.alerts.length),
        fmt(last.suppressed),
      ],
    ]),
  );
  console.log(
    `\nrounds (s): baseline ${baselines.map((r) => r.seconds.toFixed(3)).join(" ")}; ` +
      `pipeline ${pipelines.map((r) => r.seconds.toFixed(3)).join(" ")}; ` +
      `ratio per round ${roundRatios.map((r) => r.toFixed(2)).join(" ")} (median ${median(roundRatios).toFixed(2)})`,
  );

  // Exactly the alerts the ground truth calls for: every chain its alert, unless a dedup window of its key
  // (MemoryDedupStore's, as the pipeline runs here) covers it; nothing else.
  const check = checkAlerts(attacks, last.alerts, DEFAULT_DEDUP_WINDOW_MS);
  const byKind = ATTACK_KINDS.map((kind) => {
    const chains = attacks.filter((a) => a.kind === kind).length;
    const missed = check.missed.filter((m) => m.startsWith(`${kind} `)).length;
    return [kind, fmt(chains), fmt(chains - missed)];
  });
  console.log(
    `\n${table([["attack kind", "chains", "alerted or deduplicated"], ...byKind])}\n` +
      `${fmt(check.expected)} alerts expected (${fmt(check.deduplicated)} chains inside a dedup window), ` +
      `${fmt(last.alerts.length)} raised`,
  );

  const problems: string[] = [];
  for (const run of [...baselines, ...pipelines]) {
    if (run.events !== generated) problems.push(`decoded ${run.events} exec events, generated ${generated}`);
    if (run.malformed !== 0) problems.push(`${run.malformed} malformed records`);
  }
  for (const m of check.missed.slice(0, 20)) problems.push(`attack chain without its alert: ${m}`);
  for (const u of check.unexpected.slice(0, 20)) problems.push(`unexpected alert: ${u}`);
  for (const w of check.wrongLocation.slice(0, 20)) problems.push(`alert with an unexpected location: ${w}`);

  // The throughput phase's peak, as this figure has always been: the store phase that follows holds its own
  // fleet (100,000 events with their ground truth) and is reported apart.
  const peakRssMb = Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
  const store = await storePhase();
  const storeRssMb = (process.resourceUsage().maxRSS / 1024).toFixed(1);
  console.log(
    `\npeak RSS: ${peakRssMb} MiB after the throughput phase, ${storeRssMb} MiB after the store phase`,
  );
  problems.push(...store.problems);
  for (const p of new Set(problems)) console.error(`bench: FAILED: ${p}`);
  if (problems.length > 0) process.exitCode = 1;

  const result = {
    baselineEventsPerSec: Math.round(baselineEventsPerSec),
    pipelineEventsPerSec: Math.round(pipelineEventsPerSec),
    ratio: Math.round((pipelineEventsPerSec / baselineEventsPerSec) * 100) / 100,
    roundRatio: Math.round(median(roundRatios) * 100) / 100,
    peakRssMb,
    ddbCallsPer1000: store.ddbCallsPer1000,
    // Both phases: the throughput phase's in-memory pipeline and the store phase's handler.
    missedAttacks: check.missed.length + store.missed,
    unexpectedAlerts: check.unexpected.length + store.unexpected,
    ddbWriteUnitsPerEvent: store.ddbWriteUnitsPerEvent,
    ddbReadUnitsPerEvent: store.ddbReadUnitsPerEvent,
    usdPerMillionEvents: store.usdPerMillionEvents,
    staleParentLinksPct: store.staleParentLinksPct,
    shallowAlerts: store.shallowAlerts,
    lineage,
  };
  console.log(`\n${JSON.stringify(result)}`);
}

/**
 * `--phase baseline|pipeline --rounds N --scale K`: that phase alone, N times over 1/K of the input, for
 * callgrind to count (./instructions.ts). Its last line is what it did, for the caller to check.
 */
async function phaseOnly(phase: Phase, rounds: number, scale: number, lineage: LineageChoice): Promise<void> {
  const { input } = generateInput(scale);
  let events = 0;
  let alerts = 0;
  let held = 0;
  // What a round leaves (the pipeline's store of 13,000 records) is collected before the next, so that every
  // round starts from the same heap: otherwise when the collector gets to it, and what it marks then, varies
  // from run to run, and so does the count of the rounds after.
  const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});
  for (let round = 0; round < rounds; round++) {
    collect();
    if (phase === "baseline") events = (await runBaseline(input)).events;
    else {
      const run = await runPipeline(input, lineage);
      events = run.events;
      alerts = run.alerts.length;
      held = run.held;
    }
  }
  const result: PhaseResult = { phase, rounds, events, alerts, held };
  console.log(JSON.stringify(result));
}

/** `--instructions`: both phases counted by callgrind (./instructions.ts). */
async function instructionsOnly(lineage: LineageChoice): Promise<void> {
  const script = process.argv[1]!;
  console.log(
    `netutil-detector bench, instructions: 1/${SCALE} of the events, each phase under valgrind's callgrind ` +
      `for ${FIRST_ROUNDS} and ${FIRST_ROUNDS + 2} rounds (four processes, a few minutes each)`,
  );
  const counted = await countInstructions(script, lineage);
  for (const run of counted.runs)
    console.log(
      `${run.phase} × ${run.rounds}: ${fmt(run.instructions)} instructions, ${run.result.alerts} alerts`,
    );
  const result = {
    events: counted.events,
    baselineInstructionsPerEvent: Math.round(counted.perEvent.baseline),
    pipelineInstructionsPerEvent: Math.round(counted.perEvent.pipeline),
    instructionRatio: Math.round(counted.ratio * 1000) / 1000,
    lineage,
  };
  console.log(`\n${JSON.stringify(result)}`);
}

const { values: options } = parseArgs({
  options: {
    phase: { type: "string" },
    rounds: { type: "string" },
    scale: { type: "string" },
    instructions: { type: "boolean" },
    lineage: { type: "string", default: "memory" },
  },
});
const lineage = options.lineage as LineageChoice;
if (!LINEAGE_STORES.includes(lineage))
  throw new Error(`usage: bench.js [--lineage ${LINEAGE_STORES.join("|")}]`);
if (options.instructions === true) await instructionsOnly(lineage);
else if (options.phase !== undefined) {
  const phase = options.phase as Phase;
  const rounds = Number(options.rounds ?? "1");
  const scale = Number(options.scale ?? "1");
  if (!PHASES.includes(phase) || !Number.isInteger(rounds) || rounds < 1 || !(scale >= 1))
    throw new Error(
      "usage: bench.js --phase baseline|pipeline [--rounds N] [--scale K] [--lineage memory|none]",
    );
  await phaseOnly(phase, rounds, scale, lineage);
} else await main(lineage);
