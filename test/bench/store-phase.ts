/**
 * The benchmark's store phase: what the Kinesis handler costs in DynamoDB calls, against the fewest calls
 * the same input needs (DESIGN §5, §6).
 *
 * 10,000 generated auditd exec events (ENRICHED, `node=` prefixes, several hosts, a share of attacks) are
 * put one exec event per Kinesis record (partition key = host), in event order, and replayed through the real
 * handler (lib/wiring.ts, as `npm start` does) in invocations of 1,000 records against an embedded dynalite
 * with a fresh table. The calls are counted by the SDK middleware wireFromConfig installs (`storeCalls`).
 *
 * The minimum is computed here from the generated events themselves, not by lib's processBatch, so that a
 * batch pipeline that reads or writes more than it must cannot set its own bar.
 */
import type { Alert } from "../../lib/alerts/alert.js";
import { type DemoPayload, toKinesisEvents } from "../../lib/cli/kinesis-demo.js";
import { startLocalDynamoDb } from "../../lib/cli/local-dynamodb.js";
import { loadConfig } from "../../lib/config.js";
import type { DetectionReport } from "../../lib/triggers/detect-units.js";
import { makeKinesisHandler } from "../../lib/triggers/kinesis-trigger.js";
import { wireFromConfig } from "../../lib/wiring.js";
import {
  auditdLines,
  generateScenario,
  type ProcessExec,
  type ScenarioOptions,
} from "./generate-telemetry.js";

/** Records (= exec events) per invocation: the event source mapping's batch size in serverless.yml. */
export const STORE_BATCH_SIZE = 1_000;

/** A seed of its own (the throughput phase uses 1 and 2); six hosts: two each of web, app and k8s. */
export const STORE_SCENARIO: ScenarioOptions = {
  seed: 3,
  events: 10_000,
  hosts: 6,
  attackShare: 0.01,
  containersPerHost: 2,
};

/** DynamoDB's limits per call, which set the minimum: 100 keys per BatchGetItem, 25 items per BatchWriteItem. */
const GET_KEYS_PER_CALL = 100;
const WRITE_ITEMS_PER_CALL = 25;

export interface StoreInput {
  /** One Kinesis record per successful exec, in event order. */
  readonly payloads: readonly DemoPayload[];
  /** The exec event of each payload (same index): what the minimum is computed from. */
  readonly execs: readonly ProcessExec[];
  readonly hosts: number;
  readonly attackChains: number;
}

const hostOfLine = (line: string): string => line.slice(5, line.indexOf(" "));
const typeOfLine = (line: string): string => {
  const at = line.indexOf(" type=") + 6;
  return line.slice(at, line.indexOf(" ", at));
};
/** `node=H type=T msg=audit(SECONDS.MS:SERIAL): …` → `H SERIAL`: one audit event per node and serial. */
function eventKeyOfLine(line: string): string {
  const at = line.indexOf("msg=audit(");
  const colon = line.indexOf(":", at);
  return `${hostOfLine(line)} ${line.slice(colon + 1, line.indexOf(")", colon))}`;
}

/**
 * The store phase's input. auditd lines are rendered without interleaving, so that each audit event's lines
 * are contiguous, and grouped by node and serial. A successful exec's lines make one record. The other audit
 * events of a host (failed execve attempts of a PATH search, PAM session records: both decode as skipped)
 * ride in front of that host's next exec record, so that every record carries exactly one exec event and the
 * stream keeps every line in its host's order; the few after a host's last exec ride behind it.
 */
export function storeInput(): StoreInput {
  const scenario = generateScenario(STORE_SCENARIO);
  const records: { host: string; lines: string[] }[] = [];
  const execs: ProcessExec[] = [];
  const pending = new Map<string, string[]>();
  const lastRecordOfHost = new Map<string, number>();
  let syscallEvents = 0;

  const close = (event: string[]) => {
    if (event.length === 0) return;
    const host = hostOfLine(event[0]!);
    if (typeOfLine(event[0]!) === "SYSCALL") {
      // Execs and their audit events come in the scenario's order: the n-th SYSCALL event is execs[n].
      const exec = scenario.execs[syscallEvents++];
      if (exec === undefined || exec.host !== host) {
        throw new Error(`store phase: audit event ${syscallEvents} on ${host} is not the scenario's exec`);
      }
      if (!exec.failed) {
        lastRecordOfHost.set(host, records.length);
        records.push({ host, lines: [...(pending.get(host) ?? []), ...event] });
        pending.delete(host);
        execs.push(exec);
        return;
      }
    }
    const waiting = pending.get(host);
    if (waiting === undefined) pending.set(host, [...event]);
    else waiting.push(...event);
  };

  let event: string[] = [];
  let key = "";
  for (const line of auditdLines(scenario, { interleave: 0 })) {
    const lineKey = eventKeyOfLine(line);
    if (lineKey !== key) {
      close(event);
      event = [];
      key = lineKey;
    }
    event.push(line);
  }
  close(event);
  for (const [host, lines] of pending) {
    const last = lastRecordOfHost.get(host);
    if (last !== undefined) records[last]!.lines.push(...lines);
  }
  if (syscallEvents !== scenario.execs.length || execs.length !== scenario.events) {
    throw new Error(`store phase: ${execs.length} exec records for ${scenario.events} generated exec events`);
  }
  return {
    payloads: records.map((r) => ({ data: Buffer.from(r.lines.join("\n")), partitionKey: r.host })),
    execs,
    hosts: scenario.hosts.length,
    attackChains: scenario.attacks.length,
  };
}

/** The fewest lineage calls one batch needs (its dedup updates come from the handler's report). */
export interface LineageMinimum {
  readonly events: number;
  /** Parents and earlier images not in the batch: keys the batch must read. */
  readonly missingKeys: number;
  readonly reads: number;
  /** Distinct processes (host, pid) of the batch: records it must write. */
  readonly processes: number;
  readonly writes: number;
}

/**
 * Per batch of `batchSize` events in stream order: ordered by host, then time (a stable sort), an event needs
 * its parent's record (host, ppid, when ppid > 0) and its own pid's earlier record (host, pid): after an
 * execve the pid is the same process with a new image, and the design (DESIGN §5) keeps the exec chain, the
 * earlier images, in the pid's record, which the new image extends; a script exec'ing a network utility is
 * found that way. Either key is read unless an earlier event of the same batch has that pid on that host
 * (its record is then in the batch already). All missing keys go in one round of BatchGetItem calls of
 * 100 keys; every distinct (host, pid) of the batch is written once, in BatchWriteItem calls of 25 items.
 */
export function minimumLineageCalls(execs: readonly ProcessExec[], batchSize: number): LineageMinimum[] {
  const batches: LineageMinimum[] = [];
  for (let start = 0; start < execs.length; start += batchSize) {
    const ordered = execs
      .slice(start, start + batchSize)
      .sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : a.time - b.time));
    const seen = new Set<string>();
    const missing = new Set<string>();
    for (const e of ordered) {
      const own = `${e.host}\u0000${e.pid}`;
      if (!seen.has(own)) missing.add(own);
      if (e.ppid > 0) {
        const parent = `${e.host}\u0000${e.ppid}`;
        if (!seen.has(parent)) missing.add(parent);
      }
      seen.add(own);
    }
    batches.push({
      events: ordered.length,
      missingKeys: missing.size,
      reads: Math.ceil(missing.size / GET_KEYS_PER_CALL),
      processes: seen.size,
      writes: Math.ceil(seen.size / WRITE_ITEMS_PER_CALL),
    });
  }
  return batches;
}

/** What one handler invocation did, from its DetectionReport and the call counters. */
export interface Invocation {
  readonly records: number;
  readonly execEvents: number;
  readonly malformed: number;
  readonly quarantined: number;
  /** Rule hits: one dedup `record` UpdateItem each (counted as an alert or as suppressed by dedup). */
  readonly ruleHits: number;
  /** Published alerts: one `markPublished` UpdateItem each. */
  readonly published: number;
  readonly failedItems: number;
  /** DynamoDB calls of this invocation (wireFromConfig's middleware). */
  readonly storeCalls: number;
}

export interface StoreRun {
  readonly invocations: readonly Invocation[];
  /** Calls by operation, from a second middleware on the same client: the breakdown of `storeCalls`. */
  readonly byOperation: ReadonlyMap<string, number>;
  readonly alerts: readonly Alert[];
  readonly seconds: number;
}

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

/** The input through the real Kinesis handler against a fresh embedded dynalite, one invocation per batch. */
export async function runStorePhase(input: StoreInput, batchSize = STORE_BATCH_SIZE): Promise<StoreRun> {
  const started = performance.now();
  const local = await startLocalDynamoDb("netutil-detector-bench");
  try {
    // Installed after the table was created, so that CreateTable and DescribeTable are not counted.
    const byOperation = new Map<string, number>();
    local.client.middlewareStack.add(
      (next, context) => async (args) => {
        const name = (context.commandName ?? "unknown").replace(/Command$/, "");
        byOperation.set(name, (byOperation.get(name) ?? 0) + 1);
        return next(args);
      },
      { step: "finalizeRequest", name: "benchCountByOperation" },
    );
    const alerts: Alert[] = [];
    let quarantined = 0;
    const reports: DetectionReport[] = [];
    const deps = wireFromConfig(
      loadConfig({
        TABLE_NAME: local.tableName,
        TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:netutil-detector-bench",
        QUARANTINE_QUEUE_URL:
          "https://sqs.us-east-1.amazonaws.com/123456789012/netutil-detector-bench-quarantine",
        QUARANTINE_BUCKET: "netutil-detector-bench-quarantine",
      }),
      {
        dynamodb: local.client,
        publisher: { publish: async (alert) => void alerts.push(alert) },
        quarantine: {
          put: async (records) => {
            quarantined += records.length;
          },
        },
        logger: quiet,
        metrics: { addMetric: () => undefined, publishStoredMetrics: () => {} },
        onReport: (report) => void reports.push(report),
      },
    );
    const storeCalls = deps.storeCalls;
    if (storeCalls === undefined) throw new Error("store phase: wireFromConfig counts no DynamoDB calls");
    const handler = makeKinesisHandler(deps);

    const invocations: Invocation[] = [];
    for (const event of toKinesisEvents(input.payloads, batchSize)) {
      const before = storeCalls();
      const quarantinedBefore = quarantined;
      const reportsBefore = reports.length;
      const { batchItemFailures } = await handler(event);
      const report = reports[reportsBefore];
      if (report === undefined || reports.length !== reportsBefore + 1) {
        throw new Error("store phase: expected one report per invocation");
      }
      const c = report.counters;
      invocations.push({
        records: event.Records.length,
        execEvents: c.execEvents,
        malformed: c.malformed,
        quarantined: quarantined - quarantinedBefore,
        ruleHits: c.alerts + c.suppressed.dedup,
        published: report.published.length,
        failedItems: batchItemFailures.length,
        storeCalls: storeCalls() - before,
      });
    }
    return { invocations, byOperation, alerts, seconds: (performance.now() - started) / 1000 };
  } finally {
    await local.close();
  }
}
