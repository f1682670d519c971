/**
 * Path handling for telemetry paths. Everything here is pure string work: the paths belong to another host,
 * so nothing may touch this machine's file system or its process.cwd().
 */

/** Longer paths are not matched: PATH_MAX is 4096 on Linux, anything longer is not a real path. */
export const MAX_PATH_LENGTH = 4096;

/**
 * The last component of `path`. Every exec asks for the basenames of its executable, invoked path and argv[0]
 * several times (utility, multi-call and interpreter tests), and a fleet runs the same few hundred programs:
 * the answer for a path seen before is the same string as last time, so nothing is sliced and the names'
 * own hashes are already known to the Maps and Sets they are looked up in. Bounded: the memory starts over
 * past BASENAMES_KEPT paths, and long paths (argv[0] is anything a caller likes) are not kept.
 */
export function basename(path: string): string {
  let name = basenames.get(path);
  if (name !== undefined) return name;
  const slash = path.lastIndexOf("/");
  name = slash < 0 ? path : path.slice(slash + 1);
  if (path.length <= BASENAME_PATH_LENGTH) {
    if (basenames.size >= BASENAMES_KEPT) basenames.clear();
    basenames.set(path, name);
  }
  return name;
}

const BASENAMES_KEPT = 4096;
const BASENAME_PATH_LENGTH = 256;
const basenames = new Map<string, string>();

/**
 * Absolute, normalised form of `path` (`.`, `..` and `//` resolved; a relative path is resolved against
 * `cwd`), or undefined when it cannot be placed (relative with no absolute cwd, or too long).
 * `..` evasion (`/usr/../tmp/x`) is exactly what this defeats.
 */
export function normalizePath(path: string, cwd?: string): string | undefined {
  return resolve(path, cwd, false);
}

/**
 * Compatibility symlinks, so one file has two names: /var/run and /var/lock on every distribution since /run
 * (FHS 3.0, systemd's tmpfiles, Debian's base-files), /usr/tmp → ../var/tmp on the Red Hat family. Where a
 * link is missing, only root could make the directory. `/run/shm` is not here: modern Debian has no such link,
 * and where one existed it pointed either way (/dev/shm → /run/shm on wheezy); the shm tier lists both names.
 */
export const PATH_ALIASES: ReadonlyMap<string, string> = new Map([
  ["/var/run", "/run"],
  ["/var/lock", "/run/lock"],
  ["/usr/tmp", "/var/tmp"],
]);

const ALIAS_TARGETS = new Map(
  [...PATH_ALIASES].map(([alias, target]) => [alias, target.split("/").slice(1)]),
);
const ALIAS_DEPTH = Math.max(...[...PATH_ALIASES.keys()].map((a) => a.split("/").length - 1));

/**
 * `normalizePath` that also follows the aliases above, so that a file has one name for the rule to match and
 * for the alert to show: `/var/run/user/1000/x` is `/run/user/1000/x`. An alias counts only as a whole
 * directory name (`/var/runx` is no alias), and it is followed where the walk reaches it, as the kernel
 * follows a symlink: `/var/run/../dev/shm/x` is `/dev/shm/x`, not `/var/dev/shm/x`.
 */
export function canonicalPath(path: string, cwd?: string): string | undefined {
  return resolve(path, cwd, true);
}

function resolve(path: string, cwd: string | undefined, aliases: boolean): string | undefined {
  if (path.length === 0 || path.length > MAX_PATH_LENGTH) return undefined;
  let full = path;
  if (path.charCodeAt(0) !== 47 /* / */) {
    if (cwd === undefined || cwd.charCodeAt(0) !== 47) return undefined;
    full = `${cwd}/${path}`;
  }
  // Fast path: nothing to resolve.
  if (full.indexOf("//") < 0 && full.indexOf("/.") < 0 && !(aliases && underAlias(full))) return full;
  const out: string[] = [];
  for (const part of full.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      out.pop();
      continue;
    }
    out.push(part);
    if (aliases && out.length <= ALIAS_DEPTH) {
      const target = ALIAS_TARGETS.get(`/${out.join("/")}`);
      if (target !== undefined) out.splice(0, out.length, ...target);
    }
  }
  const trailing = full.endsWith("/") && out.length > 0 ? "/" : "";
  return `/${out.join("/")}${trailing}`;
}

function underAlias(path: string): boolean {
  for (const alias of PATH_ALIASES.keys()) {
    if (path.startsWith(alias) && (path.length === alias.length || path.charCodeAt(alias.length) === 47)) {
      return true;
    }
  }
  return false;
}
