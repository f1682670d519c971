import type { DetectorError } from "../errors.js";

/**
 * Alert deduplication (DESIGN §6): the first alert for a key goes out at once; repeats inside the window only
 * raise the count. In DynamoDB this is one UpdateItem per key and window per batch; here, a Map for the CLI.
 *
 * Redelivery (a retried batch, a duplicate record) sights the window's opener again: it is `first` again, and
 * whether it still has to go out is the delivery claims' business (lib/alerts/delivery-claims.ts), which know
 * whether its publish went through. A window says which alert it stands for, not whether it was delivered.
 */
export interface DedupResult {
  /** True when this alert (by id) opened its window: the one alert of the window to deliver. */
  readonly first: boolean;
  readonly count: number;
  readonly firstSeen: number;
}

/** One sighting of a dedup `key` at `time` (epoch ms) by the alert `alertId` (stable per event). */
export interface Sighting {
  readonly key: string;
  readonly alertId: string;
  readonly time: number;
}

/**
 * A sighting's outcome, or why it has none: a retryable error (throttling, the deadline) fails its record for
 * a redelivery; one that is not (a value DynamoDB refuses) sets its record aside instead.
 */
export type DedupOutcome = DedupResult | { readonly error: DetectorError };

/** What an invocation may spend on its dedup round (lib/triggers/run-limits.ts). */
export interface DedupLimits {
  readonly now: () => number;
  /** Epoch ms after which no update starts: its sightings get a retryable error. */
  readonly deadline: number;
}

export interface DedupStore {
  /**
   * Records a batch's sightings; outcomes in the same order. The result of each is what recording them one
   * by one, in order, would give: a flood of hits on one key costs one update, not one per hit.
   */
  recordAll(sightings: readonly Sighting[], limits?: DedupLimits): Promise<DedupOutcome[]>;
}

export const isDedupError = (outcome: DedupOutcome): outcome is { readonly error: DetectorError } =>
  "error" in outcome;

export const DEFAULT_DEDUP_WINDOW_MS = 60 * 60 * 1000;
/** Bounded like the lineage cache: a replay over millions of distinct keys must not grow without limit. */
const MAX_KEYS = 100_000;

export class MemoryDedupStore implements DedupStore {
  readonly #windows = new Map<
    string,
    { firstSeen: number; count: number; opener: string; ids: Set<string> }
  >();
  readonly #windowMs: number;

  constructor(windowMs = DEFAULT_DEDUP_WINDOW_MS) {
    this.#windowMs = windowMs;
  }

  async recordAll(sightings: readonly Sighting[]): Promise<DedupOutcome[]> {
    return sightings.map((s) => this.record(s.key, s.alertId, s.time));
  }

  record(key: string, alertId: string, time: number): DedupResult {
    const open = this.#windows.get(key);
    if (open !== undefined && time - open.firstSeen < this.#windowMs && time >= open.firstSeen) {
      if (!open.ids.has(alertId)) {
        open.count++;
        if (open.ids.size < 1000) open.ids.add(alertId);
      }
      return {
        first: alertId === open.opener,
        count: open.count,
        firstSeen: open.firstSeen,
      };
    }
    this.#windows.delete(key);
    this.#windows.set(key, {
      firstSeen: time,
      count: 1,
      opener: alertId,
      ids: new Set([alertId]),
    });
    if (this.#windows.size > MAX_KEYS) this.#windows.delete(this.#windows.keys().next().value as string);
    return { first: true, count: 1, firstSeen: time };
  }
}

/** `--no-dedup`: every alert goes out. */
export class NoDedupStore implements DedupStore {
  async recordAll(sightings: readonly Sighting[]): Promise<DedupOutcome[]> {
    return sightings.map((s) => ({ first: true, count: 1, firstSeen: s.time }));
  }
}
