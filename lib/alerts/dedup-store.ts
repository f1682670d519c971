/**
 * Alert deduplication (DESIGN §6): the first alert for a key goes out at once; repeats inside the window only
 * raise the count. In DynamoDB this is one UpdateItem per sighting; here, a Map for the CLI.
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

export interface DedupStore {
  /** Records one sighting of `key` at `time` (epoch ms) by the alert `alertId` (stable per event). */
  record(key: string, alertId: string, time: number): Promise<DedupResult>;
}

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

  async record(key: string, alertId: string, time: number): Promise<DedupResult> {
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
  async record(_key: string, _alertId: string, time: number): Promise<DedupResult> {
    return { first: true, count: 1, firstSeen: time };
  }
}
