/** What a run saw, for the CLI summary and (later) the handlers' metrics. */
export interface Counters {
  records: number;
  execEvents: number;
  skipped: number;
  /** Why records were skipped, by reason (bounded: reasons can quote telemetry, such as a Falco rule name). */
  skipReasons: Map<string, number>;
  malformed: number;
  alerts: number;
  suppressed: { loopback: number; allowlist: number; "benign-location": number; dedup: number };
}

export const newCounters = (): Counters => ({
  records: 0,
  execEvents: 0,
  skipped: 0,
  skipReasons: new Map(),
  malformed: 0,
  alerts: 0,
  suppressed: { loopback: 0, allowlist: 0, "benign-location": 0, dedup: 0 },
});

/** Distinct skip reasons kept; the rest are counted under one line. */
const MAX_SKIP_REASONS = 50;

export function countSkip(counters: Counters, reason: string): void {
  counters.skipped++;
  const key =
    counters.skipReasons.has(reason) || counters.skipReasons.size < MAX_SKIP_REASONS
      ? reason
      : "(other reasons)";
  counters.skipReasons.set(key, (counters.skipReasons.get(key) ?? 0) + 1);
}
