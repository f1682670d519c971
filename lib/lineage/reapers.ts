/**
 * Processes that adopt orphans (DESIGN §5, re-parenting). When a parent exits, the kernel hands its children
 * to the nearest ancestor that called prctl(PR_SET_CHILD_SUBREAPER), else to the init of the pid namespace.
 * These are the subreapers and container inits a fleet runs; a child that turns up under one of them with a
 * ppid that differs from its earlier image's may be the same process, orphaned (lib/lineage/same-process.ts).
 */
export const REAPERS: ReadonlySet<string> = new Set([
  // systemd: pid 1, and each user's manager (`systemd --user`) is a subreaper.
  "systemd",
  "init",
  // Container inits and shims: containerd's shims and podman's conmon are subreapers of the container's
  // processes; tini, dumb-init, catatonit and docker-init are the init of the container's pid namespace.
  "containerd-shim",
  "containerd-shim-runc-v1",
  "containerd-shim-runc-v2",
  "conmon",
  "tini",
  "tini-static",
  "docker-init",
  "dumb-init",
  "catatonit",
  // Supervisors that set the subreaper flag.
  "s6-svscan",
  "runsvdir",
]);

/**
 * With no start time and no login session to compare (auditd under a daemon: session unset), an earlier
 * image of the pid counts as the same re-parented process only this soon before the later one. Reusing the pid
 * within it would take the host's whole pid space (32768 forks on the old default pid_max) in ten minutes,
 * which a busy build host can reach in hours, not minutes; a daemonising dropper runs its payload at once.
 */
export const REPARENT_WINDOW_MS = 10 * 60 * 1000;
