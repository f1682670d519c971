import { canonicalPath } from "../paths.js";
import { MAX_DEPTH, type ProcessImage, type ProcessNode, type ProcessRecord } from "./process-record.js";

/**
 * Evidence first: how a process record is cut to a size (record-codec.ts stores it under
 * MAX_RECORD_JSON_BYTES). What a child's verdict reads from its ancestors is their executables, invoked paths
 * and scripts (lib/rule/evaluate.ts, which this layer does not import: it keeps every path whatever the rule
 * makes of it), so those are cut last and only in a way that keeps where the file is. What matters least goes
 * first:
 *
 * 1. working directories, once the image's relative paths are placed against the whole one (the rule needs a
 *    cwd for nothing else);
 * 2. long args, down to a head (the program and its first argument: a script, a target), the record's own
 *    last; the args of earlier images first;
 * 3. user and session text;
 * 4. long paths, cut in the middle: the directory (what a location tier matches) and the file name stay;
 * 5. the middle of long exec chains: the nearest earlier image and the first one stay, then the nearest;
 * 6. the middle of the ancestors: the parent and the nearest that fit, and the top.
 *
 * Nothing here depends on the telemetry being sane: a 4 KB cwd of control characters (6 bytes each in JSON)
 * costs the record its cwd, never its lineage.
 */

interface ArgsCut {
  /** Arguments kept. */
  readonly count: number;
  /** Characters kept per argument. */
  readonly each: number;
  /** Characters kept in all; the argument that crosses it is cut. */
  readonly total: number;
}

interface Cut {
  /** Characters of each working directory. */
  readonly cwd: number;
  /** The record's own args: what its process ran, read again when its verdict is (process-batch rejudge). */
  readonly ownArgs: ArgsCut;
  /** Args of the ancestors' current images. */
  readonly args: ArgsCut;
  /** Args of earlier images (the record's and its ancestors'): their paths are the evidence. */
  readonly chainArgs: ArgsCut;
  /** Characters of user ids and names and of the session id. */
  readonly text: number;
  /** Characters of each executable, invoked path and script. */
  readonly path: number;
  /** Earlier images kept per process (cutChain). */
  readonly chain: number;
  /** Ancestors may be elided from the middle (the nearest that fit and the top stay). */
  readonly elide?: true;
  /** The floor drops the source's event id: a late earlier image of this process is then not judged again. */
  readonly dropEventId?: true;
}

const ALL = Number.POSITIVE_INFINITY;
const ARGS_1K: ArgsCut = { count: ALL, each: ALL, total: 1024 };
const ARGS_256: ArgsCut = { count: ALL, each: 256, total: 256 };
/** The program and its first argument (a script, a target). */
const HEAD: ArgsCut = { count: 2, each: 64, total: 128 };
const ARGV0: ArgsCut = { count: 1, each: 32, total: 32 };
const NONE: ArgsCut = { count: 0, each: 0, total: 0 };

/**
 * Tried in order until the record fits; each step keeps at most what the one before kept. Step 0 is an
 * ordinary record: 1 KB of args per image is plenty for triage. The floor fits by construction
 * (test/lineage/record-trim.test.ts runs the most hostile record through it).
 */
const STEPS: readonly Cut[] = [
  { cwd: ALL, ownArgs: ARGS_1K, args: ARGS_1K, chainArgs: ARGS_1K, text: ALL, path: ALL, chain: ALL },
  { cwd: 256, ownArgs: ARGS_1K, args: ARGS_1K, chainArgs: ARGS_1K, text: ALL, path: ALL, chain: ALL },
  { cwd: 32, ownArgs: ARGS_1K, args: ARGS_256, chainArgs: ARGS_256, text: ALL, path: ALL, chain: ALL },
  { cwd: 0, ownArgs: ARGS_256, args: HEAD, chainArgs: ARGV0, text: 64, path: ALL, chain: ALL },
  { cwd: 0, ownArgs: ARGS_256, args: HEAD, chainArgs: ARGV0, text: 64, path: 256, chain: ALL },
  { cwd: 0, ownArgs: ARGS_256, args: HEAD, chainArgs: NONE, text: 64, path: 256, chain: 2 },
  { cwd: 0, ownArgs: HEAD, args: ARGV0, chainArgs: NONE, text: 16, path: 128, chain: 2 },
  { cwd: 0, ownArgs: HEAD, args: ARGV0, chainArgs: NONE, text: 8, path: 128, chain: 1 },
  { cwd: 0, ownArgs: HEAD, args: ARGV0, chainArgs: NONE, text: 8, path: 128, chain: 1, elide: true },
  { cwd: 0, ownArgs: HEAD, args: NONE, chainArgs: NONE, text: 8, path: 64, chain: 1, elide: true },
  {
    cwd: 0,
    ownArgs: ARGV0,
    args: NONE,
    chainArgs: NONE,
    text: 8,
    path: 32,
    chain: 0,
    elide: true,
    dropEventId: true,
  },
];

/**
 * The first encoding of `record`, cut step by step, that `fits`; the floor's when none does (only a cap far
 * below MAX_RECORD_JSON_BYTES gets there). `maxBytes` skips the encoding of a step whose strings alone are
 * longer (each character is at least a byte): hostile telemetry costs no megabytes of JSON. An ordinary
 * record is encoded once.
 */
export function fitRecord<T>(
  record: ProcessRecord,
  encode: (record: ProcessRecord) => T,
  fits: (encoded: T) => boolean,
  maxBytes: number,
): T {
  const attempt = (candidate: ProcessRecord): T | undefined => {
    if (characters(candidate) > maxBytes) return undefined;
    const encoded = encode(candidate);
    return fits(encoded) ? encoded : undefined;
  };
  // More ancestors than a record holds (lineage caps them: only hostile input gets here) lose their middle.
  const capped =
    record.ancestors.length <= MAX_DEPTH
      ? record
      : { ...record, ancestors: [...record.ancestors.slice(0, MAX_DEPTH - 1), record.ancestors.at(-1)!] };
  for (const step of STEPS) {
    const cut = cutRecord(capped, step);
    const whole = attempt(cut);
    if (whole !== undefined) return whole;
    if (!step.elide || cut.ancestors.length === 0) continue;
    const elided = elideAncestors(cut, attempt);
    if (elided !== undefined) return elided;
  }
  // The floor with the parent alone, then without ancestors: the record must be stored whatever it holds.
  const floor = cutRecord(capped, STEPS[STEPS.length - 1]!);
  return attempt({ ...floor, ancestors: floor.ancestors.slice(0, 1) }) ?? encode({ ...floor, ancestors: [] });
}

/**
 * The record with the most nearest ancestors that fits, the top one kept after them; undefined when not even
 * the parent and the top fit. Monotonic (fewer ancestors never grow the record): a binary search.
 */
function elideAncestors<T>(
  record: ProcessRecord,
  attempt: (candidate: ProcessRecord) => T | undefined,
): T | undefined {
  const all = record.ancestors;
  const keep = (nearest: number): ProcessRecord => ({
    ...record,
    ancestors: nearest >= all.length - 1 ? all : [...all.slice(0, nearest), all[all.length - 1]!],
  });
  let best = attempt(keep(1));
  if (best === undefined) return undefined;
  let low = 1;
  let high = all.length - 2;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    const encoded = attempt(keep(mid));
    if (encoded === undefined) high = mid - 1;
    else {
      low = mid;
      best = encoded;
    }
  }
  return best;
}

/** Characters of the strings a record's JSON holds: a lower bound of its bytes. */
function characters(record: ProcessRecord): number {
  let n = (record.sessionId?.length ?? 0) + (record.eventId?.length ?? 0) + imageCharacters(record);
  for (const node of record.ancestors) n += imageCharacters(node);
  return n;
}

function imageCharacters(
  image: ProcessImage & { readonly user?: ProcessNode["user"]; readonly chain?: readonly ProcessImage[] },
): number {
  let n = image.executable.length + (image.invokedPath?.length ?? 0) + (image.script?.length ?? 0);
  n += (image.cwd?.length ?? 0) + (image.user?.id?.length ?? 0) + (image.user?.name?.length ?? 0);
  for (const arg of image.args) n += arg.length;
  for (const earlier of image.chain ?? []) n += imageCharacters(earlier);
  return n;
}

function cutRecord(record: ProcessRecord, cut: Cut): ProcessRecord {
  const out: ProcessRecord = {
    ...record,
    ...cutImage(record, cut, cut.ownArgs),
    sessionId: record.sessionId === undefined ? undefined : cutEnd(record.sessionId, cut.text),
    user: cutUser(record.user, cut),
    chain: cutChain(record.chain, cut),
    ancestors: record.ancestors.map((node) => cutNode(node, cut)),
  };
  return cut.dropEventId ? { ...out, eventId: undefined } : out;
}

/** Only the node fields: an ancestor held in memory is a whole ProcessRecord with its own ancestors. */
function cutNode(node: ProcessNode, cut: Cut): ProcessNode {
  return {
    pid: node.pid,
    ...cutImage(node, cut, cut.args),
    user: cutUser(node.user, cut),
    chain: cutChain(node.chain, cut),
  };
}

/**
 * The nearest earlier images and the first one (what the process was started as); one alone is the nearest
 * (what the process was just before: a dropper that exec'd into a shell).
 */
function cutChain(chain: readonly ProcessImage[], cut: Cut): ProcessImage[] {
  const kept =
    chain.length <= cut.chain
      ? chain
      : cut.chain <= 1
        ? chain.slice(0, cut.chain)
        : [...chain.slice(0, cut.chain - 1), chain[chain.length - 1]!];
  return kept.map((image) => cutImage(image, cut, cut.chainArgs));
}

function cutImage(image: ProcessImage, cut: Cut, args: ArgsCut): ProcessImage {
  const { cwd } = image;
  // A relative path means nothing without the whole cwd: placed first, it no longer needs one.
  const cwdCut = cwd !== undefined && cwd.length > cut.cwd;
  const path = (p: string) => cutPath(cwdCut ? placed(p, cwd) : p, cut.path);
  return {
    executable: path(image.executable),
    invokedPath: image.invokedPath === undefined ? undefined : path(image.invokedPath),
    script: image.script === undefined ? undefined : path(image.script),
    args: cutArgs(image.args, args),
    cwd: cwd === undefined || cut.cwd === 0 ? undefined : cutEnd(cwd, cut.cwd),
    time: image.time,
    seq: image.seq,
    by: image.by,
  };
}

function cutUser(user: ProcessNode["user"], cut: Cut): ProcessNode["user"] {
  if (user === undefined) return undefined;
  return {
    id: user.id === undefined ? undefined : cutEnd(user.id, cut.text),
    name: user.name === undefined ? undefined : cutEnd(user.name, cut.text),
  };
}

/**
 * A relative path placed against its cwd (`./x.sh` in /tmp/.d is /tmp/.d/x.sh), as the rule would place it.
 * `memfd:` names the kernel's anonymous file, not a file in the cwd.
 */
function placed(path: string, cwd: string | undefined): string {
  if (path.startsWith("/") || path.startsWith("memfd:")) return path;
  return canonicalPath(path, cwd) ?? path;
}

/**
 * A path cut to `max` characters in the middle: its head (the directory a location is recognised by) and its
 * tail (the file name, a " (deleted)" suffix) stay. `..` is resolved first, so that a cut can never turn
 * `/usr/bin/…/../../tmp/x` into a path under /usr/bin.
 */
export function cutPath(path: string, max: number): string {
  if (path.length <= max) return path;
  const whole = path.startsWith("/") ? (canonicalPath(path) ?? path) : path;
  if (whole.length <= max) return whole;
  const tail = Math.floor((max - 1) / 3);
  const head = max - 1 - tail;
  return `${sliceWhole(whole, 0, head)}…${sliceWhole(whole, whole.length - tail, whole.length)}`;
}

/** `text` cut to at most `max` characters, the last of them "…". */
export function cutEnd(text: string, max: number): string {
  if (text.length <= max) return text;
  return max <= 0 ? "" : `${sliceWhole(text, 0, max - 1)}…`;
}

/** The first arguments within the cut; the argument that crosses a limit is cut and ends with "…". */
export function cutArgs(args: readonly string[], cut: ArgsCut): readonly string[] {
  if (args.length <= cut.count && args.every((a) => a.length <= cut.each) && sum(args) <= cut.total)
    return args;
  const kept: string[] = [];
  let room = cut.total;
  for (const arg of args) {
    if (kept.length >= cut.count || room <= 0) break;
    const piece = cutEnd(arg, Math.min(cut.each, room));
    kept.push(piece);
    room -= piece.length;
  }
  return kept;
}

const sum = (args: readonly string[]): number => args.reduce((n, a) => n + a.length, 0);

/** `text.slice(start, end)` moved inward so that it never splits a surrogate pair. */
function sliceWhole(text: string, start: number, end: number): string {
  let from = start;
  let to = end;
  if (from > 0 && isLow(text.charCodeAt(from)) && isHigh(text.charCodeAt(from - 1))) from++;
  if (to < text.length && isLow(text.charCodeAt(to)) && isHigh(text.charCodeAt(to - 1))) to--;
  return text.slice(from, Math.max(from, to));
}

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff;
