/**
 * ExecEvent: the one normalized shape every telemetry source is decoded into (DESIGN §3).
 * Names follow ECS where ECS has one. Times are epoch milliseconds.
 */

export const SOURCE_FORMATS = [
  "auditd",
  "laurel",
  "ecs",
  "native",
  "tetragon",
  "falco",
  "osquery",
  "sysmon",
  "ocsf",
  "datadog",
] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

export interface ExecProcess {
  pid: number;
  ppid: number;
  /** Resolved path of the image the kernel loaded (auditd `exe`, for a script the interpreter). */
  executable: string;
  /** The path handed to execve when it differs from `executable` (a symlink, or the script of a shebang). */
  invokedPath?: string;
  args: string[];
  /** The source cut the argument list or an argument (auditd `argc` larger than the args it logged, …). */
  argsTruncated?: boolean;
  cwd?: string;
  /** Process start (epoch ms) when the source knows it; guards against PID reuse. */
  start?: number;
  entityId?: string;
  /** Script file run by an interpreter, when the source names it (laurel `SCRIPT`). */
  script?: string;
  /**
   * Audit login session (`ses`), inherited across fork and exec; "4294967295" when unset. A record from
   * another session is a different process that reused the pid (see lib/lineage/resolve-lineage.ts).
   */
  sessionId?: string;
}

/** `cwd`: the process's working directory when the telemetry gives it, to place a relative script (`bash ./x.sh`). */
export interface ExecParent {
  pid: number;
  executable?: string;
  args?: string[];
  cwd?: string;
  entityId?: string;
}

export interface ExecAncestor {
  pid?: number;
  executable: string;
  args?: string[];
  cwd?: string;
}

export interface ExecEvent {
  host: { name: string; id?: string };
  container?: { id: string; image?: string };
  /** `auditId` is the audit login uid (auid): who logged in, whatever uid they switched to since. */
  user: { id?: string; name?: string; auditId?: string };
  process: ExecProcess;
  parent?: ExecParent;
  /** Ancestors carried by the telemetry itself, nearest first (parent excluded when `parent` is set). */
  ancestors?: ExecAncestor[];
  /** Event time, epoch ms. */
  time: number;
  /** `sequence`: the source's order of its events (the audit serial), for events of the same millisecond. */
  source: { format: SourceFormat; eventId: string; sequence?: number };
}
