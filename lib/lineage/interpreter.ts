import { basename } from "../paths.js";

/**
 * The script file an interpreter runs: `sh /tmp/x`, `python3 -u /tmp/x.py`, or the kernel's shebang argv
 * (`/bin/sh /tmp/x.sh`). Datadog's rule only looks at executables, so `sh /tmp/x` escapes it; this closes that.
 */

const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash"]);
const MULTI_CALL = new Set(["busybox", "toybox"]);
const OTHERS = new Set(["perl", "ruby", "php", "node", "nodejs", "lua", "tclsh", "awk", "gawk"]);

/** Options after which the interpreter runs code given inline, not a file: no script to find. */
const INLINE_CODE: Readonly<Record<string, ReadonlySet<string>>> = {
  shell: new Set(["-c"]),
  python: new Set(["-c", "-m"]),
  perl: new Set(["-e", "-E"]),
  ruby: new Set(["-e"]),
  php: new Set(["-r"]),
  node: new Set(["-e", "--eval", "-p", "--print"]),
  lua: new Set(["-e"]),
  awk: new Set([]),
};

/** Options that consume the next argument, so it is not the script. */
const TAKES_VALUE: Readonly<Record<string, ReadonlySet<string>>> = {
  shell: new Set(["-o", "-O", "+o", "+O", "--rcfile", "--init-file"]),
  python: new Set(["-W", "-X", "-Q"]),
  perl: new Set(["-I", "-M", "-m"]),
  ruby: new Set(["-I", "-r", "-C", "-E"]),
  php: new Set(["-c", "-d", "-z", "-t"]),
  node: new Set(["-r", "--require", "--import", "--loader", "--conditions", "-C"]),
  lua: new Set(["-l"]),
  awk: new Set(["-v", "-F"]),
};

/** Interpreter family of an executable or argv[0] basename, or undefined when it is not one. */
export function interpreterFamily(name: string): string | undefined {
  if (SHELLS.has(name)) return "shell";
  // Distributions install versioned binaries (python3.11, php8.2, lua5.4, perl5.36.0) behind symlinks,
  // and the kernel reports the resolved one.
  let base = name;
  while (
    base.length > 0 &&
    ((base.charCodeAt(base.length - 1) >= 48 && base.charCodeAt(base.length - 1) <= 57) || base.endsWith("."))
  ) {
    base = base.slice(0, -1);
  }
  if (base === "python") return "python";
  if (OTHERS.has(base)) {
    if (base === "nodejs") return "node";
    if (base === "gawk") return "awk";
    return base;
  }
  return undefined;
}

/**
 * The script argument of an interpreter invocation, as given (possibly relative), or undefined.
 * For awk the program file comes with `-f`.
 */
export function scriptArgument(executable: string, args: readonly string[]): string | undefined {
  const exeName = basename(executable);
  let name = basename(args[0] ?? "");
  let start = 1;
  // busybox sh /tmp/x (applet in argv[1]) or a `sh` symlink to busybox (applet in argv[0]).
  if (MULTI_CALL.has(name)) {
    name = args[1] ?? "";
    start = 2;
  }
  // The kernel's exe is trusted over argv[0], which the caller chooses (`exec -a sh curl …`).
  const family = interpreterFamily(MULTI_CALL.has(exeName) || exeName === "" ? name : exeName);
  if (family === undefined) return undefined;
  const inline = INLINE_CODE[family]!;
  const valued = TAKES_VALUE[family]!;
  for (let i = start; i < args.length; i++) {
    const arg = args[i]!;
    if (family === "awk") {
      if (arg === "-f") return args[i + 1];
      if (arg.startsWith("-f") && arg.length > 2) return arg.slice(2);
      if (valued.has(arg)) i++;
      continue;
    }
    if (arg === "--") return args[i + 1];
    if (arg === "-" || arg.length === 0) return undefined;
    if (arg[0] === "-" || (family === "shell" && arg[0] === "+")) {
      if (inline.has(arg)) return undefined;
      // Combined shell flags: `sh -ec 'cmd'` runs inline code.
      if (family === "shell" && arg[0] === "-" && arg[1] !== "-" && arg.includes("c")) return undefined;
      if (valued.has(arg)) i++;
      continue;
    }
    return arg;
  }
  return undefined;
}
