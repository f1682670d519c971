/**
 * The one error base of the project. `retryable` tells a handler whether a redelivery can succeed
 * (throttling, a timeout) or whether the input itself is at fault; `context` carries what an operator
 * needs to find the record (host, pid, table, line).
 */
export class DetectorError extends Error {
  readonly retryable: boolean;
  readonly context: Readonly<Record<string, string | number | boolean | undefined>>;

  constructor(
    message: string,
    options: {
      retryable?: boolean;
      cause?: unknown;
      context?: Record<string, string | number | boolean | undefined>;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable ?? false;
    this.context = Object.freeze({ ...options.context });
  }
}

/** Bad user input to the CLI or a bad config file: exit code 2, never retried. */
export class UsageError extends DetectorError {}

/** An input the CLI cannot read (missing, a directory, corrupt or unsupported compression): exit code 2. */
export class InputError extends DetectorError {}

/** A config file that fails validation; `issues` names each bad key. */
export class ConfigError extends DetectorError {
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[], options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: false });
    this.issues = issues;
  }
}
