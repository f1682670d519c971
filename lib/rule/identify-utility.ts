import { basename } from "../paths.js";
import { executedName, executedProgram, isMultiCall } from "../telemetry/executed-program.js";
import { type CategoryName, MODE_GATED, UTILITY_CATEGORIES } from "./utilities.js";

export interface UtilityMatch {
  readonly name: string;
  readonly category: CategoryName;
  /** The utility's own arguments (argv after the utility name; after the applet for busybox). */
  readonly args: readonly string[];
}

/**
 * Which network utility, if any, this exec runs. Exact names only.
 * - When the executed file is busybox or toybox (the kernel's executable; lib/telemetry/executed-program.ts),
 *   the utility is the applet its dispatch runs: argv[0], or argv[1] when argv[0] names the binary.
 * - Otherwise the name comes from the invoked path, the resolved executable and argv[0], in that order (a
 *   symlink `nc -> nc.openbsd` is caught by either; a renamed copy `/tmp/x` run as `nc` by argv[0]). argv[0]
 *   can only add a name here, never take one away: `exec -a busybox /usr/bin/nc …` is still nc, because
 *   argv[0] never turns a file that is not busybox into a busybox applet lookup.
 * `which nc` runs `which`, not nc: arguments other than a multi-call applet are never names.
 */
export function identifyUtility(
  process: {
    readonly executable: string;
    readonly invokedPath?: string | undefined;
    readonly args: readonly string[];
  },
  utilities: ReadonlyMap<string, CategoryName>,
): UtilityMatch | undefined {
  // Per exec: no array or object is built unless a name matches (most execs are not utilities).
  if (isMultiCall(executedName(process))) {
    const program = executedProgram(process);
    return match(program.name, process.args, program.argsStart, utilities);
  }
  return (
    (process.invokedPath !== undefined
      ? match(basename(process.invokedPath), process.args, 1, utilities)
      : undefined) ??
    match(basename(process.executable), process.args, 1, utilities) ??
    match(basename(process.args[0] ?? ""), process.args, 1, utilities)
  );
}

/** The utility `name` with its own arguments (argv from `start`), if it is one. */
function match(
  name: string,
  argv: readonly string[],
  start: number,
  utilities: ReadonlyMap<string, CategoryName>,
): UtilityMatch | undefined {
  const category = utilities.get(name);
  if (category === undefined) return undefined;
  const args = argv.slice(start);
  const modes = MODE_GATED[name];
  if (modes !== undefined && !args.some((a) => modes.includes(a))) return undefined;
  return { name, category, args };
}

/** The netcat family and pwncat take `-e`/`-c` to run a program; socat, telnet and openssl do not. */
const EXEC_FLAG_RELAYS: ReadonlySet<string> = new Set(
  UTILITY_CATEGORIES.socket.utilities.filter((u) => u !== "socat" && u !== "telnet" && u !== "openssl"),
);
const EXEC_FLAGS = new Set(["-e", "-c", "--exec", "--sh-exec", "--lua-exec"]);

/** `nc -e /bin/sh`, `ncat --sh-exec`, `socat … EXEC:/bin/sh`: the relay hands a shell to the peer. */
export function hasExecFlag(utility: UtilityMatch): boolean {
  if (utility.name === "socat") return utility.args.some((a) => /^(EXEC|SYSTEM):/i.test(a));
  if (!EXEC_FLAG_RELAYS.has(utility.name)) return false;
  // `-e` alone or at the end of a cluster (`-lvnpe`): the next argument is the program.
  return utility.args.some((a) => EXEC_FLAGS.has(a) || /^-[a-zA-Z]+e$/.test(a));
}
