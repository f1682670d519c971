import { RecordAggregator } from "aws-kinesis-agg/lib/kpl-agg.js";

/** A KPL aggregated record as awslabs' aggregator (the KPL's own format) builds it. */
export function aggregated(records: readonly { partitionKey: string; data: Buffer | string }[]): Buffer {
  const aggregator = new RecordAggregator();
  for (const r of records)
    aggregator.addUserRecord({ partitionKey: r.partitionKey, data: Buffer.from(r.data) });
  return aggregator.build().data;
}
