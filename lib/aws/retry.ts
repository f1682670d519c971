import { DetectorError } from "../errors.js";

/**
 * Bounded retries with exponential backoff and full jitter for the AWS adapters (DESIGN §7).
 *
 * The SDK already retries a throttled or failed call (its standard retry mode). What it cannot retry is a
 * call that succeeds partly: BatchGetItem's `UnprocessedKeys`, BatchWriteItem's `UnprocessedItems`, the
 * `Failed` entries of SNS PublishBatch and SQS SendMessageBatch. `retryPartial` retries those; `withRetries`
 * is for an error the SDK did not retry. Both stop after `maxAttempts` so that a Lambda fails the record
 * (and Kinesis redelivers it) well before its own timeout.
 *
 * Full jitter (a uniform delay between 0 and the exponential ceiling) spreads the retries of many concurrent
 * invocations, which is what a throttled table needs: equal jitter still sends them in waves.
 */
export interface RetryOptions {
  /** Attempts in all, the first one included (default 6). */
  readonly maxAttempts?: number;
  /** Ceiling of the first delay in ms (default 50): the ceiling doubles after every attempt. */
  readonly baseDelayMs?: number;
  /** Cap of the ceiling in ms (default 2000). */
  readonly maxDelayMs?: number;
  /** Injected by tests: resolves after `ms`. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected by tests: uniform in [0, 1). */
  readonly random?: () => number;
}

/** With the defaults the sleeps add up to at most 50 + 100 + 200 + 400 + 800 = 1.55 s. */
export const DEFAULT_RETRY = Object.freeze({ maxAttempts: 6, baseDelayMs: 50, maxDelayMs: 2000 });

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The delay after failed attempt `attempt` (1 for the first): uniform in [0, min(cap, base · 2^(attempt−1))). */
export function backoffDelay(attempt: number, options: RetryOptions = {}): number {
  const base = options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const cap = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  return Math.floor((options.random ?? Math.random)() * ceiling);
}

/**
 * Runs `operation` until it resolves, retrying (after a backoff) only errors that `retryIf` accepts
 * (default: `isRetryableAwsError`); the last error is rethrown as is.
 */
export async function withRetries<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions & { readonly retryIf?: (error: unknown) => boolean } = {},
): Promise<T> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_RETRY.maxAttempts);
  const retryIf = options.retryIf ?? isRetryableAwsError;
  const sleep = options.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= maxAttempts || !retryIf(error)) throw error;
      await sleep(backoffDelay(attempt, options));
    }
  }
}

/**
 * Runs `step` on what is pending until nothing is: `step` sends `pending` and returns what the service left
 * unprocessed, or undefined when it took everything. Returns undefined when all went through, else what was
 * still pending after `maxAttempts` steps (the caller decides: usually a retryable DetectorError). Errors
 * thrown by `step` propagate at once.
 */
export async function retryPartial<P>(
  pending: P,
  step: (pending: P, attempt: number) => Promise<P | undefined>,
  options: RetryOptions = {},
): Promise<P | undefined> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_RETRY.maxAttempts);
  const sleep = options.sleep ?? realSleep;
  let left: P | undefined = pending;
  for (let attempt = 1; left !== undefined; attempt++) {
    left = await step(left, attempt);
    if (left === undefined || attempt >= maxAttempts) return left;
    await sleep(backoffDelay(attempt, options));
  }
  return undefined;
}

/** Error names (smithy sets `name` to the service's error code) that mean "slow down and try again". */
const THROTTLING = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  // KMS behind an encrypted SNS topic or SQS queue throttles too.
  "KMSThrottlingException",
  "KmsThrottled",
  "Throttling",
  "ThrottledException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "SlowDown",
  "InternalServerError",
  "InternalFailure",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  // Client-side timeouts of the SDK's HTTP handler.
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
]);

/** Socket-level failures (Node's `code`): the request may not even have reached the service. */
const NETWORK = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
]);

/**
 * Whether a redelivery can succeed: throttling, a 5xx or 429, an error the SDK itself marks `$retryable`, a
 * network failure, or a DetectorError that says so. Validation errors, missing tables and denied access are
 * not: retrying them only delays the record reaching its failure destination.
 */
export function isRetryableAwsError(error: unknown): boolean {
  if (error instanceof DetectorError) return error.retryable;
  if (typeof error !== "object" || error === null) return false;
  const e = error as {
    name?: unknown;
    code?: unknown;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  if (e.$retryable !== undefined && e.$retryable !== null && e.$retryable !== false) return true;
  if (typeof e.name === "string" && THROTTLING.has(e.name)) return true;
  if (typeof e.code === "string" && (NETWORK.has(e.code) || THROTTLING.has(e.code))) return true;
  const status = e.$metadata?.httpStatusCode;
  return typeof status === "number" && (status >= 500 || status === 429);
}

/**
 * One AWS call's failure as a DetectorError: what failed, on what, and whether a redelivery can succeed (the
 * SDK has already retried throttling by then).
 */
export function awsCallError(
  what: string,
  error: unknown,
  context: Record<string, string | number | boolean | undefined>,
): DetectorError {
  const name = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  return new DetectorError(`${what} failed: ${name}: ${message}`, {
    retryable: isRetryableAwsError(error),
    cause: error,
    context,
  });
}

/** `call()`, its failure rethrown as awsCallError(what, …, context): the adapters' one way to call AWS. */
export async function callAws<T>(
  what: string,
  context: Record<string, string | number | boolean | undefined>,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw awsCallError(what, error, context);
  }
}
