import { escapeAndTruncate } from "../alerts/escape.js";
import { backoffDelay, type RetryOptions } from "../aws/retry.js";
import { DetectorError } from "../errors.js";

/**
 * POSTs one JSON payload to a Slack incoming webhook (or anything that answers like one), with bounded
 * retries inside the invocation's time budget. What is still failing after that is thrown as a retryable
 * DetectorError: the invocation fails and Lambda's asynchronous retries, then its on-failure queue, take over.
 *
 * The webhook URL is a bearer secret (whoever holds it can post to the channel): it never appears in an
 * error message, a context or a cause; errors name the endpoint's origin only.
 */
export interface WebhookPosterOptions {
  /** Node's global fetch by default; tests inject their own. */
  readonly fetch?: typeof fetch;
  /** Per-attempt limit in ms, response body included (default 3000). */
  readonly timeoutMs?: number;
  /** Attempts in all, the first included (default 3). */
  readonly maxAttempts?: number;
  /**
   * The longest HTTP 429 `Retry-After` waited for inside the invocation, in ms (default 10 s). A longer one
   * fails the attempt at once: Lambda's own retry comes a minute later, which honours it without spending
   * the function's time asleep.
   */
  readonly maxRetryAfterMs?: number;
  /** Backoff between transient failures (full jitter, lib/aws/retry.ts); defaults 200 ms doubling to 2 s. */
  readonly backoff?: Pick<RetryOptions, "baseDelayMs" | "maxDelayMs" | "random">;
  /** Injected by tests: resolves after `ms`. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected by tests: epoch ms. */
  readonly now?: () => number;
}

export interface PostOptions {
  /** Epoch ms by which the last attempt must be over (the Lambda's remaining time, minus a margin). */
  readonly deadline?: number;
  /** Named in errors and logs, e.g. the alert id. */
  readonly label?: string;
}

export const DEFAULT_POST_TIMEOUT_MS = 3_000;
export const DEFAULT_POST_ATTEMPTS = 3;
export const DEFAULT_MAX_RETRY_AFTER_MS = 10_000;
/** An attempt with less time than this left is not started: it could only time out. */
const MIN_ATTEMPT_MS = 250;
/** Slack answers `ok` or an error code; a hostile or broken endpoint must not fill memory or the logs. */
const MAX_BODY_BYTES = 2_048;
const LOGGED_BODY_CHARS = 200;

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class WebhookPoster {
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #maxRetryAfterMs: number;
  readonly #backoff: Pick<RetryOptions, "baseDelayMs" | "maxDelayMs" | "random">;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;

  constructor(options: WebhookPosterOptions = {}) {
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_POST_TIMEOUT_MS;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_POST_ATTEMPTS);
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
    this.#backoff = { baseDelayMs: 200, maxDelayMs: 2_000, ...options.backoff };
    this.#sleep = options.sleep ?? realSleep;
    this.#now = options.now ?? Date.now;
  }

  /** Resolves once the endpoint answered 2xx; throws a DetectorError (retryable or not) otherwise. */
  async post(url: string, payload: unknown, options: PostOptions = {}): Promise<void> {
    const endpoint = safeOrigin(url);
    const body = JSON.stringify(payload);
    const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
    const context = (attempts: number, extra: Record<string, string | number> = {}) => ({
      endpoint,
      attempts,
      ...(options.label !== undefined && { label: options.label }),
      ...extra,
    });
    const what = `Slack webhook post${options.label === undefined ? "" : ` of ${options.label}`} to ${endpoint}`;

    for (let attempt = 1; ; attempt++) {
      const budget = Math.min(this.#timeoutMs, deadline - this.#now());
      if (budget < MIN_ATTEMPT_MS) {
        throw new DetectorError(`${what}: no time left for attempt ${attempt} (deadline reached)`, {
          retryable: true,
          context: context(attempt - 1),
        });
      }
      const outcome = await this.#attempt(url, body, budget);
      if (outcome.kind === "ok") return;
      if (outcome.kind === "rejected") {
        // Slack's 4xx are about the payload or the hook itself (no_service, invalid_token,
        // channel_is_archived): sending the same again cannot help.
        throw new DetectorError(
          `${what} rejected: HTTP ${outcome.status}: ${redact(outcome.body, url, LOGGED_BODY_CHARS)}`,
          { retryable: false, context: context(attempt, { status: outcome.status }) },
        );
      }
      const reason = redact(outcome.reason, url, 300);
      const status = outcome.status === undefined ? {} : { status: outcome.status };
      if (attempt >= this.#maxAttempts) {
        throw new DetectorError(`${what} failed after ${attempt} attempts: ${reason}`, {
          retryable: true,
          context: context(attempt, status),
        });
      }
      let wait = backoffDelay(attempt, this.#backoff);
      if (outcome.retryAfterMs !== undefined) {
        if (outcome.retryAfterMs > this.#maxRetryAfterMs) {
          throw new DetectorError(
            `${what}: rate limited for ${Math.ceil(outcome.retryAfterMs / 1000)} s (Retry-After), more than this invocation waits`,
            { retryable: true, context: context(attempt, status) },
          );
        }
        // Never sooner than Slack asked: an early retry only earns another 429.
        wait = outcome.retryAfterMs;
      }
      if (this.#now() + wait + MIN_ATTEMPT_MS > deadline) {
        throw new DetectorError(`${what}: ${reason}; no time left to retry before the deadline`, {
          retryable: true,
          context: context(attempt, status),
        });
      }
      await this.#sleep(wait);
    }
  }

  async #attempt(url: string, body: string, timeoutMs: number): Promise<AttemptOutcome> {
    try {
      const response = await this.#fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        // A redirect would carry the alert somewhere the operator did not configure.
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Read (or cancel) the body within the same timeout: it frees the keep-alive connection.
      const text = await readCapped(response, MAX_BODY_BYTES);
      if (response.ok) return { kind: "ok" };
      const status = response.status;
      if (status === 429) {
        const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), this.#now());
        return {
          kind: "transient",
          status,
          reason: `HTTP 429 (rate limited)${retryAfterMs === undefined ? "" : `, Retry-After ${Math.ceil(retryAfterMs / 1000)} s`}`,
          ...(retryAfterMs !== undefined && { retryAfterMs }),
        };
      }
      if (status >= 500) return { kind: "transient", status, reason: `HTTP ${status}: ${text}` };
      return { kind: "rejected", status, body: text };
    } catch (error) {
      // Timeouts (AbortSignal.timeout → TimeoutError) and network failures (fetch's TypeError, whose
      // cause holds ECONNRESET & co.): the request may never have arrived, so it is worth another try.
      return { kind: "transient", reason: describeFetchError(error, timeoutMs) };
    }
  }
}

type AttemptOutcome =
  | { kind: "ok" }
  | { kind: "rejected"; status: number; body: string }
  | { kind: "transient"; reason: string; status?: number; retryAfterMs?: number };

/**
 * `Retry-After` as delta-seconds (what Slack sends) or an HTTP date; undefined when absent or unreadable
 * (the usual backoff applies then).
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,9}$/.test(trimmed)) return Number(trimmed) * 1000;
  // An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") only: Date.parse reads "1.5" or "-1" as dates too.
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The scheme and host of the webhook: enough for an operator, none of the secret path. */
export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid webhook URL)";
  }
}

/**
 * Text from the endpoint or the HTTP stack, with the URL and its secret path taken out (an error message may
 * quote the request), escaped (a hostile endpoint must not forge log lines) and capped.
 */
export function redact(text: string, url: string, max: number): string {
  let out = text;
  const secrets = [url];
  try {
    const parsed = new URL(url);
    secrets.push(parsed.href, `${parsed.pathname}${parsed.search}`, parsed.pathname);
  } catch {
    // An unparsable URL is removed as given.
  }
  for (const secret of secrets.filter((s) => s.length > 1).sort((a, b) => b.length - a.length)) {
    out = out.replaceAll(secret, "[webhook]");
  }
  return escapeAndTruncate(out, max);
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    // Past the cap the rest is not worth a read; cancelling releases the connection.
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString("utf8");
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  const e = error as { name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return `timed out after ${timeoutMs} ms`;
  const code = typeof e?.cause?.code === "string" ? ` (${e.cause.code})` : "";
  const message = typeof e?.message === "string" ? e.message : String(error);
  const cause = typeof e?.cause?.message === "string" ? `: ${e.cause.message}` : "";
  return `${String(e?.name ?? "Error")}: ${message}${cause}${code}`;
}
