import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import { INPUT_FORMATS, type InputFormat, isInputFormat } from "../telemetry/input-format.js";
import { OUTPUT_FORMATS, type OutputFormat } from "./alert-output.js";

export const USAGE = `Usage:
  netutil-detector replay [--format ${INPUT_FORMATS.join("|")}] [--output ${OUTPUT_FORMATS.join("|")}]
                          [--config FILE] [--no-dedup] [--host NAME]
                          [--store memory|dynamodb [--endpoint URL] --table NAME] FILE|-
  netutil-detector demo [--output ${OUTPUT_FORMATS.join("|")}]   (runs the bundled demo through the Kinesis handler)
  netutil-detector --help | --version

Replays exec telemetry (auditd raw logs, laurel JSON lines, ECS, native JSON) through process lineage and
the rule "network utility executed from a writable location". Alerts go to stdout (text report, or one
JSON alert per line with --output json); a summary of what was read goes to stderr.

  --format   input format; auto (default) detects it per record
  --output   text (default); json: one alert document per line; ocsf: one OCSF Detection Finding per line;
             email: the subject and body recipients get; slack: one Block Kit payload per line
  --config   YAML or JSON tuning file: utilities, tiers, allowlist (see README)
  --no-dedup report every alert, not the first per utility and location within an hour
  --host     host name for records that carry none (auditd lines without node=); default "unknown"
  --store    where lineage and dedup live: memory (default) or dynamodb, the Lambda's table (--table NAME;
             --endpoint URL for DynamoDB Local or dynalite; credentials and region from the AWS environment)

Exit status: 0 when the input was processed (alerts or not), 2 for usage, config or unreadable input.`;

export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | {
      kind: "replay";
      file: string;
      format: InputFormat;
      output: OutputFormat;
      config: string | undefined;
      dedup: boolean;
      host: string;
      store: "memory" | "dynamodb";
      endpoint: string | undefined;
      table: string | undefined;
    }
  | { kind: "demo"; output: OutputFormat };

export function parseCommand(argv: readonly string[]): Command {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  const [command, ...rest] = positionals;
  const output = values.output ?? "text";
  if (!(OUTPUT_FORMATS as readonly string[]).includes(output)) {
    throw new UsageError(`--output must be one of ${OUTPUT_FORMATS.join(", ")}, not "${output}"`);
  }
  if (command === "demo") {
    if (rest.length > 0) throw new UsageError(`demo takes no file (got "${rest[0]}")`);
    return { kind: "demo", output: output as OutputFormat };
  }
  if (command !== "replay") {
    throw new UsageError(
      command === undefined ? "a command is required: replay or demo" : `unknown command "${command}"`,
    );
  }
  const format = values.format ?? "auto";
  if (!isInputFormat(format))
    throw new UsageError(`--format must be one of ${INPUT_FORMATS.join(", ")}, not "${format}"`);
  if (rest.length !== 1)
    throw new UsageError(
      rest.length === 0 ? "replay needs a FILE (or - for stdin)" : "replay takes one FILE",
    );
  const store = values.store ?? "memory";
  if (store !== "memory" && store !== "dynamodb") {
    throw new UsageError(`--store must be memory or dynamodb, not "${store}"`);
  }
  if (store === "dynamodb" && values.table === undefined)
    throw new UsageError("--store dynamodb needs --table NAME");
  if (store === "memory" && (values.table !== undefined || values.endpoint !== undefined)) {
    throw new UsageError("--table and --endpoint go with --store dynamodb");
  }
  if (values.endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(values.endpoint)) {
    throw new UsageError(`--endpoint must be an http(s) URL, not "${values.endpoint}"`);
  }
  return {
    kind: "replay",
    file: rest[0]!,
    format,
    output: output as OutputFormat,
    config: values.config,
    dedup: !values["no-dedup"],
    host: values.host ?? "unknown",
    store,
    endpoint: values.endpoint,
    table: values.table,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      format: { type: "string", short: "f" },
      output: { type: "string", short: "o" },
      config: { type: "string", short: "c" },
      "no-dedup": { type: "boolean" },
      host: { type: "string" },
      store: { type: "string" },
      endpoint: { type: "string" },
      table: { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean" },
    },
  });
}
