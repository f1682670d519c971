import { deaggregateSync } from "aws-kinesis-agg/lib/kpl-deagg.js";

/**
 * The Kinesis Producer Library's aggregated records (KPL aggregation format: a magic number, a protobuf
 * message of user records, an MD5 of it): a producer packs many events into one Kinesis record, so a shard's
 * 1,000 records a second carry many times more events. Deaggregated with awslabs' own module, checksums
 * verified: a record whose checksum does not match is malformed, never half-read.
 */
const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);

export interface UserRecord {
  readonly partitionKey: string;
  readonly data: Buffer;
}

export const isKplAggregated = (data: Buffer): boolean =>
  data.length >= KPL_MAGIC.length && data.subarray(0, KPL_MAGIC.length).equals(KPL_MAGIC);

/** An aggregated record's user records in order, or why it cannot be read. */
export function deaggregateKpl(
  data: Buffer,
  partitionKey: string,
): { readonly records: UserRecord[] } | { readonly error: string } {
  let result: { records: UserRecord[] } | { error: string } = { error: "KPL deaggregation gave no result" };
  try {
    deaggregateSync(
      { data: data.toString("base64"), partitionKey, sequenceNumber: "0" },
      true,
      (error, userRecords) => {
        result =
          error || userRecords === undefined
            ? { error: `KPL aggregated record: ${error?.message ?? "unreadable"}` }
            : {
                records: userRecords.map((r) => ({
                  partitionKey: r.partitionKey || partitionKey,
                  data: Buffer.from(r.data, "base64"),
                })),
              };
      },
    );
  } catch (error) {
    result = { error: `KPL aggregated record: ${(error as Error).message}` };
  }
  return result;
}
