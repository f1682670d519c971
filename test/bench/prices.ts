/**
 * The list prices the benchmark's cost estimate uses: us-east-1, DynamoDB on-demand (Standard table class),
 * Lambda on arm64. One place, with where they come from:
 *
 *   DynamoDB: https://aws.amazon.com/dynamodb/pricing/on-demand/
 *   Lambda:   https://aws.amazon.com/lambda/pricing/
 *
 * As of 2026-12-03 (the figures of issue 11 and the README's cost table; the benchmark never goes online to
 * refresh them). Change them here when AWS does.
 */
export const PRICES = {
  asOf: "2026-12-03",
  region: "us-east-1",
  /** $ per write request unit (on-demand): $0.625 per million. */
  dynamodbWriteUnit: 0.625 / 1e6,
  /** $ per read request unit (on-demand): $0.125 per million. */
  dynamodbReadUnit: 0.125 / 1e6,
  /** $ per GB-month of table storage (Standard): the first 25 GB free tier is ignored. */
  dynamodbStorageGbMonth: 0.25,
  /** $ per GB-second of Lambda duration on arm64 (first tier). */
  lambdaArmGbSecond: 0.0000133334,
  /** $ per Lambda request: $0.20 per million. */
  lambdaRequest: 0.2 / 1e6,
} as const;
