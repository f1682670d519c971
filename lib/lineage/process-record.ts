/**
 * What lineage keeps per process (DESIGN §5): one record per (host, pid), the latest image winning, with the
 * earlier images of the same pid (exec chain) and the ancestors denormalised nearest first, so that a child
 * needs one read whatever its depth.
 */

/** Ancestors beyond this depth are dropped (DESIGN §4.2: max depth 16). */
export const MAX_DEPTH = 16;
/** Earlier images kept per process: a loader that replaces itself more often than this is noise anyway. */
export const MAX_CHAIN = 8;
/** Args kept per image: enough for triage, bounded so a record stays far below DynamoDB's 400 KB item limit. */
export const MAX_ARGS = 32;
export const MAX_ARG_LENGTH = 512;

/** One image a process ran (a record keeps its current one and its earlier ones). */
export interface ProcessImage {
  readonly executable: string;
  readonly invokedPath?: string | undefined;
  /** Absolute, normalised script path when the image is an interpreter running a file. */
  readonly script?: string | undefined;
  readonly args: readonly string[];
  readonly cwd?: string | undefined;
  /** When this image started (its exec), epoch ms. */
  readonly time: number;
  /** Tag of the event that wrote this image (lib/lineage/event-tag.ts): a redelivery recognises its own. */
  readonly by?: string | undefined;
  /** The source's sequence of the exec (the audit serial): orders two execs of one millisecond. */
  readonly seq?: number | undefined;
}

/**
 * Whether image `a` was exec'd before image `b`: by time, then by the source's sequence. Two images of one
 * millisecond without a sequence count as in order (the stream's order is all there is).
 */
export function execBefore(
  a: { readonly time: number; readonly seq?: number | undefined },
  b: { readonly time: number; readonly seq?: number | undefined },
): boolean {
  if (a.time !== b.time) return a.time < b.time;
  return a.seq === undefined || b.seq === undefined || a.seq <= b.seq;
}

/** A process as an ancestor: its current image, who ran it, and its earlier images. */
export interface ProcessNode extends ProcessImage {
  readonly pid: number;
  readonly user?: { readonly id?: string | undefined; readonly name?: string | undefined } | undefined;
  /** Earlier images of the same pid, nearest first. */
  readonly chain: readonly ProcessImage[];
}

export interface ProcessRecord extends ProcessNode {
  readonly host: string;
  readonly ppid: number;
  /** Process start when the source knows it (fork time), else undefined: `time` is the exec time. */
  readonly start?: number | undefined;
  /** Audit login session (see ExecProcess.sessionId). */
  readonly sessionId?: string | undefined;
  /** The source's id of this process image (Tetragon exec_id, ECS entity_id), when it has one. */
  readonly entityId?: string | undefined;
  readonly ancestors: readonly ProcessNode[];
  /** The ancestors stop at a parent that was not known when this record was written (resolve-lineage.ts). */
  readonly incomplete?: boolean | undefined;
  /** The source's id of the event of the current image: a late earlier image judges it again (process-batch). */
  readonly eventId?: string | undefined;
  /**
   * This process as its children's ancestor, when whoever holds the record keeps one node for all of them
   * (lib/lineage/held-record.ts): a child points to it, not to the whole record, so its record holds no
   * ancestors' ancestors and the store need not copy its list of ancestors to drop them. Without one, a
   * child points to the record itself. Not stored.
   */
  readonly node?: ProcessNode | undefined;
}

/** What a child of `record` holds as its parent (ProcessRecord.node). */
export const asAncestor = (record: ProcessRecord): ProcessNode => record.node ?? record;

/** A child's ancestors: its parent's node `first`, then the parent's ancestors, capped at MAX_DEPTH. */
export function prependAncestor(first: ProcessNode, rest: readonly ProcessNode[]): ProcessNode[] {
  const length = Math.min(rest.length + 1, MAX_DEPTH);
  const out: ProcessNode[] = new Array(length);
  out[0] = first;
  for (let i = 1; i < length; i++) out[i] = rest[i - 1]!;
  return out;
}

export const processKey = (host: string, pid: number): string => `${host}\u0000${pid}`;

export function capArgs(args: readonly string[]): readonly string[] {
  if (args.length <= MAX_ARGS && args.every((a) => a.length <= MAX_ARG_LENGTH)) return args;
  return args
    .slice(0, MAX_ARGS)
    .map((a) => (a.length > MAX_ARG_LENGTH ? `${a.slice(0, MAX_ARG_LENGTH)}…` : a));
}
