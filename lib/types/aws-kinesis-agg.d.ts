/**
 * The one module of aws-kinesis-agg the detection imports: its deaggregation, without the package index
 * (which also loads the aggregation side and declares its types against the v2 AWS SDK).
 */
declare module "aws-kinesis-agg/lib/kpl-deagg.js" {
  export interface UserRecord {
    partitionKey: string;
    explicitPartitionKey?: string;
    sequenceNumber: string;
    subSequenceNumber?: number;
    /** base64 */
    data: string;
  }
  export function deaggregateSync(
    kinesisRecord: { data: string; partitionKey: string; sequenceNumber: string },
    computeChecksums: boolean,
    afterRecordCallback: (err: Error | null | undefined, userRecords?: UserRecord[]) => void,
  ): void;
}

declare module "aws-kinesis-agg/lib/kpl-agg.js" {
  export class RecordAggregator {
    addUserRecord(record: { partitionKey: string; data: Buffer }): void;
    build(): { partitionKey: string; data: Buffer };
  }
}
