import { escapeAndTruncate } from "../alerts/escape.js";
import type { ReplaySummary } from "../pipeline/replay.js";
import type { DemoResult } from "./kinesis-demo.js";

/**
 * The stderr summary of a replay: what was read, what it produced, where the bad records are, and hints
 * (lib/cli/input-hints.ts) for an input that is almost right.
 */
export function formatSummary(input: string, summary: ReplaySummary, hints: readonly string[] = []): string {
  const c = summary.counters;
  const s = c.suppressed;
  const suppressed = s.loopback + s.allowlist + s["benign-location"] + s.dedup;
  const lines = [
    `netutil-detector: ${escapeAndTruncate(input, 200)}: ${c.records} records read, ${c.execEvents} exec events, ${c.alerts} alerts, ` +
      `${suppressed} suppressed (loopback ${s.loopback}, allowlist ${s.allowlist}, benign location ${s["benign-location"]}, dedup ${s.dedup}), ` +
      `${c.skipped} skipped (not exec events), ${c.malformed} malformed`,
    ...summary.malformed.map(
      (m) => `  malformed record at line ${m.line}: ${escapeAndTruncate(m.reason, 300)}`,
    ),
  ];
  if (c.malformed > summary.malformed.length) {
    lines.push(`  … and ${c.malformed - summary.malformed.length} more malformed records`);
  }
  // Skips are not errors, but a source configured to omit what the detector needs shows up only here.
  const reasons = [...c.skipReasons].sort((a, b) => b[1] - a[1]).slice(0, 5);
  for (const [reason, count] of reasons) lines.push(`  skipped ${count}: ${escapeAndTruncate(reason, 200)}`);
  for (const hint of hints) lines.push(`  hint: ${hint}`);
  return `${lines.join("\n")}\n`;
}

/** The demo's summary: what went through the Kinesis handler and what it cost in DynamoDB calls. */
export function formatDemoSummary(result: DemoResult): string {
  const c = result.counters;
  const s = c.suppressed;
  return (
    `netutil-detector demo: ${result.invocations} Kinesis handler invocations (lineage in an embedded dynalite, ` +
    `${result.storeCalls} DynamoDB calls): ${c.records} records, ${c.execEvents} exec events, ${c.alerts} alerts, ` +
    `suppressed loopback ${s.loopback}, allowlist ${s.allowlist}, benign location ${s["benign-location"]}, ` +
    `dedup ${s.dedup}; ${c.skipped} skipped, ${c.malformed} malformed (${result.quarantined} quarantined), ` +
    `${result.failedBatches} failed batches\n`
  );
}
