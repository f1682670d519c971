/**
 * Path handling for telemetry paths. Everything here is pure string work: the paths belong to another host,
 * so nothing may touch this machine's file system or its process.cwd().
 */

/** Longer paths are not matched: PATH_MAX is 4096 on Linux, anything longer is not a real path. */
export const MAX_PATH_LENGTH = 4096;

export function basename(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? path : path.slice(slash + 1);
}

/**
 * Absolute, normalised form of `path` (`.`, `..` and `//` resolved; a relative path is resolved against
 * `cwd`), or undefined when it cannot be placed (relative with no absolute cwd, or too long).
 * `..` evasion (`/usr/../tmp/x`) is exactly what this defeats.
 */
export function normalizePath(path: string, cwd?: string): string | undefined {
  if (path.length === 0 || path.length > MAX_PATH_LENGTH) return undefined;
  let full = path;
  if (path.charCodeAt(0) !== 47 /* / */) {
    if (cwd === undefined || cwd.charCodeAt(0) !== 47) return undefined;
    full = `${cwd}/${path}`;
  }
  // Fast path: nothing to resolve.
  if (full.indexOf("//") < 0 && full.indexOf("/.") < 0) return full;
  const out: string[] = [];
  for (const part of full.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  const trailing = full.endsWith("/") && out.length > 0 ? "/" : "";
  return `/${out.join("/")}${trailing}`;
}
