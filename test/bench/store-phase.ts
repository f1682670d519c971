/**
 * The benchmark's store phase: what the Kinesis handler costs in DynamoDB, and whether the lineage it keeps
 * there is true, measured from outside the pipeline.
 *
 * 50,000 generated auditd exec events of a fleet of 112 hosts (web, app, k8s and build hosts; some hosts,
 * and nearly every build host, go round pid_max during the window) are put one exec event per Kinesis record
 * (partition key = host), in event order, and replayed through the real handler (lib/wiring.ts, as `npm start`
 * does) in invocations of 1,000 records against an embedded dynalite with a fresh table. Before them, 50,000
 * events of the same hosts' history go through unmeasured, so that the window meets a table that holds
 * records of earlier holders of its pids, as a table does after days (with a fresh table a recycled pid is
 * rarely stale).
 *
 * Everything is counted from ground truth and from the store's call log, never from the pipeline's counters
 * or reports: an SDK middleware on the DynamoDB client logs every command's input and output (./call-log.ts),
 * which is priced with DynamoDB's documented rules; the records the handler wrote are decoded from the logged
 * writes (lib's record codec) and their parent links judged against the generator's process identities
 * (./lineage-truth.ts), as are the published alerts.
 */
import type { Alert } from "../../lib/alerts/alert.js";
import { type DemoPayload, toKinesisEvents } from "../../lib/cli/kinesis-demo.js";
import { startLocalDynamoDb } from "../../lib/cli/local-dynamodb.js";
import { type Config, loadConfig } from "../../lib/config.js";
import { processKey } from "../../lib/lineage/process-record.js";
import { decodeRecord } from "../../lib/lineage/record-codec.js";
import type { DetectionReport } from "../../lib/triggers/detect-units.js";
import { makeKinesisHandler } from "../../lib/triggers/kinesis-trigger.js";
import { wireFromConfig } from "../../lib/wiring.js";
import { type CallLogEntry, CapacityMeter, logEntry, writtenItems } from "./call-log.js";
import { auditdLines, generateScenario, type Scenario, type ScenarioOptions } from "./generate-telemetry.js";
import type { LineageTruth, LinkVerdict } from "./lineage-truth.js";

/** Records (= exec events) per invocation: the event source mapping's batch size in serverless.yml. */
export const STORE_BATCH_SIZE = 1_000;

/**
 * A seed of its own (the throughput phase uses 1 and 2). 112 hosts, 28 of each role; a tenth of the others
 * start near pid_max, so that web, app and k8s hosts wrap too. About 400 s of fleet time for the measured
 * window, after as many events of history (ScenarioOptions.history) six hours before: the table the window
 * meets holds records of the pids' earlier holders, as a table does after days of traffic.
 */
export const STORE_SCENARIO: ScenarioOptions = {
  seed: 3,
  events: 50_000,
  history: 50_000,
  hosts: 112,
  roles: ["web", "app", "k8s", "build"],
  attackShare: 0.004,
  containersPerHost: 2,
  nearPidMax: 0.1,
};

/** The detection functions' environment for the run: lib/config.ts defaults for everything else. */
export const STORE_ENV = {
  TABLE_NAME: "netutil-detector-bench",
  TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:netutil-detector-bench",
  QUARANTINE_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/netutil-detector-bench-quarantine",
  QUARANTINE_BUCKET: "netutil-detector-bench-quarantine",
} as const;

export interface StoreInput {
  /** One Kinesis record per successful exec, in event order: the history's first, then the window's. */
  readonly payloads: readonly DemoPayload[];
  readonly scenario: Scenario;
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
export function storeInput(options: ScenarioOptions = STORE_SCENARIO): StoreInput {
  const scenario = generateScenario(options);
  const records: { host: string; lines: string[] }[] = [];
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
  if (syscallEvents !== scenario.execs.length || records.length !== scenario.events) {
    throw new Error(
      `store phase: ${records.length} exec records for ${scenario.events} generated exec events`,
    );
  }
  return {
    payloads: records.map((r) => ({ data: Buffer.from(r.lines.join("\n")), partitionKey: r.host })),
    scenario,
  };
}

/** What one handler invocation of the window did, seen from outside. */
export interface Invocation {
  readonly records: number;
  /** Wall time of the handler call, on this machine, with the embedded dynalite in the same process. */
  readonly seconds: number;
  /** Commands in the call log during the invocation. */
  readonly calls: number;
  readonly failedItems: number;
  readonly quarantined: number;
  /** The handler's own count, for a sanity check only: exec events it decoded. */
  readonly reportedExecEvents: number;
}

/** Parent links of the written records (ancestors[0] against the record's own image), distinct links. */
export type RecordLinks = Record<LinkVerdict | "unmatched" | "none", number>;

export interface StoreRun {
  /** The window's invocations (the history's are run, not measured). */
  readonly invocations: readonly Invocation[];
  readonly historyInvocations: number;
  readonly meter: CapacityMeter;
  readonly recordLinks: RecordLinks;
  /** Records the window wrote (puts of `p|` items, rewrites included). */
  readonly recordsWritten: number;
  /** Every alert, the history's included (it has no attack: any alert of it is unexpected). */
  readonly alerts: readonly Alert[];
  readonly config: Config;
  /** The window's SDK requests counted by wireFromConfig's middleware, and the commands the log saw. */
  readonly sdkRequests: number;
  readonly loggedCalls: number;
  readonly seconds: number;
}

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

/** `p|${host}|${pid}` → the process key, or undefined for other items (and hashed host names). */
function processKeyOfItem(pk: string): string | undefined {
  if (!pk.startsWith("p|") || pk.startsWith("p|#")) return undefined;
  const at = pk.lastIndexOf("|");
  const pid = Number(pk.slice(at + 1));
  return at > 1 && Number.isInteger(pid) ? processKey(pk.slice(2, at), pid) : undefined;
}

/**
 * The input through the real Kinesis handler against a fresh embedded dynalite, one invocation per batch: the
 * history's records, then the window's, never in one batch. Only the window is measured: its calls are priced
 * (the meter's shadow of the table spans both), and `truth` judges every record it writes as it goes by
 * (distinct links only: a record rewritten by a later batch with the same link counts once).
 */
export async function runStorePhase(
  input: StoreInput,
  truth: LineageTruth,
  batchSize = STORE_BATCH_SIZE,
): Promise<StoreRun> {
  const started = performance.now();
  const config = loadConfig(STORE_ENV);
  const local = await startLocalDynamoDb(config.TABLE_NAME);
  try {
    const meter = new CapacityMeter();
    const recordLinks: RecordLinks = { correct: 0, stale: 0, "unknown-image": 0, unmatched: 0, none: 0 };
    const seenLinks = new Set<string>();
    let recordsWritten = 0;
    let logged = 0;
    let measuring = false;
    const judgeWritten = (
      entry: CallLogEntry,
      input: Record<string, unknown>,
      output: Record<string, unknown>,
    ) => {
      if (!measuring) return;
      for (const item of writtenItems(entry.operation, input, output)) {
        const key = processKeyOfItem(item["pk"]?.S ?? "");
        if (key === undefined) continue;
        recordsWritten++;
        const record = decodeRecord(item, key);
        if (record === undefined) {
          recordLinks.unmatched++;
          continue;
        }
        const parent = record.ancestors[0];
        const link = `${key}\u0000${record.time}\u0000${parent?.pid}\u0000${parent?.time}`;
        if (seenLinks.has(link)) continue;
        seenLinks.add(link);
        recordLinks[truth.judgeRecordLink(record)]++;
      }
    };
    // The call log: installed after the table was created (CreateTable and DescribeTable are not the
    // handler's), at `initialize`, where a command's input and its deserialized output are whole.
    local.client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = (context.commandName ?? "unknown").replace(/Command$/, "");
        const input = args.input as Record<string, unknown>;
        try {
          const result = await next(args);
          const output = result.output as unknown as Record<string, unknown>;
          const entry = logEntry(operation, input, output, undefined, Date.now());
          meter.add(entry);
          logged++;
          judgeWritten(entry, input, output);
          return result;
        } catch (error) {
          meter.add(logEntry(operation, input, undefined, (error as Error).name ?? "Error", Date.now()));
          logged++;
          throw error;
        }
      },
      { step: "initialize", name: "benchCallLog" },
    );

    const alerts: Alert[] = [];
    let quarantined = 0;
    const reports: DetectionReport[] = [];
    const deps = wireFromConfig(config, {
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
    });
    const handler = makeKinesisHandler(deps);

    const history = input.scenario.historyEvents;
    let historyInvocations = 0;
    for (const event of toKinesisEvents(input.payloads.slice(0, history), batchSize)) {
      const { batchItemFailures } = await handler(event);
      if (batchItemFailures.length > 0) throw new Error("store phase: a history batch failed");
      historyInvocations++;
    }
    meter.startWindow();
    measuring = true;
    const loggedBefore = logged;
    const requestsBefore = deps.storeCalls?.() ?? 0;
    const invocations: Invocation[] = [];
    for (const event of toKinesisEvents(input.payloads.slice(history), batchSize)) {
      const callsBefore = logged;
      const quarantinedBefore = quarantined;
      const reportsBefore = reports.length;
      const t0 = performance.now();
      const { batchItemFailures } = await handler(event);
      const seconds = (performance.now() - t0) / 1000;
      invocations.push({
        records: event.Records.length,
        seconds,
        calls: logged - callsBefore,
        failedItems: batchItemFailures.length,
        quarantined: quarantined - quarantinedBefore,
        reportedExecEvents: reports
          .slice(reportsBefore)
          .reduce((n, report) => n + report.counters.execEvents, 0),
      });
    }
    return {
      invocations,
      historyInvocations,
      meter,
      recordLinks,
      recordsWritten,
      alerts,
      config,
      sdkRequests: (deps.storeCalls?.() ?? 0) - requestsBefore,
      loggedCalls: logged - loggedBefore,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await local.close();
  }
}
