/**
 * The store phase's cost per million exec events, from the priced call log (./call-log.ts), the measured
 * handler time and the list prices (./prices.ts). DynamoDB figures are what AWS would bill for the calls the
 * run made; the Lambda figure is an estimate (below).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { StorageEstimate, UnitTotals } from "./call-log.js";
import { PRICES } from "./prices.js";

export interface CostInput {
  /** Events the units and the handler time were measured over. */
  readonly events: number;
  /** Units by item kind (`p`, `q`, `d`, `publish`, …). */
  readonly byKind: ReadonlyMap<string, UnitTotals>;
  readonly storage: StorageEstimate;
  /** Events that left the stored items (the history's too). */
  readonly storageEvents: number;
  /** Handler wall time over the run (s), on this machine. */
  readonly handlerSeconds: number;
  readonly memoryMb: number;
  /** Records per invocation (the event source mapping's batch size). */
  readonly batchSize: number;
}

export interface CostLine {
  readonly item: string;
  /** Units (or GB-months, GB-seconds, requests) per event, with their unit name. */
  readonly perEvent: number;
  readonly unit: string;
  readonly usdPerMillion: number;
}

export interface StoreCost {
  readonly lines: readonly CostLine[];
  readonly writeUnitsPerEvent: number;
  readonly readUnitsPerEvent: number;
  readonly usdPerMillionEvents: number;
}

const KIND_NAMES: Readonly<Record<string, string>> = {
  p: "process records (p|)",
  q: "pending audit events (q|)",
  d: "dedup windows (d|)",
  publish: "delivery claims (publish|)",
};
const kindName = (kind: string): string => KIND_NAMES[kind] ?? `${kind}| items`;
/** Kinds in a stable order: the known ones first, as in KIND_NAMES. */
const kindOrder = (a: string, b: string): number => {
  const known = Object.keys(KIND_NAMES);
  const rank = (k: string) => (known.includes(k) ? known.indexOf(k) : known.length);
  return rank(a) - rank(b) || a.localeCompare(b);
};

export function storeCost(input: CostInput): StoreCost {
  const { events } = input;
  const million = 1e6 / events;
  const lines: CostLine[] = [];
  const kinds = [...input.byKind.keys()].sort(kindOrder);
  let writeUnits = 0;
  let readUnits = 0;
  for (const kind of kinds) {
    const t = input.byKind.get(kind)!;
    writeUnits += t.writeUnits;
    if (t.writeUnits > 0) {
      lines.push({
        item: `DynamoDB writes: ${kindName(kind)}`,
        perEvent: t.writeUnits / events,
        unit: "WRU",
        usdPerMillion: t.writeUnits * million * PRICES.dynamodbWriteUnit,
      });
    }
  }
  for (const kind of kinds) {
    const t = input.byKind.get(kind)!;
    readUnits += t.readUnits;
    if (t.readUnits > 0) {
      lines.push({
        item: `DynamoDB reads: ${kindName(kind)}`,
        perEvent: t.readUnits / events,
        unit: "RRU",
        usdPerMillion: t.readUnits * million * PRICES.dynamodbReadUnit,
      });
    }
  }
  lines.push({
    item: "DynamoDB storage: live items + 100 B each, kept to their TTL",
    perEvent: input.storage.gbMonths / input.storageEvents,
    unit: "GB-month",
    usdPerMillion: (input.storage.gbMonths * 1e6 * PRICES.dynamodbStorageGbMonth) / input.storageEvents,
  });
  // Estimate: the handler's wall time here (which includes the embedded dynalite, in the same process, and
  // local round trips instead of network ones) at the function's memory on arm64.
  const gbSeconds = (input.handlerSeconds * input.memoryMb) / 1024;
  lines.push({
    item: `Lambda duration (estimate: ${input.memoryMb} MB arm64, wall time measured here)`,
    perEvent: gbSeconds / events,
    unit: "GB-s",
    usdPerMillion: gbSeconds * million * PRICES.lambdaArmGbSecond,
  });
  lines.push({
    item: `Lambda requests (${input.batchSize.toLocaleString("en-US")} records per invocation)`,
    perEvent: 1 / input.batchSize,
    unit: "requests",
    usdPerMillion: (1e6 / input.batchSize) * PRICES.lambdaRequest,
  });
  return {
    lines,
    writeUnitsPerEvent: writeUnits / events,
    readUnitsPerEvent: readUnits / events,
    usdPerMillionEvents: lines.reduce((n, line) => n + line.usdPerMillion, 0),
  };
}

/**
 * The detection function's memory in serverless.yml: the kinesis function's own `memorySize`, else the
 * provider's. A line scan, not a YAML parse: the file's CloudFormation tags (!Ref, !GetAtt) need a schema.
 */
export function kinesisMemoryMb(serverlessYml: string): number {
  const lines = serverlessYml.split("\n");
  const indent = (line: string) => line.length - line.trimStart().length;
  const blockOf = (start: number): string[] => {
    const out: string[] = [];
    const base = indent(lines[start]!);
    for (let i = start + 1; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.trim() !== "" && !line.trimStart().startsWith("#") && indent(line) <= base) break;
      out.push(line);
    }
    return out;
  };
  const memoryAt = (block: string[], depth: number): number | undefined => {
    for (const line of block) {
      const m = /^(\s*)memorySize:\s*(\d+)\s*$/.exec(line);
      if (m !== null && m[1]!.length === depth) return Number(m[2]);
    }
    return undefined;
  };
  const functions = lines.indexOf("functions:");
  const kinesis =
    functions < 0 ? -1 : lines.findIndex((l, i) => i > functions && /^ {2}kinesis:\s*$/.test(l));
  const own = kinesis < 0 ? undefined : memoryAt(blockOf(kinesis), 4);
  const provider = lines.indexOf("provider:");
  const shared = provider < 0 ? undefined : memoryAt(blockOf(provider), 2);
  const memory = own ?? shared;
  if (memory === undefined) throw new Error("serverless.yml: no memorySize for the kinesis function");
  return memory;
}

/** serverless.yml of the checkout: the first one up from this module (test/bench/ or the bundle in dist/). */
export function serverlessYmlPath(from = import.meta.url): string {
  for (let dir = dirname(fileURLToPath(from)); ; dir = dirname(dir)) {
    const path = join(dir, "serverless.yml");
    if (existsSync(path)) return path;
    if (dirname(dir) === dir) throw new Error(`no serverless.yml above ${fileURLToPath(from)}`);
  }
}
