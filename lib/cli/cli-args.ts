import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import { DEFAULT_MEMORY_BYTES } from "../lineage/memory-store.js";
import { INPUT_FORMATS, type InputFormat, isInputFormat } from "../telemetry/input-format.js";
import { OUTPUT_FORMATS, type OutputFormat } from "./alert-output.js";

const MIB = 1024 * 1024;
/** --cache: 1 TiB at most (more is a typo, not a machine). */
const MAX_CACHE_MIB = 1024 * 1024;

/** The synopsis: the first lines of --help, and the README's CLI section verbatim (a test holds them equal). */
export const SYNOPSIS = `netutil-detector replay [--format FORMAT] [--output OUTPUT] [--config FILE] [--no-dedup] [--host NAME]
                        [--strict] [--triage] [--cache MIB]
                        [--store memory|dynamodb [--endpoint URL] --table NAME] FILE|-
netutil-detector demo [--output OUTPUT] [--triage]
netutil-detector --help | --version

  FORMAT  ${INPUT_FORMATS.join("|")}
  OUTPUT  ${OUTPUT_FORMATS.join("|")}`;

/** Exit statuses, as --help and the README state them. */
export const EXIT_STATUS = {
  ok: 0,
  internal: 1,
  usage: 2,
  strict: 3,
} as const;

/** What each exit status means, in --help's words (the README's table says the same: a test holds them). */
export const EXIT_MEANINGS: readonly (readonly [number, string])[] = [
  [EXIT_STATUS.ok, "the input was processed, alerts or not; or the reader of stdout went away (| head)"],
  [EXIT_STATUS.internal, "an internal error (reported with its stack trace), or stdout could not be written"],
  [EXIT_STATUS.usage, "a usage error, an invalid config file or an unreadable input (one line on stderr)"],
  [EXIT_STATUS.strict, "--strict: a malformed record, or no exec event in the input"],
];

export const USAGE = `Usage:
${SYNOPSIS.replace(/^(?=.)/gm, "  ")}

replay reads exec telemetry from FILE, or stdin with -, gzip-compressed or not (audit.log.2.gz), through
process lineage and the rule "network utility executed from a writable location". Alerts go to stdout in
event-time order; a summary of what was read, with hints for inputs that are almost right, goes to stderr.
demo runs the bundled demo through the Kinesis handler, with an embedded dynalite as DynamoDB.

  --format   auto (default) detects the source per record; or one of the sources: auditd raw lines,
             laurel JSON lines, ECS (Auditbeat, Elastic Agent), native JSON, Tetragon, Falco JSON, osquery
             process_events, Sysmon for Linux, OCSF Process Activity, Datadog Workload Protection
  --output   text (default): a report per alert with its process tree and the targets parsed from its
             arguments, the triage steps once at the end; json: one alert document per line; ocsf: one OCSF
             Detection Finding per line; email: the subject and body recipients get; slack: one Block Kit
             payload per line
  --triage   text: the triage steps in every alert, not once at the end
  --config   YAML or JSON tuning file: utilities, tiers, allowlist (see README)
  --no-dedup report every alert, not the first per utility and location within an hour
  --host     host name for records that carry none (auditd lines without node=); default "unknown"
  --strict   for scripts: exit ${EXIT_STATUS.strict} when a record is malformed or the input holds no exec event
  --cache    memory for process lineage, in MiB (estimated; default ${DEFAULT_MEMORY_BYTES / MIB}): past it the least recently
             used processes are forgotten, and their children that exec later miss that part of their lineage
  --store    where lineage and dedup live: memory (default) or dynamodb, the Lambda's table (--table NAME;
             --endpoint URL for DynamoDB Local or dynalite; credentials and region from the AWS environment)

Exit status:
${EXIT_MEANINGS.map(([code, meaning]) => `  ${code}  ${meaning}`).join("\n")}`;

export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | {
      kind: "replay";
      file: string;
      format: InputFormat;
      output: OutputFormat;
      triage: boolean;
      strict: boolean;
      config: string | undefined;
      dedup: boolean;
      host: string;
      /** Whether --host was given (the hint for records without a host is about the default). */
      hostGiven: boolean;
      store: "memory" | "dynamodb";
      /** Bytes of lineage the memory store may hold (--cache, in MiB). */
      cacheBytes: number;
      endpoint: string | undefined;
      table: string | undefined;
    }
  | { kind: "demo"; output: OutputFormat; triage: boolean };

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
  const triage = values.triage === true;
  if (command === "demo") {
    if (rest.length > 0) throw new UsageError(`demo takes no file (got "${rest[0]}")`);
    const replayOnly = REPLAY_ONLY.find((option) => values[option] !== undefined);
    if (replayOnly !== undefined) throw new UsageError(`--${replayOnly} goes with replay, not demo`);
    return { kind: "demo", output: output as OutputFormat, triage };
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
  if (store === "dynamodb" && values.cache !== undefined)
    throw new UsageError("--cache goes with --store memory");
  if (values.endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(values.endpoint)) {
    throw new UsageError(`--endpoint must be an http(s) URL, not "${values.endpoint}"`);
  }
  return {
    kind: "replay",
    file: rest[0]!,
    format,
    output: output as OutputFormat,
    triage,
    strict: values.strict === true,
    config: values.config,
    dedup: !values["no-dedup"],
    host: values.host ?? "unknown",
    hostGiven: values.host !== undefined,
    store,
    cacheBytes: values.cache === undefined ? DEFAULT_MEMORY_BYTES : cacheMiB(values.cache) * MIB,
    endpoint: values.endpoint,
    table: values.table,
  };
}

/** Options that mean nothing to demo: refused there rather than silently ignored. */
const REPLAY_ONLY = [
  "format",
  "config",
  "no-dedup",
  "host",
  "strict",
  "cache",
  "store",
  "endpoint",
  "table",
] as const;

function cacheMiB(text: string): number {
  const mib = /^[0-9]{1,7}$/.test(text) ? Number(text) : Number.NaN;
  if (!(mib >= 1 && mib <= MAX_CACHE_MIB))
    throw new UsageError(`--cache must be a whole number of MiB from 1 to ${MAX_CACHE_MIB}, not "${text}"`);
  return mib;
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
      strict: { type: "boolean" },
      triage: { type: "boolean" },
      cache: { type: "string" },
      store: { type: "string" },
      endpoint: { type: "string" },
      table: { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean" },
    },
  });
}
