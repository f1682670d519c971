import { basename } from "../paths.js";

/**
 * Which program an exec runs, decided the way the kernel and the program itself decide it, never by what
 * argv[0] claims: argv[0] is the caller's choice (`exec -a busybox /usr/bin/nc …`, `exec -a sh curl …`).
 */

/**
 * Multi-call binaries, which dispatch on their own argv[0]. Both treat an argv[0] that merely starts with
 * their name as themselves (`busybox.static`, `toybox-x86_64`, the names their prebuilt downloads carry).
 */
export const MULTI_CALL_BINARIES: readonly string[] = ["busybox", "toybox"];

export function isMultiCall(name: string): boolean {
  // A loop, not `some` with a closure: this runs for every exec.
  for (const m of MULTI_CALL_BINARIES) if (name.startsWith(m)) return true;
  return false;
}

/** The fields of an ExecProcess (or a stored record) that say what was run. */
export interface ExecImage {
  readonly executable: string;
  readonly invokedPath?: string | undefined;
  readonly args: readonly string[];
}

export interface ExecutedProgram {
  /** The program's name: the executed file's basename, or for a multi-call binary the applet it runs. */
  readonly name: string;
  /** Index in argv of the program's first own argument (2 for `busybox nc …`, else 1). */
  readonly argsStart: number;
  /** The executed file is a multi-call binary, and `name` is the applet its dispatch picks. */
  readonly multiCall: boolean;
}

/**
 * The executed file by name: the kernel's resolved executable. Without one (a source that names only the
 * path handed to execve, or nothing), the invoked path, and only then argv[0], the one hint left.
 * The invoked path does not outrank a known executable: it is a name the caller picks too (a symlink
 * `/tmp/busybox -> /usr/bin/nc` must not make nc's arguments a busybox applet).
 */
export function executedName(process: ExecImage): string {
  const exe = basename(process.executable);
  if (exe !== "") return exe;
  const invoked = process.invokedPath === undefined ? "" : basename(process.invokedPath);
  if (invoked !== "") return invoked;
  return basename(process.args[0] ?? "");
}

/**
 * The program an exec runs. A multi-call binary runs the applet its own dispatch picks, which is what
 * busybox (appletlib.c) and toybox (main.c) do: the basename of argv[0], unless argv[0] names the binary
 * itself (or is empty), then the basename of argv[1]. Verified against BusyBox 1.35.0 and toybox 0.8.9:
 * `exec -a busybox /bin/busybox-symlink-nc -l` runs busybox's `-l` applet (not found), and
 * `busybox /bin/echo hi` runs echo. Any other executable is itself, whatever argv[0] says.
 */
export function executedProgram(process: ExecImage): ExecutedProgram {
  const executed = executedName(process);
  if (!isMultiCall(executed)) return { name: executed, argsStart: 1, multiCall: false };
  const argv0 = basename(process.args[0] ?? "");
  if (argv0 !== "" && !isMultiCall(argv0)) return { name: argv0, argsStart: 1, multiCall: true };
  return { name: basename(process.args[1] ?? ""), argsStart: 2, multiCall: true };
}
