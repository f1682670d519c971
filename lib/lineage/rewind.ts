import type { ProcessRecord } from "./process-record.js";

/**
 * A stored record as it was before any event of this batch touched it (DESIGN §5, redelivery).
 *
 * Lambda redelivers a batch, or its tail, after a failed attempt that may already have written lineage. Read
 * back as is, those writes look like a later life of the pid: an `exec nc` whose own next image (nc exec'ing
 * `/bin/sh`) was written by the failed attempt would find a record newer than itself, the PID-reuse guard
 * would discard its exec chain, and the `/tmp` script behind it, and the alert, would be lost for good.
 *
 * Every image carries the tag of the event that wrote it (lib/lineage/event-tag.ts): images written by this
 * batch's own events are peeled off the front of the record, newest first, down to the first image from
 * before the batch. The batch then rebuilds them in order, exactly as the first attempt did; a duplicate of
 * an event already processed in an earlier batch is recognised the same way, and rebuilds the same record.
 * Returns undefined when every known image of the pid is this batch's own: the process is new to the batch.
 */
export function rewind(record: ProcessRecord, ownTags: ReadonlySet<string>): ProcessRecord | undefined {
  if (record.by === undefined || !ownTags.has(record.by)) return record;
  const chain = record.chain;
  for (let i = 0; i < chain.length; i++) {
    const image = chain[i]!;
    if (image.by !== undefined && ownTags.has(image.by)) continue;
    return {
      ...record,
      executable: image.executable,
      invokedPath: image.invokedPath,
      script: image.script,
      args: image.args,
      cwd: image.cwd,
      time: image.time,
      seq: image.seq,
      by: image.by,
      // The event id was the peeled image's.
      eventId: undefined,
      // The image id belonged to the peeled image; an earlier image's is not kept.
      entityId: undefined,
      chain: chain.slice(i + 1),
    };
  }
  return undefined;
}
