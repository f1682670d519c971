/**
 * One option parser for every utility grammar (DESIGN §4.3a). A grammar is data: each option's name and what
 * its value is (nothing, a value that names no destination, a destination, or something that makes the
 * destinations unknowable from argv). The parser reads argv the way the tool's own parser does (getopt's
 * clustering and glued values, getopt_long's `--name=value` and unambiguous abbreviations, OpenSSL's
 * single-dash long options) and fails closed: an option the grammar does not know, an ambiguous abbreviation,
 * a missing value or an opaque option makes the whole invocation opaque (`undefined`), which never earns the
 * loopback exception.
 */

/** Reads the destinations named by an option's value; `undefined` when they cannot be known. */
export type DestinationReader = (value: string) => readonly string[] | undefined;

/**
 * What an option takes.
 * - `flag`: no value.
 * - `value`: a value that names no network destination (a file, a header, a timeout).
 * - `optional`: getopt's optional argument: a value only when attached (`-ofile`, `--opt=value`).
 * - `opaque`: the destinations cannot be known from argv (a config or input file, commands, loaded code).
 * - a DestinationReader: the value names destinations (a proxy, a URL, a resolve override).
 */
export type OptionKind = "flag" | "value" | "optional" | "opaque" | DestinationReader;

export interface Grammar {
  /** Single-character options, keyed without the dash (`x` for `-x`). */
  readonly short: Readonly<Record<string, OptionKind>>;
  /** Long options, keyed without dashes (`proxy` for `--proxy`, `connect` for OpenSSL's `-connect`). */
  readonly long: Readonly<Record<string, OptionKind>>;
  /** `--`: getopt_long; `-`: OpenSSL style, one dash (a second one is accepted too) and no short options. */
  readonly longDash: "--" | "-";
  /** `--name=value` (getopt_long, OpenSSL); curl has no such form. */
  readonly equals: boolean;
  /**
   * Unambiguous prefixes of long options (getopt_long, curl 7.x): `resolve` when the table is the tool's whole
   * option list, so a prefix resolves as the tool resolves it; `opaque` otherwise (a prefix is not understood).
   */
  readonly abbreviations: "resolve" | "opaque";
  /** `--no-NAME` turns a flag off (curl, wget): read as the flag itself. */
  readonly negatedFlags: boolean;
  /** GNU getopt permutes: options after positionals are still options. BSD getopt and OpenSSL stop. */
  readonly permute: boolean;
}

/** A tool with single-letter options only (BSD and traditional getopt: the netcats, ftp, tftp, the DNS tools). */
export const shortOptionsOnly = (short: Grammar["short"], permute: boolean): Grammar => ({
  short,
  long: {},
  longDash: "--",
  equals: false,
  abbreviations: "opaque",
  negatedFlags: false,
  permute,
});

export interface ParsedArgs {
  readonly positionals: readonly string[];
  /** Destinations named by option values, in order. */
  readonly destinations: readonly string[];
  /** Every option seen, by canonical spelling (`-x`, `--proxy`), with the values it was given. */
  readonly options: ReadonlyMap<string, readonly string[]>;
}

/** Attacker-controlled argv: beyond this many arguments the parse does not try (opaque). */
export const MAX_ARGS = 256;

/** Parses argv by the grammar; `undefined` when any argument is not understood (fail closed). */
export function parseOptions(args: readonly string[], grammar: Grammar): ParsedArgs | undefined {
  if (args.length > MAX_ARGS) return undefined;
  const positionals: string[] = [];
  const destinations: string[] = [];
  const options = new Map<string, string[]>();
  const record = (name: string, kind: OptionKind, value: string | undefined): boolean => {
    const values = options.get(name) ?? [];
    if (value !== undefined) values.push(value);
    options.set(name, values);
    if (kind === "opaque") return false;
    if (typeof kind === "function") {
      const found = value === undefined ? undefined : kind(value);
      if (found === undefined) return false;
      destinations.push(...found);
    }
    return true;
  };

  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      i++;
      break;
    }
    if (arg.length < 2 || arg[0] !== "-") {
      positionals.push(arg);
      if (!grammar.permute) {
        i++;
        break;
      }
      continue;
    }
    if (grammar.longDash === "-" || arg.startsWith("--")) {
      const body = arg.slice(arg.startsWith("--") ? 2 : 1);
      const eq = grammar.equals ? body.indexOf("=") : -1;
      const written = eq >= 0 ? body.slice(0, eq) : body;
      const found = lookupLong(written, grammar);
      if (found === undefined) return undefined;
      const [name, kind] = found;
      let value: string | undefined;
      if (eq >= 0) {
        if (kind === "flag") return undefined;
        value = body.slice(eq + 1);
      } else if (kind !== "flag" && kind !== "optional") {
        value = args[++i];
        if (value === undefined) return undefined;
      }
      if (!record(`${grammar.longDash === "-" ? "-" : "--"}${name}`, kind, value)) return undefined;
      continue;
    }
    // A cluster of short options: flags, then at most one option that takes the rest (`-sSLx proxy`, `-p4444`).
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j]!;
      const kind = Object.hasOwn(grammar.short, letter) ? grammar.short[letter]! : undefined;
      if (kind === undefined) return undefined;
      if (kind === "flag") {
        if (!record(`-${letter}`, kind, undefined)) return undefined;
        continue;
      }
      const rest = arg.slice(j + 1);
      let value: string | undefined = rest;
      if (kind === "optional") value = rest.length > 0 ? rest : undefined;
      else if (rest.length === 0) {
        value = args[++i];
        if (value === undefined) return undefined;
      }
      if (!record(`-${letter}`, kind, value)) return undefined;
      break;
    }
  }
  for (; i < args.length; i++) positionals.push(args[i]!);
  return { positionals, destinations, options };
}

/**
 * A long option as the tool resolves it: exact name, `no-` + a flag, or (getopt_long, curl 7.x) the one option
 * the written name is a prefix of. Ambiguous or unknown: undefined. Linear in the table per argument.
 */
function lookupLong(written: string, grammar: Grammar): [string, OptionKind] | undefined {
  const exact = own(grammar.long, written);
  if (exact !== undefined) return [written, exact];
  if (grammar.negatedFlags && written.startsWith("no-") && own(grammar.long, written.slice(3)) === "flag") {
    return [written.slice(3), "flag"];
  }
  if (grammar.abbreviations !== "resolve" || written.length === 0) return undefined;
  let match: [string, OptionKind] | undefined;
  const negated = grammar.negatedFlags && written.startsWith("no-") ? written.slice(3) : undefined;
  for (const name of Object.keys(grammar.long)) {
    const kind = grammar.long[name]!;
    const hit =
      name.startsWith(written) || (negated !== undefined && kind === "flag" && name.startsWith(negated));
    if (!hit) continue;
    if (match !== undefined && match[0] !== name) return undefined;
    match = [name, kind];
  }
  return match;
}

function own(table: Readonly<Record<string, OptionKind>>, key: string): OptionKind | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Host of a URL or `host[:port]` value. */
export const url: DestinationReader = (value) => [urlHost(value)];

/** Host part of a URL or `host[:port]` argument: scheme, userinfo, port, path and query removed. */
export function urlHost(arg: string): string {
  let rest = arg;
  const scheme = rest.indexOf("://");
  if (scheme >= 0) rest = rest.slice(scheme + 3);
  let end = rest.length;
  for (const stop of ["/", "?", "#"]) {
    const i = rest.indexOf(stop);
    if (i >= 0 && i < end) end = i;
  }
  let authority = rest.slice(0, end);
  // `http://localhost@evil.example/` goes to evil.example: the part before `@` is userinfo.
  const at = authority.lastIndexOf("@");
  if (at >= 0) authority = authority.slice(at + 1);
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    return close < 0 ? authority : authority.slice(0, close + 1);
  }
  const colon = authority.indexOf(":");
  return colon < 0 ? authority : authority.slice(0, colon);
}

/** A comma-separated list of URLs or `host[:port]` values: every host. */
export const urlList: DestinationReader = (value) => value.split(",").map(urlHost);

/**
 * Fields of a colon-separated value, a `[...]` IPv6 literal kept whole: `[::1]:80:host` → `[::1]`, `80`,
 * `host`.
 */
export function colonFields(value: string): string[] {
  const fields: string[] = [];
  let field = "";
  let bracket = false;
  for (const c of value) {
    if (c === "[") bracket = true;
    else if (c === "]") bracket = false;
    if (c === ":" && !bracket) {
      fields.push(field);
      field = "";
    } else field += c;
  }
  fields.push(field);
  return fields;
}
