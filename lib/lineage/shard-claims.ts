/**
 * Whether this container processed a Kinesis shard's previous batch (DESIGN §5, lineage v2). A shard's
 * records are processed in order, one batch at a time, but not always by the same container: Lambda moves a
 * shard to another execution environment when one is recycled, scaled or fails. What a container remembers of
 * the shard's hosts (lib/lineage/tiered-store.ts) holds only while no other container wrote in between; a
 * claim per batch tells.
 */
export interface ShardClaims {
  /**
   * Claims `shard` for this container's next batch. `continued`: this container claimed it last, and nobody
   * since. A claim that fails throws; the caller then trusts nothing it remembers.
   */
  claim(shard: string): Promise<{ continued: boolean }>;
  /**
   * After the batch: claims `shard` again, for the next batch to continue from. `undisturbed`: nobody claimed
   * it since this container's `claim`; otherwise another container ran a batch of it at the same time (Lambda
   * delivers some batches twice, even at once) and may have written after this one.
   */
  release(shard: string): Promise<{ undisturbed: boolean }>;
}

/** In memory, for tests: every claim continues, unless `takenElsewhere` says another container came between. */
export class MemoryShardClaims implements ShardClaims {
  readonly #held = new Set<string>();

  async claim(shard: string): Promise<{ continued: boolean }> {
    const continued = this.#held.has(shard);
    this.#held.add(shard);
    return { continued };
  }

  async release(shard: string): Promise<{ undisturbed: boolean }> {
    const undisturbed = this.#held.has(shard);
    this.#held.add(shard);
    return { undisturbed };
  }

  /** Another container processed `shard` since. */
  takenElsewhere(shard: string): void {
    this.#held.delete(shard);
  }
}
