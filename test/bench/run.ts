/**
 * Throughput benchmark (`npm run bench`): how much the detection pipeline (lineage, rule, dedup) costs on
 * top of reading the telemetry at all (framing and decoding).
 *
 * 200,000 generated exec events (auditd ENRICHED lines and ECS documents, in one stream with `--format auto`
 * semantics) are held in memory and fed as 64 KiB chunks, so that disk and stdin play no part. Each round
 * times the baseline and the full pipeline back to back in this one process; the medians are reported.
 *
 * Then the store phase (./store-phase.ts): 10,000 other exec events through the Kinesis handler against an
 * embedded dynalite, its DynamoDB calls counted and compared with the fewest the same input needs.
 *
 * The last line of stdout is one JSON object for CI to read.
 */
import { performance } from "node:perf_hooks";
import type { Alert } from "../../lib/alerts/alert.js";
import { DEFAULT_DEDUP_WINDOW_MS, MemoryDedupStore } from "../../lib/alerts/dedup-store.js";
import { MemoryLineageStore } from "../../lib/lineage/memory-store.js";
import { replay } from "../../lib/pipeline/replay.js";
import { compileRule } from "../../lib/rule/compile-rule.js";
import { createRecordDecoder } from "../../lib/telemetry/decode-records.js";
import type { DecodeOutput } from "../../lib/telemetry/decoder.js";
import { createDocumentJoiner, flushDocumentJoiner, frameLines } from "../../lib/telemetry/framing.js";
import { checkAlerts } from "./expected-alerts.js";
import { ATTACK_KINDS, auditdLines, ecsLines, generateScenario } from "./generate-telemetry.js";
import {
  type LineageMinimum,
  minimumLineageCalls,
  runStorePhase,
  STORE_BATCH_SIZE,
  STORE_SCENARIO,
  type StoreRun,
  storeInput,
} from "./store-phase.js";

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
function generateInput() {
  const auditd = generateScenario({
    seed: 1,
    events: AUDITD_EVENTS,
    hosts: 24,
    attackShare: 0.005,
    containersPerHost: 3,
  });
  const auditdBuffer = toBuffer(auditdLines(auditd));
  const ecs = generateScenario({
    seed: 2,
    events: ECS_EVENTS,
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

interface PipelineRun {
  seconds: number;
  events: number;
  skipped: number;
  malformed: number;
  alerts: Alert[];
  suppressed: number;
}

async function runPipeline(input: readonly Buffer[]): Promise<PipelineRun> {
  const started = performance.now();
  const alerts: Alert[] = [];
  const summary = await replay(chunks(input), {
    format: "auto",
    defaultHost: DEFAULT_HOST,
    deps: { store: new MemoryLineageStore(), dedup: new MemoryDedupStore(), rule: compileRule() },
    onAlert: (alert) => alerts.push(alert),
  });
  const seconds = (performance.now() - started) / 1000;
  const c = summary.counters;
  const s = c.suppressed;
  return {
    seconds,
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

/** The most DynamoDB calls the handler may make, as a multiple of the minimum for the same input. */
const MAX_CALLS_OVER_MINIMUM = 1.1;

/**
 * The store phase: DynamoDB calls of the Kinesis handler against the minimum (./store-phase.ts). Per batch,
 * the minimum is ⌈parents and earlier images not in the batch / 100⌉ BatchGetItem calls, ⌈distinct processes
 * / 25⌉ BatchWriteItem calls, one UpdateItem per rule hit (the dedup `record`: processBatch counts each hit as
 * an alert or as suppressed by dedup), and two writes per published alert: the conditional claim and the mark
 * that make its publish happen once (lib/alerts/delivery-claims.ts). Hits and alerts are taken from the
 * handler's reports: they depend on the rule, not on how the store batches its calls.
 */
async function storePhase() {
  const input = storeInput();
  const run: StoreRun = await runStorePhase(input);
  const minimum: LineageMinimum[] = minimumLineageCalls(input.execs, STORE_BATCH_SIZE);
  const invocations = run.invocations;
  const sum = <T>(list: readonly T[], f: (item: T) => number) => list.reduce((n, item) => n + f(item), 0);

  const events = sum(minimum, (b) => b.events);
  const missingKeys = sum(minimum, (b) => b.missingKeys);
  const reads = sum(minimum, (b) => b.reads);
  const processes = sum(minimum, (b) => b.processes);
  const writes = sum(minimum, (b) => b.writes);
  const ruleHits = sum(invocations, (i) => i.ruleHits);
  const published = sum(invocations, (i) => i.published);
  const minimumOf = (i: number) =>
    minimum[i]!.reads + minimum[i]!.writes + invocations[i]!.ruleHits + 2 * invocations[i]!.published;
  const minCalls = reads + writes + ruleHits + 2 * published;
  const calls = sum(invocations, (i) => i.storeCalls);
  const measured = (operation: string) => run.byOperation.get(operation) ?? 0;
  const others = [...run.byOperation].filter(
    ([op]) => !["BatchGetItem", "BatchWriteItem", "UpdateItem", "PutItem"].includes(op),
  );

  console.log(
    `\nstore phase: ${fmt(events)} auditd exec events from ${input.hosts} hosts ` +
      `(seed ${STORE_SCENARIO.seed}, ${fmt(input.attackChains)} attack chains), one exec event per Kinesis record (partition key = host), ` +
      `${invocations.length} invocations of ${fmt(STORE_BATCH_SIZE)} records through the Kinesis handler ` +
      `against an embedded dynalite; ${run.seconds.toFixed(1)} s\n`,
  );
  console.log(
    table([
      ["DynamoDB calls, all invocations", "keys / items", "minimum", "measured"],
      [
        "BatchGetItem: parents and earlier images not in the batch, 100 keys",
        fmt(missingKeys),
        fmt(reads),
        fmt(measured("BatchGetItem")),
      ],
      [
        "BatchWriteItem: distinct processes of the batch, 25 items",
        fmt(processes),
        fmt(writes),
        fmt(measured("BatchWriteItem")),
      ],
      ["UpdateItem: rule hits (dedup record)", fmt(ruleHits), fmt(ruleHits), fmt(measured("UpdateItem"))],
      [
        "PutItem: published alerts (claim, then mark)",
        `2 × ${fmt(published)}`,
        fmt(2 * published),
        fmt(measured("PutItem")),
      ],
      ...others.map(([op, n]) => [op, "-", "0", fmt(n)]),
    ]),
  );
  console.log(
    `\n${table([
      [
        "store phase",
        "invocations",
        "events",
        "DynamoDB calls measured",
        "minimum",
        "per 1,000 events (measured / minimum)",
        "ratio",
      ],
      [
        "Kinesis handler → dynalite",
        fmt(invocations.length),
        fmt(events),
        fmt(calls),
        fmt(minCalls),
        `${perThousand(calls, events).toFixed(1)} / ${perThousand(minCalls, events).toFixed(1)}`,
        (calls / minCalls).toFixed(2),
      ],
    ])}`,
  );
  console.log(
    `per invocation, measured/minimum: ${invocations.map((inv, i) => `${inv.storeCalls}/${minimumOf(i)}`).join(" ")}; ` +
      `${fmt(run.alerts.length)} alerts published`,
  );

  const problems: string[] = [];
  invocations.forEach((inv, i) => {
    const want = minimum[i]?.events;
    if (inv.records !== want || inv.execEvents !== want) {
      problems.push(
        `store invocation ${i + 1}: ${inv.records} records, ${inv.execEvents} exec events, generated ${want}`,
      );
    }
    if (inv.failedItems > 0) problems.push(`store invocation ${i + 1} reported batchItemFailures`);
    if (inv.malformed > 0 || inv.quarantined > 0) {
      problems.push(`store invocation ${i + 1}: ${inv.malformed} malformed, ${inv.quarantined} quarantined`);
    }
  });
  if (invocations.length !== minimum.length) {
    problems.push(`store phase: ${invocations.length} invocations for ${minimum.length} batches`);
  }
  if (sum([...run.byOperation], ([, n]) => n) !== calls) {
    problems.push("store phase: the calls by operation do not add up to deps.storeCalls()");
  }
  if (run.alerts.length === 0) problems.push("store phase found no alert");
  if (calls > MAX_CALLS_OVER_MINIMUM * minCalls) {
    problems.push(
      `store phase: ${fmt(calls)} DynamoDB calls, more than ${MAX_CALLS_OVER_MINIMUM} × the minimum ${fmt(minCalls)}`,
    );
  }
  return {
    problems,
    ddbCallsPer1000: perThousand(calls, events),
    ddbMinCallsPer1000: perThousand(minCalls, events),
  };
}

async function main(): Promise<void> {
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
      `RSS after generation ${rssAfterGeneration.toFixed(0)} MiB\n`,
  );

  const baselines: BaselineRun[] = [];
  const pipelines: PipelineRun[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const b = await runBaseline(input);
    const p = await runPipeline(input);
    if (round === 0) continue; // warm-up: JIT and inline caches settle
    baselines.push(b);
    pipelines.push(p);
  }
  const baseSeconds = median(baselines.map((r) => r.seconds));
  const pipeSeconds = median(pipelines.map((r) => r.seconds));
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
      `pipeline ${pipelines.map((r) => r.seconds.toFixed(3)).join(" ")}`,
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

  const store = await storePhase();
  problems.push(...store.problems);
  for (const p of new Set(problems)) console.error(`bench: FAILED: ${p}`);
  if (problems.length > 0) process.exitCode = 1;

  const result = {
    baselineEventsPerSec: Math.round(baselineEventsPerSec),
    pipelineEventsPerSec: Math.round(pipelineEventsPerSec),
    ratio: Math.round((pipelineEventsPerSec / baselineEventsPerSec) * 100) / 100,
    peakRssMb: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
    ddbCallsPer1000: store.ddbCallsPer1000,
    ddbMinCallsPer1000: store.ddbMinCallsPer1000,
    missedAttacks: check.missed.length,
    unexpectedAlerts: check.unexpected.length,
  };
  console.log(`\n${JSON.stringify(result)}`);
}

await main();
