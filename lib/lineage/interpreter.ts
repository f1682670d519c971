import { executedName, executedProgram, isMultiCall } from "../telemetry/executed-program.js";
import { FAMILY_GRAMMARS, SHELL_GRAMMARS } from "./interpreter-grammars.js";
import { scriptOf } from "./option-grammar.js";

/**
 * The script file an interpreter runs: `sh /tmp/x`, `python3 -u /tmp/x.py`, or the kernel's shebang argv
 * (`/bin/sh /tmp/x.sh`). Datadog's rule only looks at executables, so `sh /tmp/x` escapes it; this closes that.
 */

const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "hush"]);
/**
 * Interpreters by name, for those whose family name is not their own. A Map, not an object: an executable
 * named `constructor` must find nothing.
 */
const OTHERS: ReadonlyMap<string, string> = new Map([
  ["python", "python"],
  ["perl", "perl"],
  ["ruby", "ruby"],
  ["php", "php"],
  ["node", "node"],
  ["nodejs", "node"],
  ["lua", "lua"],
  ["luajit", "lua"],
  ["tclsh", "tclsh"],
  ["awk", "awk"],
  ["gawk", "awk"],
  ["mawk", "awk"],
  ["nawk", "awk"],
  ["original-awk", "awk"],
]);

/**
 * Distributions install versioned binaries (python3.11, php8.2, lua5.4, perl5.36.0, ksh93) behind symlinks,
 * and the kernel reports the resolved one.
 */
export function unversioned(name: string): string {
  let end = name.length;
  while (end > 0) {
    const c = name.charCodeAt(end - 1);
    if (!((c >= 48 && c <= 57) || c === 46)) break;
    end--;
  }
  return name.slice(0, end);
}

/** Interpreter family of an executable or applet basename, or undefined when it is not one. */
export function interpreterFamily(name: string): string | undefined {
  const base = unversioned(name);
  if (SHELLS.has(base)) return "shell";
  return OTHERS.get(base);
}

/**
 * The script argument of an interpreter invocation, as given (possibly relative), or undefined: no
 * interpreter, or its program is inline code, a module or stdin (lib/lineage/option-grammar.ts).
 * The interpreter is the executed file (the kernel's executable; for busybox, the applet its dispatch
 * runs), never argv[0]: `exec -a sh curl /tmp/x` does not make curl an interpreter, and
 * `exec -a busybox sh /tmp/x` is still dash running /tmp/x. argv[0] decides only when the telemetry has
 * neither an executable nor an invoked path (lib/telemetry/executed-program.ts).
 */
export function scriptArgument(
  executable: string,
  args: readonly string[],
  invokedPath?: string,
): string | undefined {
  const image = { executable, invokedPath, args };
  // Per exec: most run no interpreter, and the executed file's name says so without more work.
  const executed = executedName(image);
  if (!isMultiCall(executed) && interpreterFamily(executed) === undefined) return undefined;
  const program = executedProgram(image);
  const family = interpreterFamily(program.name);
  if (family === undefined) return undefined;
  const grammar =
    (family === "shell" ? SHELL_GRAMMARS[unversioned(program.name)] : undefined) ?? FAMILY_GRAMMARS[family];
  if (grammar === undefined) return undefined;
  return scriptOf(grammar, args, program.argsStart);
}
