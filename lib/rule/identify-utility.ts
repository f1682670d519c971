import { basename } from "../paths.js";
import type { ExecProcess } from "../telemetry/exec-event.js";
import { type CategoryName, MODE_GATED, MULTI_CALL_BINARIES, UTILITY_CATEGORIES } from "./utilities.js";

export interface UtilityMatch {
  readonly name: string;
  readonly category: CategoryName;
  /** The utility's own arguments (argv after the utility name; after the applet for busybox). */
  readonly args: readonly string[];
}

const MULTI_CALL = new Set(MULTI_CALL_BINARIES);

/**
 * Which network utility, if any, this exec runs. The name comes from the invoked path, the resolved
 * executable and argv[0], in that order (a symlink `nc -> nc.openbsd` is caught by either); for busybox and
 * toybox the applet is argv[0] when it is not the multi-call name, else argv[1]. Exact names only.
 * `which nc` runs `which`, not nc: arguments other than a multi-call applet are never names.
 */
export function identifyUtility(
  process: Pick<ExecProcess, "executable" | "invokedPath" | "args">,
  utilities: ReadonlyMap<string, CategoryName>,
): UtilityMatch | undefined {
  const argv0 = basename(process.args[0] ?? "");
  const exeName = basename(process.executable);
  const invokedName = process.invokedPath === undefined ? undefined : basename(process.invokedPath);
  if (
    MULTI_CALL.has(exeName) ||
    MULTI_CALL.has(argv0) ||
    (invokedName !== undefined && MULTI_CALL.has(invokedName))
  ) {
    const viaArgv1 = MULTI_CALL.has(argv0) || argv0 === "";
    const applet = viaArgv1 ? basename(process.args[1] ?? "") : argv0;
    return match(applet, process.args.slice(viaArgv1 ? 2 : 1), utilities);
  }
  const rest = process.args.slice(1);
  return (
    (invokedName !== undefined ? match(invokedName, rest, utilities) : undefined) ??
    match(exeName, rest, utilities) ??
    match(argv0, rest, utilities)
  );
}

function match(
  name: string,
  args: readonly string[],
  utilities: ReadonlyMap<string, CategoryName>,
): UtilityMatch | undefined {
  const category = utilities.get(name);
  if (category === undefined) return undefined;
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
