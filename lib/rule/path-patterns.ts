import { canonicalPath } from "../paths.js";
import { compileGlob, type Glob } from "./glob.js";

/**
 * How the path patterns of the tuning file (and of the default tiers) are read. The rule matches canonical
 * paths (lib/paths.ts canonicalPath), so patterns are brought to the same form here, once, at compile time.
 */

const WILDCARD = /[*?]/;

/**
 * A tier entry in one spelling per meaning, so that equal entries are one and `remove` finds a default
 * however it is written (`/var/lock` removes the default `/run/lock/`).
 *
 * An entry names a directory, and stands for what lies below it: `/root` and `/root/` are both `/root/`,
 * which matches `/root/x` and never `/rootfs/x`; `/home/*` is every home directory's contents. The boundary is
 * what a user adding `/root` means; a bare prefix would reach `/rootfs`, `/root.old`, … An entry ending in
 * `:` is a name prefix instead, taken as written: `memfd:` and `/memfd:` (the kernel names a memfd image
 * `/memfd:NAME (deleted)`; there is no directory).
 */
export function tierPattern(entry: string): string {
  if (entry.endsWith(":")) return entry;
  return `${canonicalGlob(entry.replace(/\/+$/, ""))}/`;
}

/** The matcher for a `tierPattern`: the directory itself and anything below it, or the name prefix. */
export function compileTierPattern(pattern: string): Glob {
  if (pattern.endsWith("/")) return compileGlob(pattern.slice(0, -1), { below: true });
  if (WILDCARD.test(pattern)) return compileGlob(`${pattern}**`);
  return { source: pattern, test: (path) => path.startsWith(pattern) };
}

/**
 * The glob with its literal leading directories in canonical form (`/var/run/app-*` → `/run/app-*`), so that
 * it can match the canonical paths the rule compares it with. A wildcard before an alias (`/var/*` for
 * `/var/run`) cannot be rewritten; such a glob matches only what the canonical name fits.
 */
export function canonicalGlob(glob: string): string {
  if (!glob.startsWith("/")) return glob;
  const wildcard = glob.search(WILDCARD);
  const cut = wildcard < 0 ? glob.length : glob.lastIndexOf("/", wildcard) + 1;
  const head = canonicalPath(glob.slice(0, cut));
  return head === undefined ? glob : head + glob.slice(cut);
}
