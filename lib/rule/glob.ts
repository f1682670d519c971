/**
 * Globs for paths and names in tuning data: `*` matches within one path segment, `**` across segments,
 * `?` one character. Compiled to anchored regular expressions whose only quantifiers are `[^/]*` and `.*`
 * over literal separators, and inputs are length-capped by the callers, so matching stays linear enough
 * for hostile paths.
 */
export function compileGlob(glob: string): RegExp {
  let source = "^";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === "*") {
      if (glob[i + 1] === "*") {
        source += ".*";
        i++;
      } else {
        source += "[^/]*";
      }
    } else if (ch === "?") {
      source += "[^/]";
    } else {
      source += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`${source}$`, "s");
}
