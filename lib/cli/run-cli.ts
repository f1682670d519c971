import { createReadStream, existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import packageJson from "../../package.json" with { type: "json" };
import { DEFAULT_DEDUP_WINDOW_MS, MemoryDedupStore, NoDedupStore } from "../alerts/dedup-store.js";
import { MemoryDeliveryClaims } from "../alerts/delivery-claims.js";
import { DynamoDbDedupStore } from "../alerts/dynamodb-dedup-store.js";
import { DynamoDbDeliveryClaims } from "../alerts/dynamodb-delivery-claims.js";
import { ConfigError, UsageError } from "../errors.js";
import { DynamoDbLineageStore } from "../lineage/dynamodb-lineage-store.js";
import { MemoryLineageStore } from "../lineage/memory-store.js";
import { replay } from "../pipeline/replay.js";
import { compileRule } from "../rule/compile-rule.js";
import { RULE_METADATA } from "../rule/metadata.js";
import { alertWriter } from "./alert-output.js";
import { type Command, parseCommand, USAGE } from "./cli-args.js";
import { payloadsOfFile, runKinesisDemo } from "./kinesis-demo.js";
import { loadRuleConfigFile } from "./load-rule-config.js";
import { dynamoDbClient } from "./local-dynamodb.js";
import { formatDemoSummary, formatSummary } from "./summary.js";

export interface CliIo {
  readonly stdin: AsyncIterable<Buffer | string>;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

export const EXIT_OK = 0;
export const EXIT_USAGE = 2;

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
        const result = await runKinesisDemo(
          payloads,
          alertWriter(command.output, (text) => io.stdout.write(text)),
        );
        io.stderr.write(formatDemoSummary(result));
        return EXIT_OK;
      }
      case "replay": {
        const config = command.config === undefined ? {} : await loadRuleConfigFile(command.config);
        const source = command.file === "-" ? io.stdin : await openFile(command.file);
        const stores = command.store === "dynamodb" ? dynamoDbStores(command) : memoryStores(command.dedup);
        try {
          const summary = await replay(source, {
            format: command.format,
            defaultHost: command.host,
            deps: { store: stores.store, dedup: stores.dedup, rule: compileRule(config) },
            claims: stores.claims,
            onAlert: alertWriter(command.output, (text) => io.stdout.write(text)),
          });
          io.stderr.write(formatSummary(command.file === "-" ? "stdin" : command.file, summary));
        } finally {
          stores.close();
        }
        return EXIT_OK;
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`netutil-detector: ${error.message}\n\n${USAGE}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`netutil-detector: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

function memoryStores(dedup: boolean) {
  return {
    store: new MemoryLineageStore(),
    dedup: dedup ? new MemoryDedupStore(DEFAULT_DEDUP_WINDOW_MS) : new NoDedupStore(),
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
    if (info.isDirectory()) throw new UsageError(`${path} is a directory, not a telemetry file`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
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
  throw new UsageError("the bundled demo data is missing (lib/demo)");
}
