import type { Alert } from "./alert.js";

/**
 * Where alerts go: SNS in the Lambda, the console in the CLI and the demo. A failure that a retry can fix
 * (throttling, a 5xx) throws a DetectorError with `retryable: true`; the trigger then fails the record.
 */
export interface AlertPublisher {
  publish(alert: Alert): Promise<void>;
}
