/**
 * When each host's pid allocator last came past each pid (DESIGN §5, stale parents).
 *
 * Linux hands out pids in increasing order and wraps at pid_max (32,768 on hosts that keep the old default):
 * a busy host reuses every pid within minutes or hours. A stored record of a pid whose holder died is then
 * taken for the parent of a later process with that ppid, typically the child of a fork that never exec'd
 * (a cron job's or a php-fpm worker's), which has no record of its own. auditd logs no fork and no exit, so
 * the allocator is what tells: the pids of new processes, seen at their exec, trace it. A record written before
 * the allocator last came past its pid belongs to an earlier holder, unless its process was still alive then
 * (the kernel skips a pid in use): alive means seen forking within ALIVE_GAP_MS of that pass, or of a class
 * that outlives any pass (lib/lineage/long-lived.ts; the caller decides).
 *
 * The pid space is traced in buckets of BUCKET pids: the time the allocator last entered each bucket, and the
 * time before that. Memory per host is a few KB on a 32,768 pid space. Observations out of time order (a
 * redelivery, events carried across invocations) are ignored, and a gap nothing was seen in answers
 * "unknown": the caller then trusts the record as it always did.
 */

/** Pids per bucket: the allocator's position is known to this resolution. */
export const BUCKET = 256;
/**
 * How far a new pid may lie ahead of the last one for the allocator to have simply moved on (threads and forks
 * without exec take pids too). Farther, or behind (a wrap to the first free pid above 300), needs a second pid
 * just after it to confirm: an old process exec'ing again reports an old pid, out of line once.
 */
export const STEP = 4096;
/**
 * A pid this close ahead of the last one is a fresh allocation: its process was forked just now, and has no
 * earlier image to look up. Kept small, so that a long-lived process exec'ing again with a pid just ahead of
 * the allocator (which skipped it) is rarely taken for a new one.
 */
export const FRESH_STEP = 1024;
/**
 * A record's process counts as alive at a pass of the allocator if it was seen (written, or forking) this soon
 * before it: a process that forked a child a few seconds earlier still holds its pid.
 */
export const ALIVE_GAP_MS = 10_000;
/**
 * A host silent this long may have gone round its whole pid space unseen (an idle stretch, a shipping outage):
 * the next pid behind the cursor is taken for the allocator's new position at once.
 */
export const SILENCE_MS = 10 * 60 * 1000;
/** Hosts traced at once; past it the tracing starts over (it is only ever an extra guard). */
const MAX_HOSTS = 50_000;
/** Pids remembered as seen alive per host; past it that memory starts over. */
const MAX_ALIVE = 8_192;

/**
 * Where a host's allocator is, traced from the pids of new processes in the stream's order. `observe` says
 * whether the pid was a fresh allocation: the allocator moved on to it by at most FRESH_STEP, so no earlier
 * image of that process can exist (it was forked just now).
 */
class Cursor {
  /** The last pid the allocator handed out, as far as is known. */
  at: number | undefined;
  /** The last observation's time: older ones are ignored. */
  last = Number.NEGATIVE_INFINITY;
  /** An out-of-line pid awaiting a second one just after it. */
  candidate: { pid: number; time: number } | undefined;
  /** The highest pid seen: the top of the pid space as far as is known. */
  top = 0;

  copy(): Cursor {
    const copy = new Cursor();
    copy.at = this.at;
    copy.last = this.last;
    copy.candidate = this.candidate;
    copy.top = this.top;
    return copy;
  }

  /** The allocator at `pid` at `time`; `moved(from, to, time)` for each stretch of pid space it passed. */
  observe(pid: number, time: number, moved?: (from: number, to: number, time: number) => void): boolean {
    if (time < this.last) return false;
    const silence = time - this.last;
    this.last = time;
    if (pid > this.top) this.top = pid;
    const cursor = this.at;
    if (cursor === undefined) {
      this.at = pid;
      return false;
    }
    const ahead = pid - cursor;
    if (ahead > 0 && ahead <= STEP) {
      moved?.(cursor, pid, time);
      this.at = pid;
      this.candidate = undefined;
      return ahead <= FRESH_STEP;
    }
    // After a long silence, a pid behind the cursor is the allocator's: it went round in the meantime.
    if (ahead < 0 && silence > SILENCE_MS) {
      this.#wrap(cursor, pid, time, moved);
      return false;
    }
    // Behind but close: a process forked a little earlier exec'ing now, or the same pid again.
    if (ahead <= 0 && ahead > -STEP) return false;
    const candidate = this.candidate;
    if (candidate !== undefined && pid > candidate.pid && pid - candidate.pid <= STEP) {
      if (candidate.pid < cursor) this.#wrap(cursor, pid, candidate.time, moved);
      else {
        moved?.(cursor, pid, candidate.time);
        this.at = pid;
        this.candidate = undefined;
      }
      return false;
    }
    this.candidate = { pid, time };
    return false;
  }

  /** The allocator went round from `cursor` to `pid`: everything above the one and up to the other was passed. */
  #wrap(
    cursor: number,
    pid: number,
    time: number,
    moved: ((from: number, to: number, time: number) => void) | undefined,
  ): void {
    moved?.(cursor, this.top + 1, time);
    moved?.(-1, pid, time);
    this.at = pid;
    this.candidate = undefined;
  }
}

class HostAllocator {
  readonly cursor = new Cursor();
  readonly entered = new Map<number, number>();
  readonly previous = new Map<number, number>();
  readonly alive = new Map<number, number>();
  readonly #moved = (from: number, to: number, time: number) => {
    for (let b = bucketOf(from) + 1; b <= bucketOf(to); b++) {
      const before = this.entered.get(b);
      if (before !== undefined) this.previous.set(b, before);
      this.entered.set(b, time);
    }
  };

  observe(pid: number, time: number): boolean {
    return this.cursor.observe(pid, time, this.#moved);
  }

  /** The latest time not after `at` that the allocator came past `pid`, or undefined when unknown. */
  lastPass(pid: number, at: number): number | undefined {
    const b = bucketOf(pid);
    const cursor = this.cursor.at;
    // In the cursor's own bucket, a pid above the cursor has not been reached yet on this round.
    const current =
      cursor !== undefined && b === bucketOf(cursor) && pid > cursor ? undefined : this.entered.get(b);
    if (current !== undefined && current <= at) return current;
    const before = this.previous.get(b);
    return before !== undefined && before <= at ? before : undefined;
  }

  seen(pid: number, time: number): void {
    if (this.alive.size >= MAX_ALIVE && !this.alive.has(pid)) this.alive.clear();
    const before = this.alive.get(pid);
    if (before === undefined || before < time) this.alive.set(pid, time);
  }
}

const bucketOf = (pid: number): number => Math.floor(pid / BUCKET);

/** The pid allocators of the hosts one container (or one CLI replay) has seen, in the stream's order. */
export class PidAllocations {
  readonly #hosts = new Map<string, HostAllocator>();

  #host(host: string): HostAllocator {
    let allocator = this.#hosts.get(host);
    if (allocator === undefined) {
      if (this.#hosts.size >= MAX_HOSTS) this.#hosts.clear();
      allocator = new HostAllocator();
      this.#hosts.set(host, allocator);
    }
    return allocator;
  }

  /**
   * A process exec'd: its pid traces the allocator (most execs follow their fork within milliseconds).
   * True when the pid was a fresh allocation (FRESH_STEP).
   */
  observe(host: string, pid: number, time: number): boolean {
    return this.#host(host).observe(pid, time);
  }

  /**
   * For a batch about to be resolved (lib/pipeline/process-batch.ts planBatch), in the order its events will
   * be observed, on copies of the hosts' cursors (nothing here changes): which keys can hold nothing the
   * container does not remember, because their pid was handed out since this host has been traced.
   * `own`: the event's pid is one the allocator moves on to now, or came past since; its process has no
   * earlier image from before. `parent` (after `own` for the same event): its parent's pid lies just behind
   * it, both in a stretch handed out since, so the parent was forked just before it (a cron job's or a
   * worker's fork, which never exec'd: no record anywhere).
   */
  planner(): {
    own(host: string, pid: number, time: number): boolean;
    parent(host: string, ppid: number, pid: number): boolean;
  } {
    // Per host: the cursor as this batch moves it, and where it stood before the batch.
    const copies = new Map<string, { cursor: Cursor; from: number | undefined }>();
    // Handed out since the host has been traced: passed before this batch, or by this batch so far.
    const traced = (host: string, pid: number) => {
      const copy = copies.get(host);
      const from = copy?.from;
      const at = copy?.cursor.at;
      if (from !== undefined && at !== undefined && from < pid && pid <= at) return true;
      return this.#hosts.get(host)?.lastPass(pid, Number.POSITIVE_INFINITY) !== undefined;
    };
    return {
      own: (host, pid, time) => {
        let copy = copies.get(host);
        if (copy === undefined) {
          const cursor = this.#hosts.get(host)?.cursor.copy() ?? new Cursor();
          copy = { cursor, from: cursor.at };
          copies.set(host, copy);
        }
        return copy.cursor.observe(pid, time) || traced(host, pid);
      },
      parent: (host, ppid, pid) =>
        pid - ppid > 0 && pid - ppid <= FRESH_STEP && traced(host, ppid) && traced(host, pid),
    };
  }

  /** The holder of `pid` was alive at `time` (it exec'd, or forked a child then). */
  seen(host: string, pid: number, time: number): void {
    this.#host(host).seen(pid, time);
  }

  /**
   * Whether a record of `pid` exec'd at `recordTime` belongs to an earlier holder of the pid than the one
   * alive at `at`: the allocator came past the pid after the record's process was last seen alive (with
   * ALIVE_GAP_MS to spare), and before `at`. False when that is not known.
   */
  superseded(host: string, pid: number, recordTime: number, at: number): boolean {
    const allocator = this.#hosts.get(host);
    if (allocator === undefined) return false;
    const pass = allocator.lastPass(pid, at);
    if (pass === undefined) return false;
    const seen = allocator.alive.get(pid);
    const alive = seen !== undefined && seen > recordTime && seen <= at ? seen : recordTime;
    return pass > alive + ALIVE_GAP_MS;
  }

  /** Forget everything: another container may have processed these hosts since (lib/lineage/tiered-store.ts). */
  clear(): void {
    this.#hosts.clear();
  }
}
