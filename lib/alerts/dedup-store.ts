/**
 * Alert deduplication (DESIGN §6): the first alert for a key goes out at once; repeats inside the window only
 * raise the count. In DynamoDB this is one UpdateItem per sighting; here, a Map for the CLI.
 *
 * Redelivery (Kinesis retries a batch from a failed record): the alert that opened a window is published,
 * then marked published. Sighted again before the mark (its publish failed), it is `first` again and goes out;
 * sighted again after, it is not. So a redelivered batch never publishes the same alert twice.
 */
export interface DedupResult {
  /** True when this alert opened its window and is not yet marked published: publish it. */
  readonly first: boolean;
  readonly count: number;
  readonly firstSeen: number;
}

export interface DedupStore {
  /** Records one sighting of `key` at `time` (epoch ms) by the alert `alertId` (stable per event). */
  record(key: string, alertId: string, time: number): Promise<DedupResult>;
  /** After a successful publish of the window's opener; `firstSeen` as `record` returned it. */
  markPublished(key: string, alertId: string, firstSeen: number): Promise<void>;
}

export const DEFAULT_DEDUP_WINDOW_MS = 60 * 60 * 1000;
/** Bounded like the lineage cache: a replay over millions of distinct keys must not grow without limit. */
const MAX_KEYS = 100_000;

export class MemoryDedupStore implements DedupStore {
  readonly #windows = new Map<
    string,
    { firstSeen: number; count: number; opener: string; published: boolean; ids: Set<string> }
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
        first: alertId === open.opener && !open.published,
        count: open.count,
        firstSeen: open.firstSeen,
      };
    }
    this.#windows.delete(key);
    this.#windows.set(key, {
      firstSeen: time,
      count: 1,
      opener: alertId,
      published: false,
      ids: new Set([alertId]),
    });
    if (this.#windows.size > MAX_KEYS) this.#windows.delete(this.#windows.keys().next().value as string);
    return { first: true, count: 1, firstSeen: time };
  }

  async markPublished(key: string, alertId: string): Promise<void> {
    const open = this.#windows.get(key);
    if (open !== undefined && open.opener === alertId) open.published = true;
  }
}

/** `--no-dedup`: every alert goes out. */
export class NoDedupStore implements DedupStore {
  async record(_key: string, _alertId: string, time: number): Promise<DedupResult> {
    return { first: true, count: 1, firstSeen: time };
  }

  async markPublished(): Promise<void> {}
}
