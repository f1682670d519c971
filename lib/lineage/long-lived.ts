import { basename } from "../paths.js";
import { interpreterFamily, unversioned } from "./interpreter.js";
import type { ProcessRecord } from "./process-record.js";
import { REAPERS } from "./reapers.js";

/**
 * Processes that may become parents long after their exec (DESIGN §5, lineage v2): what a later batch, a
 * container that took over a shard, or a child forked after the host's pid allocator came round again can need.
 * Everything else is a short-lived leaf as far as the durable store goes: a container that processes a host's
 * stream in order still holds it in memory (lib/lineage/tiered-store.ts), and one whose child does come in a
 * later batch is written then.
 *
 * The classes are data, each with why it is here; they are matched on the executed file's name, so a dropper
 * that calls itself `sshd` is written too (a write, never a missed alert).
 */
export interface LongLivedClass {
  readonly name: string;
  readonly why: string;
  /**
   * Whether the class alone puts a record in the durable store (lib/pipeline/keep-record.ts). Every class
   * is trusted across a pass of the pid allocator (lib/lineage/pid-allocation.ts): its process may well
   * have been alive, its pid skipped.
   */
  readonly written: boolean;
  readonly test: (record: LongLivedView) => boolean;
}

/** What the classes look at: a record, or the parts of one known before it is built. */
export interface LongLivedView {
  readonly executable: string;
  readonly invokedPath?: string | undefined;
  readonly args: readonly string[];
  readonly ppid: number;
  /** The parent's executable and arguments, when known. */
  readonly parentExecutable?: string | undefined;
  readonly parentArgs?: readonly string[] | undefined;
}

/**
 * Services, supervisors and build drivers: they fork per request, job or target for as long as they run.
 * Login programs (sshd, login, su, sudo) are not: they fork the session's shell at once, and that shell's
 * record carries them as its ancestors.
 */
export const DAEMONS: ReadonlySet<string> = new Set([
  "cron",
  "crond",
  "atd",
  // Init, service managers, supervisors and container runtimes.
  "systemd",
  "init",
  "supervisord",
  "runsv",
  "s6-supervise",
  "containerd",
  "dockerd",
  "kubelet",
  "podman",
  "tmux",
  "screen",
  // Servers that fork or spawn per request.
  "nginx",
  "httpd",
  "apache2",
  "php-fpm",
  "postgres",
  "postmaster",
  "mysqld",
  "mariadbd",
  "redis-server",
  "java",
  // Build drivers: they fork compilers for as long as the build runs.
  "make",
  "gmake",
  "ninja",
]);

/** OCI runtimes a shim runs per container operation; runc's init re-execs itself from a sealed memfd. */
const RUNTIMES: ReadonlySet<string> = new Set(["runc", "crun", "runsc", "youki", "exe (deleted)"]);
/** The runtime commands that start a container's init process. */
const CREATES: ReadonlySet<string> = new Set(["create", "run"]);

/**
 * The classes, in the order they are tried (the cheapest first). Scripts and interpreters are not among them
 * (`bash backup.sh`, `python3 job.py`): most end within the batch that started them, and one that forks in a
 * later batch is written then (lib/lineage/tiered-store.ts).
 */
export const LONG_LIVED: readonly LongLivedClass[] = [
  {
    name: "container-init",
    why: "The process under a container shim, a container's init or the runtime that created it: the container's main process (not the runtime the shim runs for each exec, which exits at once).",
    written: true,
    test: (r) => {
      if (r.parentExecutable === undefined || RUNTIMES.has(basename(r.executable))) return false;
      const parent = basename(r.parentExecutable);
      // `runc create` (or `run`) starts the container's init; `runc exec` a probe or a `kubectl exec`.
      return (
        REAPERS.has(parent) || (RUNTIMES.has(parent) && (r.parentArgs ?? []).some((a) => CREATES.has(a)))
      );
    },
  },
  {
    name: "daemon",
    written: true,
    why: "Login programs, service managers, supervisors and servers (DAEMONS): they fork per session or request.",
    test: (r) => DAEMONS.has(unversioned(basename(r.executable))),
  },
  {
    name: "interactive-shell",
    written: true,
    why: "A login or interactive shell (`-bash`, `bash -i`, `sh` with no command): a person or a reverse shell types into it for minutes or hours.",
    test: (r) => interactiveShell(r),
  },
  {
    name: "child-of-init",
    why: "A service or a daemonised process (ppid 1 or 0). Not written for that alone: most are a timer's one-shot jobs, and a service that forks in a later batch is written then.",
    written: false,
    test: (r) => r.ppid <= 1,
  },
];

/** Whether `record` belongs to a long-lived class; the class, for tests and the bench. */
export function longLivedClass(record: LongLivedView): LongLivedClass | undefined {
  for (const c of LONG_LIVED) if (c.test(record)) return c;
  return undefined;
}

/** A record's view: its parent's executable is its first ancestor's (when the ancestor is its parent). */
export function viewOf(record: ProcessRecord): LongLivedView {
  const parent = record.ancestors[0];
  return {
    executable: record.executable,
    invokedPath: record.invokedPath,
    args: record.args,
    ppid: record.ppid,
    parentExecutable: parent !== undefined && parent.pid === record.ppid ? parent.executable : undefined,
    parentArgs: parent !== undefined && parent.pid === record.ppid ? parent.args : undefined,
  };
}

/** Whether the record's process may outlive a pass of the pid allocator (every class). */
export const isLongLived = (record: ProcessRecord): boolean => longLivedClass(viewOf(record)) !== undefined;

/** Whether the record's kind alone puts it in the durable store (the classes that are `written`). */
export const isWrittenLongLived = (record: ProcessRecord): boolean => {
  const view = viewOf(record);
  return LONG_LIVED.some((c) => c.written && c.test(view));
};

/**
 * A shell with no command and no script: login (`-bash`, `bash -l`), interactive (`-i`), or reading stdin
 * (`sh` alone, `sh -s`, which is how a reverse shell runs it).
 */
function interactiveShell(r: LongLivedView): boolean {
  if (interpreterFamily(basename(r.executable)) !== "shell") return false;
  if (r.args[0]?.startsWith("-") === true) return true;
  for (let i = 1; i < r.args.length; i++) {
    const arg = r.args[i]!;
    if (arg === "--" || !arg.startsWith("-")) return false;
    // `-c` alone or in a cluster (`-ec`, `-lc`): inline code.
    if (!arg.startsWith("--") && arg.includes("c")) return false;
  }
  return true;
}
