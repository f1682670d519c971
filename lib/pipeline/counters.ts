/** What a run saw, for the CLI summary and (later) the handlers' metrics. */
export interface Counters {
  records: number;
  execEvents: number;
  skipped: number;
  malformed: number;
  alerts: number;
  suppressed: { loopback: number; allowlist: number; "benign-location": number; dedup: number };
}

export const newCounters = (): Counters => ({
  records: 0,
  execEvents: 0,
  skipped: 0,
  malformed: 0,
  alerts: 0,
  suppressed: { loopback: 0, allowlist: 0, "benign-location": 0, dedup: 0 },
});
