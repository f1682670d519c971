/**
 * Reading an interpreter's command line the way the interpreter reads it, to find the script file it runs.
 * The grammars themselves are data (lib/lineage/interpreter-grammars.ts); this is the one reader of them.
 *
 * The rule the reader keeps: inline code is never a path. An option whose value is code (`sh -c`,
 * `python3 -c`, `perl -e`, an awk program) makes the command line carry no script, whatever follows.
 */

/** How an option takes its value. */
export type ValueForm =
  /** No value: a flag. */
  | "none"
  /** The rest of its cluster when there is one (`-Wignore`, `-cprint(1)`), else the next argument. */
  | "attached-or-next"
  /** Only the rest of its cluster, possibly empty (`perl -i.bak`, `perl -Mstrict`, `gawk -d[file]`). */
  | "attached"
  /** Octal digits (hex after an `x`) from the rest of its cluster, then the cluster goes on (`perl -0777ne`). */
  | "digits";

/** What an option means for the script. */
export type OptionRole =
  /** Its value, or for a flag the first operand, is code or a module name, or the program comes from stdin. */
  | "code"
  /** Its value is the program file (`php -f`, `awk -f`). */
  | "script"
  /** Its value is a source file included beside the program (`gawk -i`): the script when there is no other. */
  | "include"
  /** Its value is a directory the interpreter changes to before it opens the script (`ruby -C`). */
  | "chdir"
  /** Its value names a long option, with `=value` or the next argument (`gawk -W exec file`, POSIX `-W`). */
  | "long";

export interface OptionSpec {
  readonly value: ValueForm;
  readonly role?: OptionRole;
  /** Option processing stops after it (`python3 -c`/`-m`, `gawk -E`): what follows is the program's. */
  readonly ends?: boolean;
}

export interface Grammar {
  /** Single-letter options, by letter. A letter the grammar does not know is a flag (see scriptOf). */
  readonly short: Readonly<Record<string, OptionSpec>>;
  /** Long options (`--name`, `--name=value`), by name without the dashes; a valued one takes `=value` or the next argument. */
  readonly long: Readonly<Record<string, OptionSpec>>;
  /** Whole arguments with a meaning of their own, looked up before anything else (`node -pe`, `tclsh -encoding`). */
  readonly words?: Readonly<Record<string, OptionSpec>>;
  /** Letters combine in one argument, getopt style (`-uc`, `-lne`); else only the first letter is read, and a value may be glued to it (`lua -eprint(1)`). */
  readonly clusters: boolean;
  /** Options also start with `+` (shells: `+o name`, `+x`). */
  readonly plus?: boolean;
  /** getopt_long: a unique prefix names a long option (`gawk --exe file`). */
  readonly abbreviations?: boolean;
  /** A lone `-`: the program comes from stdin, or it only ends the options (`bash - /tmp/x` runs /tmp/x). */
  readonly dash: "stdin" | "end";
  /** `--`: ends the options (the next argument is the script), or the program comes from stdin (`php -- args`). */
  readonly dashDash: "end" | "stdin";
  /** The first operand is program text, never a file (awk, which takes its program file only with `-f`). */
  readonly operandIsCode?: boolean;
}

const FLAG: OptionSpec = { value: "none" };

interface Scan {
  script?: string;
  include?: string;
  chdir?: string;
  code: boolean;
}

/**
 * The script an interpreter runs by `grammar`, from `args[start]` on: a program-file option's value, else
 * the first operand, else an included source file; undefined when the program is inline code, a module, or
 * stdin. With a chdir option, a relative script is returned under that directory (still relative to the cwd
 * when the directory is).
 *
 * An option the grammar does not know is taken as a flag. The script is looked at for a suspicious location,
 * so reading on to the next operand errs towards an alert (an unknown option's value may be taken for the
 * script); inline code cannot become a path that way, because every option that carries code is listed.
 */
export function scriptOf(grammar: Grammar, args: readonly string[], start: number): string | undefined {
  const scan: Scan = { code: false };
  let operand: string | undefined;
  let i = start;
  while (i < args.length) {
    const arg = args[i]!;
    if (arg === "--" || arg === "-") {
      const meaning = arg === "--" ? grammar.dashDash : grammar.dash;
      if (meaning === "stdin") scan.code = true;
      else operand = args[i + 1];
      break;
    }
    const word = grammar.words?.[arg];
    if (word !== undefined) {
      i = apply(grammar, word, undefined, args, i, scan);
      if (word.ends === true) break;
      continue;
    }
    const sign = arg[0];
    if (arg.length < 2 || !(sign === "-" || (sign === "+" && grammar.plus === true))) {
      operand = arg;
      break;
    }
    if (sign === "-" && arg[1] === "-") {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = longOption(grammar, name) ?? FLAG;
      i = apply(grammar, spec, eq < 0 ? undefined : arg.slice(eq + 1), args, i, scan);
      if (spec.ends === true) break;
      continue;
    }
    const ended = cluster(grammar, arg, args, i, scan);
    i = ended.next;
    if (ended.ends) break;
  }
  const script =
    scan.script ?? (scan.code || grammar.operandIsCode === true ? undefined : operand) ?? scan.include;
  if (script === undefined || scan.chdir === undefined || script.startsWith("/")) return script;
  return `${scan.chdir}/${script}`;
}

/** The options of one argument (`-uWignore`, `-lne`): the index of the next argument to read, and whether the options ended. */
function cluster(
  grammar: Grammar,
  arg: string,
  args: readonly string[],
  i: number,
  scan: Scan,
): { next: number; ends: boolean } {
  let at = 1;
  while (at < arg.length) {
    const spec = grammar.short[arg[at]!];
    const rest = arg.slice(at + 1);
    if (spec === undefined || spec.value === "none") {
      // Without clusters only the first letter is an option: `-ix` is a word the grammar does not know.
      if (!grammar.clusters && rest.length > 0) return { next: i + 1, ends: false };
      if (spec !== undefined) note(spec, undefined, scan);
      if (spec?.ends === true) return { next: i + 1, ends: true };
      at++;
      continue;
    }
    if (spec.value === "digits") {
      at += 1 + digitsAt(rest);
      continue;
    }
    if (spec.value === "attached" || rest.length > 0) {
      const next = apply(grammar, spec, rest, args, i, scan);
      return { next, ends: spec.ends === true };
    }
    return { next: apply(grammar, spec, undefined, args, i, scan), ends: spec.ends === true };
  }
  return { next: i + 1, ends: false };
}

/**
 * Applies an option found at `args[i]`, with its value glued to it (`attached`) or, for a valued option
 * without one, the next argument. Returns the index of the next argument to read.
 */
function apply(
  grammar: Grammar,
  spec: OptionSpec,
  attached: string | undefined,
  args: readonly string[],
  i: number,
  scan: Scan,
): number {
  if (spec.value === "none" || spec.value === "digits") {
    note(spec, undefined, scan);
    return i + 1;
  }
  const takesNext = attached === undefined && spec.value === "attached-or-next";
  const value = takesNext ? args[i + 1] : attached;
  if (spec.role === "long" && value !== undefined) {
    // `-W exec file`, `-Wfile=x`: the value is a long option of its own, with its own value.
    const eq = value.indexOf("=");
    const named = longOption(grammar, eq < 0 ? value : value.slice(0, eq)) ?? FLAG;
    const from = takesNext ? i + 1 : i;
    return apply(grammar, named, eq < 0 ? undefined : value.slice(eq + 1), args, from, scan);
  }
  note(spec, value, scan);
  return takesNext ? i + 2 : i + 1;
}

function note(spec: OptionSpec, value: string | undefined, scan: Scan): void {
  switch (spec.role) {
    case "code":
      scan.code = true;
      return;
    case "script":
      if (scan.script === undefined && value !== undefined && value.length > 0) scan.script = value;
      return;
    case "include":
      if (scan.include === undefined && value !== undefined && value.length > 0) scan.include = value;
      return;
    case "chdir":
      if (value !== undefined && value.length > 0) scan.chdir = value;
      return;
    default:
      return;
  }
}

/** A long option by exact name, else, where the grammar allows it, by a prefix that names exactly one. */
function longOption(grammar: Grammar, name: string): OptionSpec | undefined {
  const exact = grammar.long[name];
  if (exact !== undefined || grammar.abbreviations !== true || name.length === 0) return exact;
  const found = Object.keys(grammar.long).filter((n) => n.startsWith(name));
  return found.length === 1 ? grammar.long[found[0]!] : undefined;
}

/** Length of the number at the start of `rest`: octal digits, or `x` and hex digits (`perl -0x1F`). */
function digitsAt(rest: string): number {
  const hex = rest[0] === "x" || rest[0] === "X";
  let n = hex ? 1 : 0;
  while (n < rest.length && (hex ? /[0-9a-fA-F]/ : /[0-7]/).test(rest[n]!)) n++;
  return n;
}
