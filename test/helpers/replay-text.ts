import type { Alert } from "../../lib/alerts/alert.js";
import { MemoryDedupStore } from "../../lib/alerts/dedup-store.js";
import { MemoryLineageStore } from "../../lib/lineage/memory-store.js";
import { replay } from "../../lib/pipeline/replay.js";
import { compileRule } from "../../lib/rule/compile-rule.js";
import type { InputFormat } from "../../lib/telemetry/input-format.js";
import { chunked } from "./samples.js";

/** Streams text through the CLI's replay (in-memory lineage and dedup, default rule), in small chunks. */
export async function replayText(text: string | Buffer, format: InputFormat = "auto", sizes?: number[]) {
  const alerts: Alert[] = [];
  const deps = { store: new MemoryLineageStore(), dedup: new MemoryDedupStore(), rule: compileRule() };
  const summary = await replay(chunked(text, sizes), {
    format,
    defaultHost: "vm",
    deps,
    onAlert: (a) => alerts.push(a),
  });
  return { alerts, summary };
}

/** What a test compares of an alert: which process, which utility, which file, how it was found. */
export const alertSummary = (alerts: readonly Alert[]) =>
  alerts.map((a) => ({
    pid: a.process.pid,
    utility: a.utility.name,
    path: a.location.path,
    kind: a.location.kind,
  }));
