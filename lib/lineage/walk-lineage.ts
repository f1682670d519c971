import type { ExecEvent } from "../telemetry/exec-event.js";
import { eventTag } from "./event-tag.js";
import type { Lineage } from "./lineage.js";
import {
  execBefore,
  MAX_CHAIN,
  MAX_DEPTH,
  type ProcessImage,
  type ProcessNode,
  type ProcessRecord,
  processKey,
} from "./process-record.js";
import { imageOf, incarnation } from "./resolve-lineage.js";
import { sameProcess } from "./same-process.js";

/**
 * An event's lineage rebuilt by walking the stored records parent by parent (ppid), not from the ancestors a
 * record copied when it was written. Those copies are only as complete as the store was at that moment: when
 * a process's parent was delivered after it (CloudWatch Logs envelopes processed out of order), every record
 * below it copied a lineage without it. A walk reads one level per round, so it is kept for the events that
 * need it (lib/pipeline/pending-events.ts, waiting utilities), never for the batch.
 *
 * `fetch` returns the records of the keys it is given that exist (the caller's store, after its own cache).
 * The walk stops at a pid that is not there (`missing`: the walk may go further once it is delivered), at
 * init or a kernel thread (ppid 0 or 1), at MAX_DEPTH, or at a record newer than its child (the pid was
 * reused since).
 */
export async function walkLineage(
  events: readonly ExecEvent[],
  fetch: (keys: readonly string[]) => Promise<ReadonlyMap<string, ProcessRecord>>,
): Promise<Map<ExecEvent, { lineage: Lineage; missing: number | undefined }>> {
  const known = new Map<string, ProcessRecord | null>();
  const load = async (keys: Iterable<string>) => {
    const wanted = [...new Set(keys)].filter((k) => !known.has(k));
    if (wanted.length === 0) return;
    const found = await fetch(wanted);
    for (const key of wanted) known.set(key, found.get(key) ?? null);
  };

  interface Walk {
    readonly event: ExecEvent;
    ancestors: ProcessNode[];
    /** The pid to read next, with the time its child started (a parent is older than its child). */
    next: { pid: number; before: number } | undefined;
    missing: number | undefined;
  }
  await load(events.map((e) => processKey(e.host.name, e.process.pid)));
  const walks: Walk[] = events.map((event) => {
    // A process re-parented since its earlier image (lib/lineage/same-process.ts) is walked from the parent
    // that started it: init or a reaper says nothing of where it came from.
    const own = known.get(processKey(event.host.name, event.process.pid));
    const from =
      own && own.ppid !== event.process.ppid && earlierImage(event, own)
        ? { pid: own.ppid, before: own.time }
        : { pid: event.process.ppid, before: event.time };
    return { event, ancestors: [], next: from.pid > 1 ? from : undefined, missing: undefined };
  });

  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const open = walks.filter((w) => w.next !== undefined);
    if (open.length === 0) break;
    await load(open.map((w) => processKey(w.event.host.name, w.next!.pid)));
    for (const walk of open) {
      const { pid, before } = walk.next!;
      const record = known.get(processKey(walk.event.host.name, pid));
      walk.next = undefined;
      if (record === null || record === undefined) {
        walk.missing = pid;
        continue;
      }
      if (record.time > before) continue;
      walk.ancestors.push(record);
      if (record.ppid > 1 && walk.ancestors.length < MAX_DEPTH)
        walk.next = { pid: record.ppid, before: record.time };
    }
  }

  const out = new Map<ExecEvent, { lineage: Lineage; missing: number | undefined }>();
  for (const walk of walks) {
    const { event } = walk;
    out.set(event, {
      lineage: {
        chain: chainOf(event, known.get(processKey(event.host.name, event.process.pid))),
        ancestors: walk.ancestors,
      },
      missing: walk.missing,
    });
  }
  return out;
}

/**
 * The earlier images of the event's process in its pid's record: those after the event's own image when the
 * record holds it (its tag), else those older than the event. Another process's record (another parent) has
 * none of them.
 */
function chainOf(event: ExecEvent, own: ProcessRecord | null | undefined): readonly ProcessImage[] {
  if (own === null || own === undefined) return [];
  if (own.ppid !== event.process.ppid && !earlierImage(event, own)) return [];
  const images: ProcessImage[] = [own, ...own.chain];
  const tag = eventTag(event.source.eventId);
  const self = images.findIndex((image) => image.by === tag);
  const at = { time: event.time, seq: event.source.sequence };
  const earlier =
    self >= 0 ? images.slice(self + 1) : images.filter((image) => image.by !== tag && execBefore(image, at));
  return earlier.slice(0, MAX_CHAIN).map(imageOf);
}

/**
 * `own`, the pid's record under another parent, holds an earlier image of the event's process, which was
 * re-parented since (lib/lineage/same-process.ts).
 */
function earlierImage(event: ExecEvent, own: ProcessRecord): boolean {
  if (own.by === eventTag(event.source.eventId)) return false;
  const parent = event.parent?.pid === event.process.ppid ? event.parent.executable : undefined;
  return sameProcess(own, incarnation(event), parent);
}
