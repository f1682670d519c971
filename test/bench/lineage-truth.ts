/**
 * The generator's ground truth about processes, against which the store phase judges the parent links the
 * pipeline produced (in the records it wrote and in the alerts it published).
 *
 * What auditd lets a pipeline know. An exec event names (host, pid, ppid, time, image). A fork is no event:
 * a process that forks without exec'ing (cron's job child, sshd's session child, a subshell, a php-fpm
 * worker) is a pid with no record, and its own parent is unknowable. Pids are recycled (pid_max wraps), so a
 * pid that names a process now may have named another one before: the record of the earlier holder is still
 * in the table, and a child of a fork-only process that got that pid looks like a child of the earlier holder.
 * Naming that earlier holder is a stale link.
 *
 * Definitions (all over successful execs, in stream order; an exec's `parentProc` is its parent at that exec):
 *
 * - An image of process P: an exec event of P. A claimed parent (host, pid, exec time or image) is "an image
 *   of" P when an exec of P has that pid and that time (records carry it), or that executable and compatible
 *   arguments before the alert (alert ancestors carry no time).
 *
 * - Link of an exec event E (the child's image) to its parent: the true parent is E.parentProc.
 *
 * - True ancestry of an alert's exec U (what the telemetry allows, at most MAX_DEPTH = 16):
 *     L0 = U; for k ≥ 1: a_k = parentProc(L_{k-1}); L_k = the last exec of a_k before L_{k-1}.
 *   It stops before a_k when a_k had no exec before L_{k-1}: a fork-only process (the telemetry cannot name
 *   it), init (never exec'd in the window), or a parent that only exec'd later (when the child exec'd, its
 *   ppid led to no record of it: nothing the pipeline could have linked). Each a_k is alive and holds its pid
 *   when L_{k-1} exec'd, and it is the last process that exec'd with that pid: a pipeline that looks the ppid
 *   up then finds a_k's record. This is the lineage the design denormalises at exec time (DESIGN §5).
 *
 * - Shallow alert: its ancestors x_1..x_m against the truth a_1..a_n: m < n (shorter than the telemetry
 *   allows), or some x_i that is not an image of the process the truth has at that depth (a wrong process;
 *   beyond n, the truth is continued through parents that exec'd after their child did, if any, and any
 *   further x_i names a process the telemetry could not know: wrong).
 */
import type { ProcessNode, ProcessRecord } from "../../lib/lineage/process-record.js";
import type { ProcessExec } from "./generate-telemetry.js";

export const MAX_DEPTH = 16;

/** One successful exec in stream order: an image of process `proc`. */
export interface TruthImage {
  readonly index: number;
  readonly exec: ProcessExec;
}

/** What the pipeline claims: a pid with an image (and its time when the source of the claim has one). */
export interface ClaimedImage {
  readonly pid: number;
  readonly executable: string;
  readonly args: readonly string[];
  readonly time?: number | undefined;
}

export type LinkVerdict = "correct" | "stale" | "unknown-image";

const key = (host: string, pid: number) => `${host}\u0000${pid}`;
/**
 * Whether a claimed executable is `actual`: the kernel appends " (deleted)" to an unlinked image, which a
 * decoder may keep or drop; a record cut to size keeps a long path's head and tail around an ellipsis
 * (lib/lineage/record-trim.ts cutPath).
 */
export function sameExecutable(claimed: string, actual: string): boolean {
  const whole = (path: string) => path.replace(/ \(deleted\)$/, "");
  if (claimed === actual || whole(claimed) === whole(actual)) return true;
  const cut = claimed.indexOf("…");
  return cut >= 0 && actual.startsWith(claimed.slice(0, cut)) && actual.endsWith(claimed.slice(cut + 1));
}

/**
 * Whether `claimed` args are `actual` as a pipeline may have cut them to fit a record or an alert: each arg
 * kept equal or shortened (an ellipsis at the cut), trailing args dropped, or all of them dropped.
 */
export function argsCompatible(claimed: readonly string[], actual: readonly string[]): boolean {
  if (claimed.length > actual.length) return false;
  return claimed.every((arg, i) => {
    const real = actual[i]!;
    if (arg === real) return true;
    const cut = arg.endsWith("…") ? arg.slice(0, -1) : arg;
    return real.startsWith(cut);
  });
}

export class LineageTruth {
  readonly images: readonly TruthImage[];
  readonly #byPid = new Map<string, TruthImage[]>();
  readonly #byProc = new Map<number, TruthImage[]>();
  readonly #byTime = new Map<string, TruthImage[]>();

  /** `execs` in stream order; failed execve attempts are left out (they load no image). */
  constructor(execs: readonly ProcessExec[]) {
    const images: TruthImage[] = [];
    for (const exec of execs) {
      if (exec.failed === true) continue;
      const image = { index: images.length, exec };
      images.push(image);
      push(this.#byPid, key(exec.host, exec.pid), image);
      push(this.#byProc, exec.proc, image);
      push(this.#byTime, `${key(exec.host, exec.pid)}\u0000${exec.time}`, image);
    }
    this.images = images;
  }

  /** The exec at (host, pid, time) with that executable (the image a record or an alert names by time). */
  imageAt(host: string, pid: number, time: number, executable?: string): TruthImage | undefined {
    const found = this.#byTime.get(`${key(host, pid)}\u0000${time}`) ?? [];
    return found.find((i) => executable === undefined || sameExecutable(executable, i.exec.exe));
  }

  /** The last exec of process `proc` before stream position `index`. */
  lastImageBefore(proc: number, index: number): TruthImage | undefined {
    const list = this.#byProc.get(proc) ?? [];
    let found: TruthImage | undefined;
    for (const image of list) {
      if (image.index >= index) break;
      found = image;
    }
    return found;
  }

  /** The processes whose images before `index` at (host, claimed pid) fit the claim. */
  candidates(host: string, claimed: ClaimedImage, index: number): Set<number> {
    const procs = new Set<number>();
    for (const image of this.#byPid.get(key(host, claimed.pid)) ?? []) {
      if (image.index >= index) break;
      const e = image.exec;
      if (claimed.time !== undefined && e.time !== claimed.time) continue;
      if (!sameExecutable(claimed.executable, e.exe) || !argsCompatible(claimed.args, e.args)) continue;
      procs.add(e.proc);
    }
    return procs;
  }

  /**
   * The true ancestry of image `of` (module comment): `truth` as far as the telemetry allows, then `beyond`,
   * parents that the telemetry could only have learnt later (each with the image it is linked through, or
   * undefined for the last: a process that never exec'd before the alert).
   */
  ancestry(of: TruthImage): {
    truth: TruthImage[];
    beyond: { proc: number; image: TruthImage | undefined }[];
  } {
    const truth: TruthImage[] = [];
    const beyond: { proc: number; image: TruthImage | undefined }[] = [];
    let child = of;
    while (truth.length + beyond.length < MAX_DEPTH) {
      const parent = child.exec.parentProc;
      if (parent === undefined) break;
      const linked = this.lastImageBefore(parent, child.index);
      if (linked !== undefined && beyond.length === 0) {
        truth.push(linked);
        child = linked;
        continue;
      }
      // Not knowable when the child exec'd: did it exec later, before the alert's image?
      const later = linked ?? this.lastImageBefore(parent, of.index);
      beyond.push({ proc: parent, image: later });
      if (later === undefined) break;
      child = later;
    }
    return { truth, beyond };
  }

  /**
   * Execs whose parent had exec'd but under another pid than the exec's ppid, or whose ppid another process
   * exec'd with since: impossible on a real host (a parent holds its pid while it lives); a generator bug that
   * would be blamed on the pipeline.
   */
  impossibleParents(): number {
    let count = 0;
    for (const image of this.images) {
      const parent = image.exec.parentProc;
      const linked = parent === undefined ? undefined : this.lastImageBefore(parent, image.index);
      if (linked === undefined) continue;
      if (linked.exec.host !== image.exec.host || linked.exec.pid !== image.exec.ppid) {
        count++;
        continue;
      }
      const list = this.#byPid.get(key(linked.exec.host, linked.exec.pid)) ?? [];
      if (list.some((i) => i.index > linked.index && i.index < image.index && i.exec.proc !== parent))
        count++;
    }
    return count;
  }

  /** A written record's link: its own image's true parent against its ancestors[0]. */
  judgeRecordLink(record: ProcessRecord): LinkVerdict | "unmatched" | "none" {
    const own = this.imageAt(record.host, record.pid, record.time, record.executable);
    if (own === undefined) return "unmatched";
    const claimed = record.ancestors[0];
    if (claimed === undefined) return "none";
    return this.#judge(record.host, own, claimed);
  }

  /** Whether `claimed`, a parent named for image `child`, is an image of the child's true parent. */
  #judge(host: string, child: TruthImage, claimed: ProcessNode): LinkVerdict {
    const named = this.imageAt(host, claimed.pid, claimed.time, claimed.executable);
    if (named === undefined) return "unknown-image";
    return named.exec.proc === child.exec.parentProc ? "correct" : "stale";
  }
}

/** An alert's ancestors as the store phase judges them. */
export interface AlertLineageCheck {
  readonly truthDepth: number;
  readonly alertDepth: number;
  /** 1-based depths of ancestors that are not an image of the process the truth has there. */
  readonly wrongAt: number[];
  readonly shallow: boolean;
  /** Parent links of the alert (process → ancestor 1 → …) judged, and the stale ones among them. */
  readonly links: number;
  readonly staleLinks: number;
}

/**
 * The alert of image `utility` (its process and `ancestors`, nearest first) against the truth. Each link
 * x_{i-1} → x_i is judged against the true parent of the process x_{i-1} names (the last process at that
 * pid whose image fits it, before the alert); a link whose child names no process is not judged.
 */
export function checkAlertLineage(
  truth: LineageTruth,
  utility: TruthImage,
  ancestors: readonly ClaimedImage[],
): AlertLineageCheck {
  const host = utility.exec.host;
  const { truth: chain, beyond } = truth.ancestry(utility);
  const expected = [...chain.map((i) => i.exec.proc), ...beyond.map((b) => b.proc)];
  const wrongAt: number[] = [];
  let links = 0;
  let staleLinks = 0;
  let child: TruthImage | undefined = utility;
  ancestors.forEach((claimed, i) => {
    const fits = truth.candidates(host, claimed, utility.index);
    const want = expected[i];
    if (want === undefined || !fits.has(want)) wrongAt.push(i + 1);
    if (child !== undefined) {
      links++;
      const parent = child.exec.parentProc;
      if (parent === undefined || !fits.has(parent)) staleLinks++;
    }
    // The next link's child: the process this ancestor names (the expected one when it fits, else the latest).
    const named: number | undefined =
      want !== undefined && fits.has(want)
        ? want
        : [...fits].reduce<number | undefined>(latestOf(truth, utility), undefined);
    child = named === undefined ? undefined : truth.lastImageBefore(named, utility.index);
  });
  return {
    truthDepth: chain.length,
    alertDepth: ancestors.length,
    wrongAt,
    shallow: ancestors.length < chain.length || wrongAt.length > 0,
    links,
    staleLinks,
  };
}

/** Reducer: of candidate processes, the one whose last image before the alert is the latest. */
const latestOf =
  (truth: LineageTruth, utility: TruthImage) =>
  (best: number | undefined, proc: number): number | undefined => {
    if (best === undefined) return proc;
    const a = truth.lastImageBefore(best, utility.index)?.index ?? -1;
    const b = truth.lastImageBefore(proc, utility.index)?.index ?? -1;
    return b > a ? proc : best;
  };

function push<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k);
  if (list === undefined) map.set(k, [v]);
  else list.push(v);
}
