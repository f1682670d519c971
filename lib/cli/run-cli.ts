import { createReadStream, existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import packageJson from "../../package.json" with { type: "json" };
import { DEFAULT_DEDUP_WINDOW_MS, MemoryDedupStore, NoDedupStore } from "../alerts/dedup-store.js";
import { MemoryDeliveryClaims } from "../alerts/delivery-claims.js";
import { DynamoDbDedupStore } from "../alerts/dynamodb-dedup-store.js";
import { DynamoDbDeliveryClaims } from "../alerts/dynamodb-delivery-claims.js";
import { escapeText } from "../alerts/escape.js";
import { ConfigError, InputError, UsageError } from "../errors.js";
import { DynamoDbLineageStore } from "../lineage/dynamodb-lineage-store.js";
import { MemoryLineageStore } from "../lineage/memory-store.js";
import { type ReplaySummary, replay } from "../pipeline/replay.js";
import { compileRule } from "../rule/compile-rule.js";
import { RULE_METADATA } from "../rule/metadata.js";
import { alertReport } from "./alert-output.js";
import { type Command, EXIT_STATUS, parseCommand, USAGE } from "./cli-args.js";
import { type Compression, decompressed } from "./decompress.js";
import { inputHints, newInputSample, sampled } from "./input-hints.js";
import { payloadsOfFile, runKinesisDemo } from "./kinesis-demo.js";
import { loadRuleConfigFile } from "./load-rule-config.js";
import { dynamoDbClient } from "./local-dynamodb.js";
import { formatDemoSummary, formatSummary } from "./summary.js";

export interface CliIo {
  readonly stdin: AsyncIterable<Buffer | string>;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /**
   * Resolves once what was written to stdout has been taken: false when its reader went away (`| head`). The
   * bin entry gives it; without it stdout is taken to stay open.
   */
  readonly stdoutOpen?: () => Promise<boolean>;
}

export const EXIT_OK = EXIT_STATUS.ok;
export const EXIT_USAGE = EXIT_STATUS.usage;
export const EXIT_STRICT = EXIT_STATUS.strict;

/** The demo shipped with the tool: real formats, a few attack chains among ordinary background activity. */
export const DEMO_FILES = ["demo.auditd.log", "demo.ecs.ndjson"] as const;

/** The CLI as a function: argv and streams in, exit code out (the bin entry and the tests share it). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const command = parseCommand(argv);
    switch (command.kind) {
      case "help":
        io.stdout.write(`${USAGE}\n`);
        return EXIT_OK;
      case "version":
        io.stdout.write(
          `netutil-detector ${packageJson.version} (rule ${RULE_METADATA.id} ${RULE_METADATA.version})\n`,
        );
        return EXIT_OK;
      case "demo": {
        const dir = demoDirectory();
        const payloads = DEMO_FILES.flatMap((file) => payloadsOfFile(`${dir}/${file}`, "demo-host"));
        const report = alertReport(command.output, { triage: command.triage });
        const result = await runKinesisDemo(payloads, report.add);
        report.write((text) => io.stdout.write(text));
        if (!(await stdoutStillOpen(io))) return EXIT_OK;
        io.stderr.write(formatDemoSummary(result));
        return EXIT_OK;
      }
      case "replay":
        return await replayCommand(command, io);
    }
  } catch (error) {
    // One line each (argv and file names may hold control characters: escaped). A usage error points to --help
    // rather than printing it: the reason stays the last line on the terminal.
    if (error instanceof UsageError) {
      io.stderr.write(`netutil-detector: ${escapeText(error.message)}; see netutil-detector --help\n`);
      return EXIT_USAGE;
    }
    if (error instanceof InputError) {
      io.stderr.write(`netutil-detector: ${escapeText(error.message)}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`netutil-detector: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

async function replayCommand(command: Extract<Command, { kind: "replay" }>, io: CliIo): Promise<number> {
  const config = command.config === undefined ? {} : await loadRuleConfigFile(command.config);
  const name = command.file === "-" ? "stdin" : command.file;
  const raw = command.file === "-" ? io.stdin : await openFile(command.file);
  let compression: Compression | undefined;
  const sample = newInputSample();
  const source = sampled(
    decompressed(raw, name, (found) => {
      compression = found;
    }),
    sample,
  );
  const stores = command.store === "dynamodb" ? dynamoDbStores(command) : memoryStores(command);
  const report = alertReport(command.output, { triage: command.triage });
  let summary: ReplaySummary;
  try {
    summary = await replay(source, {
      format: command.format,
      defaultHost: command.host,
      deps: { store: stores.store, dedup: stores.dedup, rule: compileRule(config) },
      claims: stores.claims,
      onAlert: report.add,
    });
  } catch (error) {
    // The input failed part way (a truncated .gz, a table that throttles): the alerts already raised are
    // claimed as printed (in the table with --store dynamodb), so they are printed now or a rerun would only
    // count them.
    report.write((text) => io.stdout.write(text));
    throw error;
  } finally {
    stores.close();
  }
  report.write((text) => io.stdout.write(text));
  // A reader that has what it wanted (`| head`) ends the run: no summary for a terminal that did not ask.
  if (!(await stdoutStillOpen(io))) return EXIT_OK;
  const hints = inputHints(sample, summary.counters, { hostGiven: command.hostGiven });
  io.stderr.write(
    formatSummary(compression === undefined ? name : `${name} (${compression})`, summary, hints),
  );
  if (command.strict) {
    const problems = strictProblems(summary);
    if (problems.length > 0) {
      io.stderr.write(`netutil-detector: --strict: ${problems.join(", ")}\n`);
      return EXIT_STRICT;
    }
  }
  return EXIT_OK;
}

/** What `--strict` refuses: records that could not be read, or an input with nothing to evaluate. */
export function strictProblems(summary: ReplaySummary): string[] {
  const c = summary.counters;
  const problems: string[] = [];
  if (c.malformed > 0) problems.push(`${c.malformed} malformed record${c.malformed === 1 ? "" : "s"}`);
  if (c.execEvents === 0) problems.push("no exec event in the input");
  return problems;
}

const stdoutStillOpen = (io: CliIo): Promise<boolean> => io.stdoutOpen?.() ?? Promise.resolve(true);

function memoryStores(command: Extract<Command, { kind: "replay" }>) {
  return {
    store: new MemoryLineageStore(command.cacheBytes),
    dedup: command.dedup ? new MemoryDedupStore(DEFAULT_DEDUP_WINDOW_MS) : new NoDedupStore(),
    claims: new MemoryDeliveryClaims(),
    close: () => {},
  };
}

/** `--store dynamodb`: the Lambda's lineage, dedup and claim adapters on a real table or a local stand-in. */
function dynamoDbStores(command: Extract<Command, { kind: "replay" }>) {
  const client = dynamoDbClient(command.endpoint);
  const tableName = command.table!;
  return {
    store: new DynamoDbLineageStore({ client, tableName, ttlSeconds: 7 * 86_400 }),
    dedup: command.dedup
      ? new DynamoDbDedupStore({ client, tableName, windowSeconds: DEFAULT_DEDUP_WINDOW_MS / 1000 })
      : new NoDedupStore(),
    // Its own prefix: a backtest on the functions' table must not mark their alerts as published.
    claims: new DynamoDbDeliveryClaims({ client, tableName, prefix: "replay" }),
    close: () => client.destroy(),
  };
}

async function openFile(path: string): Promise<AsyncIterable<Buffer>> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new InputError(`${path} is a directory, not a telemetry file`);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      code === "ENOENT"
        ? `no such file: ${path}`
        : `cannot read ${path}: ${code ?? (error as Error).message}`,
    );
  }
  return createReadStream(path, { highWaterMark: 1 << 20 });
}

/** The demo data sits in lib/demo: beside the sources (tests) or one level up from the bundle (dist/). */
function demoDirectory(): string {
  for (const candidate of ["../demo", "../lib/demo"]) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${dir}/${DEMO_FILES[0]}`)) return dir;
  }
  throw new InputError("the bundled demo data is missing (lib/demo)");
}
