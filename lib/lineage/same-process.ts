import { basename } from "../paths.js";
import { execBefore } from "./process-record.js";
import { REAPERS, REPARENT_WINDOW_MS } from "./reapers.js";

/** What telemetry tells of one image of a pid: enough to say whether two images are one process. */
export interface Incarnation {
  readonly ppid: number;
  /** When the image was exec'd, epoch ms, and the source's sequence of the exec. */
  readonly time: number;
  readonly seq?: number | undefined;
  /** Process start (fork time) when the source knows it. */
  readonly start?: number | undefined;
  /** Audit login session. */
  readonly sessionId?: string | undefined;
}

/** The audit session id of a process that never logged in. */
export const UNSET_SESSION = "4294967295";

/**
 * Whether `earlier`, an image of a pid exec'd before `later`, is an image of the same process, or of an
 * earlier holder of the pid (pids are reused: every 32768 forks on hosts that keep the old pid_max).
 *
 * The parent is the everyday evidence: a process keeps its ppid across exec. It changes in one way only: the
 * parent exits and the kernel re-parents the process to init or to the nearest subreaper. Daemonising droppers
 * do exactly that before they run their payload, so a changed ppid cannot simply mean "another process". It is
 * accepted when the new parent is init or a known reaper (`laterParent`, its executable when known) and the
 * identity still holds: the same start time, the same login session, or, where the telemetry has neither
 * (auditd under a daemon: session unset), an earlier image so recent that the pid cannot have been reused.
 */
export function sameProcess(earlier: Incarnation, later: Incarnation, laterParent?: string): boolean {
  if (!execBefore(earlier, later)) return false;
  // A record from before this process started belongs to an earlier holder of the pid.
  if (later.start !== undefined && earlier.time < later.start) return false;
  if (earlier.start !== undefined && later.start !== undefined) {
    if (earlier.start !== later.start) return false;
    return sameSession(earlier.sessionId, later.sessionId);
  }
  if (!sameSession(earlier.sessionId, later.sessionId)) return false;
  if (earlier.ppid === later.ppid) return true;
  if (!reparented(later.ppid, laterParent)) return false;
  const session = later.sessionId;
  if (session !== undefined && session !== UNSET_SESSION && session === earlier.sessionId) return true;
  return later.time - earlier.time <= REPARENT_WINDOW_MS;
}

/**
 * A process keeps its audit session across fork and exec; the session changes only from unset to a new one,
 * at login (pam_loginuid), and never back. So an older image from another session is not this process or
 * its parent but an earlier holder of the pid: auditd logs no fork and no start time.
 */
export function sameSession(older: string | undefined, newer: string | undefined): boolean {
  return older === undefined || newer === undefined || older === newer || older === UNSET_SESSION;
}

/** Whether a process whose parent is `ppid` (running `parentExecutable`) may have been re-parented to it. */
export function reparented(ppid: number, parentExecutable: string | undefined): boolean {
  return ppid === 1 || (parentExecutable !== undefined && REAPERS.has(basename(parentExecutable)));
}
