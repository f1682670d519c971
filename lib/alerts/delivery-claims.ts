/**
 * Exactly-once delivery of an alert id to one destination (SNS publish, a Slack post) although every trigger
 * delivers at least once: Kinesis and CloudWatch Logs redeliver after a failure, Lambda may run two invocations
 * of one batch at once, SNS may deliver a message twice.
 *
 * A claim with a lease, not a bare "read, deliver, then write":
 *
 *   claim    posted: skip; claimed by another live lease: in flight elsewhere (wait for it, or retry later);
 *            else take the claim until `leaseUntil`.
 *   deliver  publish / post.
 *   mark     `posted`: final, whoever wrote it.
 *   release  on a failed delivery, end the claim now (only if still ours), so that the retry may claim at once.
 *
 * The lease ends by itself, so a claimant that crashed (timeout, out of memory) blocks nobody for longer than
 * its lease. What no claim can close: a crash after the destination accepted and before the mark; the retry
 * then finds an expired claim and delivers again. Neither SNS nor Slack webhooks take an idempotency key.
 */
export type ClaimResult =
  | { readonly kind: "claimed"; readonly token: string }
  | { readonly kind: "posted" }
  | { readonly kind: "in-flight"; readonly leaseUntil: number };

export interface DeliveryClaims {
  /** Claims `alertId` until `leaseUntil` (epoch ms) unless it was delivered or another claim is live. */
  claim(alertId: string, leaseUntil: number): Promise<ClaimResult>;
  /** After the destination accepted it. */
  markPosted(alertId: string): Promise<void>;
  /** After a failed delivery: the claim ends now, if it is still `token`'s. */
  release(alertId: string, token: string): Promise<void>;
}

/** Delivered ids a process remembers (the CLI's whole replay; a Lambda container's life). */
const REMEMBERED = 100_000;

/**
 * In one process (the CLI, unit tests): the same protocol over a Map, bounded like the lineage cache, so
 * that an alert id seen again in a later batch of a replay (a duplicated record) is printed once.
 */
export class MemoryDeliveryClaims implements DeliveryClaims {
  readonly #claims = new Map<string, { posted: boolean; token: string; leaseUntil: number }>();
  readonly #now: () => number;
  #tokens = 0;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async claim(alertId: string, leaseUntil: number): Promise<ClaimResult> {
    const held = this.#claims.get(alertId);
    if (held?.posted) return { kind: "posted" };
    if (held !== undefined && held.leaseUntil >= this.#now())
      return { kind: "in-flight", leaseUntil: held.leaseUntil };
    const token = `memory-${++this.#tokens}`;
    this.#claims.set(alertId, { posted: false, token, leaseUntil });
    if (this.#claims.size > REMEMBERED) this.#claims.delete(this.#claims.keys().next().value as string);
    return { kind: "claimed", token };
  }

  async markPosted(alertId: string): Promise<void> {
    this.#claims.set(alertId, { posted: true, token: "", leaseUntil: 0 });
  }

  async release(alertId: string, token: string): Promise<void> {
    const held = this.#claims.get(alertId);
    if (held !== undefined && !held.posted && held.token === token) held.leaseUntil = 0;
  }
}

/** A bounded set of ids, oldest forgotten first. */
export class RecentIds {
  readonly #ids = new Set<string>();
  readonly #capacity: number;

  constructor(capacity = REMEMBERED) {
    this.#capacity = capacity;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  add(id: string): void {
    this.#ids.delete(id);
    this.#ids.add(id);
    if (this.#ids.size > this.#capacity) this.#ids.delete(this.#ids.values().next().value as string);
  }
}
