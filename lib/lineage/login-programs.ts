import { basename } from "../paths.js";
import { UNSET_SESSION } from "./same-process.js";

/**
 * Programs that open a login session in their own process after their exec (pam_loginuid) and then fork the
 * session's first process: sshd's per-connection process, login(1), cron's and atd's job runners, display
 * managers. Of a process whose session is unset, only these can be the parent of one whose session is set.
 */
export const LOGIN_PROGRAMS: ReadonlySet<string> = new Set([
  "sshd",
  "sshd-session",
  "login",
  "cron",
  "crond",
  "atd",
  "gdm-session-worker",
  "lightdm",
  "sddm-helper",
  "xrdp-sesman",
  "systemd",
]);

/**
 * How long after its exec a login program forks the session's processes: authentication (sshd's
 * LoginGraceTime is two minutes) and the login itself, with room to spare.
 */
export const LOGIN_WINDOW_MS = 10 * 60 * 1000;

/**
 * Whether a process of session `childSession` started at `since` may be the child of `parent`, whose session
 * was unset when it exec'd: only through a login the parent made since (LOGIN_PROGRAMS, within
 * LOGIN_WINDOW_MS). Without that, the parent record is an earlier holder of the pid: the child of a cron job's
 * fork (which has no record) meets whatever ran under that pid before. True where sessions say nothing.
 */
export function loginMayLink(
  parent: { readonly executable: string; readonly sessionId?: string | undefined; readonly time: number },
  childSession: string | undefined,
  since: number,
): boolean {
  if (parent.sessionId !== UNSET_SESSION) return true;
  if (childSession === undefined || childSession === UNSET_SESSION) return true;
  return LOGIN_PROGRAMS.has(basename(parent.executable)) && since - parent.time <= LOGIN_WINDOW_MS;
}
