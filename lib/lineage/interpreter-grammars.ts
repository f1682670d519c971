import type { Grammar, OptionSpec } from "./option-grammar.js";

/**
 * Command-line grammars of the interpreters whose script is a location (DESIGN §4.2), each checked against
 * the interpreter's manual and by running it (Debian 12: bash 5.2.15, dash 0.5.12, zsh 5.9, ksh93u+m 1.0.4,
 * mksh R59c, BusyBox 1.35.0 sh/ash/awk, Python 3.11.2, perl 5.36.0, ruby 3.1.2, node 20, PHP 8.2, Lua 5.4.4,
 * gawk 5.2.1, mawk 1.3.4). Only what decides the script is listed: the options that take a value, carry
 * code, name the program file or read it from stdin. Every other option is a flag (lib/lineage/option-grammar.ts
 * says why that is the safe way to be wrong).
 */

const VALUE: OptionSpec = { value: "attached-or-next" };
const GLUED: OptionSpec = { value: "attached" };
const DIGITS: OptionSpec = { value: "digits" };
/** Its value is code (or a module): there is no script, and what follows are the program's arguments. */
const CODE: OptionSpec = { value: "attached-or-next", role: "code" };
/** A flag that makes the first operand code (`sh -c`) or reads the program from stdin (`sh -s`). */
const CODE_FLAG: OptionSpec = { value: "none", role: "code" };
const SCRIPT: OptionSpec = { value: "attached-or-next", role: "script" };

/**
 * POSIX sh, dash, ksh93, BusyBox ash/hush. `-c` anywhere in a cluster (`-ec`, `-cx`, `-c -x`) makes the
 * first operand the command string; `-s` reads commands from stdin; `-o`/`+o` take an option name (glued in
 * zsh and ksh: `-oerrexit`; bash and dash reject that form and run nothing, so reading it glued is safe).
 * A lone `-` ends the options like `--`: `bash - /tmp/x` runs /tmp/x.
 */
const SHELL: Grammar = {
  short: { c: CODE_FLAG, s: CODE_FLAG, o: VALUE },
  long: {},
  clusters: true,
  plus: true,
  dash: "end",
  dashDash: "end",
};

/** bash adds `-O`/`+O shopt` and `--rcfile`/`--init-file FILE` (bash(1) INVOCATION); its other long options are flags. */
const BASH: Grammar = {
  ...SHELL,
  short: { ...SHELL.short, O: VALUE },
  long: { rcfile: VALUE, "init-file": VALUE },
};

/** zsh adds `--emulate MODE` (zsh(1)); its `--option-name` long options are flags. */
const ZSH: Grammar = { ...SHELL, long: { emulate: VALUE } };

/** mksh adds `-T name`, the tty to spawn on (mksh(1)); in bash `-T` is a flag, hence a grammar of its own. */
const MKSH: Grammar = { ...SHELL, short: { ...SHELL.short, T: VALUE } };

/**
 * python(1): `-c cmd` and `-m mod` end the options and may be glued or end a cluster (`-uc code`,
 * `-cprint(1)`, `-Bm http.server`); `-W`, `-X` (and Python 2's `-Q`) take a value, glued or not;
 * `--check-hash-based-pycs MODE`; `-` is stdin.
 */
const PYTHON: Grammar = {
  short: {
    c: { ...CODE, ends: true },
    m: { ...CODE, ends: true },
    W: VALUE,
    X: VALUE,
    Q: VALUE,
  },
  long: { "check-hash-based-pycs": VALUE },
  clusters: true,
  dash: "stdin",
  dashDash: "end",
};

/**
 * perlrun(1). `-e`/`-E` carry code (glued or next, anywhere in a cluster: `-lne`, `-wMstrict -e`); with
 * either, the operands are input files for `-n`/`-p`, not a script. `-I dir` glued or not; `-i[ext]`,
 * `-M`/`-m module`, `-x[dir]`, `-F pattern`, `-C`, `-d`, `-D`, `-V` take only what is glued (`-M strict` is
 * an error; `-ie code` makes `e` the backup extension and `code` the script, which perl then fails to open);
 * `-0[digits]` and `-l[digits]` take a number and the cluster goes on (`-0777ne`).
 */
const PERL: Grammar = {
  short: {
    e: CODE,
    E: CODE,
    I: VALUE,
    i: GLUED,
    M: GLUED,
    m: GLUED,
    x: GLUED,
    F: GLUED,
    C: GLUED,
    d: GLUED,
    D: GLUED,
    V: GLUED,
    "0": DIGITS,
    l: DIGITS,
  },
  long: {},
  clusters: true,
  dash: "stdin",
  dashDash: "end",
};

/**
 * ruby(1). `-e` carries code; `-r lib`, `-I dir`, `-E enc` glued or not; `-C dir` and `-x[dir]` change
 * directory before the script is opened (`ruby -C /tmp x.rb` runs /tmp/x.rb); `-F`, `-i`, `-K`, `-W` take
 * only what is glued; `-0[octal]`. Long options with a value take `=value` or the next argument.
 */
const RUBY: Grammar = {
  short: {
    e: CODE,
    r: VALUE,
    I: VALUE,
    E: VALUE,
    C: { value: "attached-or-next", role: "chdir" },
    x: { value: "attached", role: "chdir" },
    F: GLUED,
    i: GLUED,
    K: GLUED,
    W: GLUED,
    "0": DIGITS,
  },
  long: {
    encoding: VALUE,
    "external-encoding": VALUE,
    "internal-encoding": VALUE,
    enable: VALUE,
    disable: VALUE,
    dump: VALUE,
    "backtrace-limit": VALUE,
    "crash-report": VALUE,
    parser: VALUE,
  },
  clusters: true,
  dash: "stdin",
  dashDash: "end",
};

/**
 * node(1) (`node --help`, v20): no clusters (`-pe` is a fixed alias of `--print --eval`); `-e`/`--eval`
 * and `-p`/`--print` carry code; `--run` (v22) names a package.json script, not a file. The options listed
 * with `=...` take `=value` or the next argument; V8 options (`--max-old-space-size=…`) only take `=`.
 */
const NODE_VALUED = [
  "allow-fs-read",
  "allow-fs-write",
  "build-snapshot-config",
  "conditions",
  "cpu-prof-dir",
  "cpu-prof-interval",
  "cpu-prof-name",
  "debug-port",
  "diagnostic-dir",
  "disable-proto",
  "disable-warning",
  "dns-result-order",
  "env-file",
  "env-file-if-exists",
  "experimental-default-type",
  "experimental-loader",
  "experimental-policy",
  "experimental-sea-config",
  "heap-prof-dir",
  "heap-prof-interval",
  "heap-prof-name",
  "heapsnapshot-near-heap-limit",
  "heapsnapshot-signal",
  "icu-data-dir",
  "import",
  "input-type",
  "inspect-port",
  "inspect-publish-uid",
  "loader",
  "max-http-header-size",
  "network-family-autoselection-attempt-timeout",
  "openssl-config",
  "policy-integrity",
  "redirect-warnings",
  "report-dir",
  "report-directory",
  "report-filename",
  "report-signal",
  "require",
  "secure-heap",
  "secure-heap-min",
  "snapshot-blob",
  "test-concurrency",
  "test-name-pattern",
  "test-reporter",
  "test-reporter-destination",
  "test-shard",
  "test-timeout",
  "title",
  "tls-cipher-list",
  "tls-keylog",
  "trace-event-categories",
  "trace-event-file-pattern",
  "trace-require-module",
  "unhandled-rejections",
  "use-largepages",
  "v8-pool-size",
  "watch-path",
];
const NODE: Grammar = {
  short: { e: CODE, p: CODE, r: VALUE, C: VALUE },
  long: {
    ...Object.fromEntries(NODE_VALUED.map((name) => [name, VALUE])),
    eval: CODE,
    print: CODE,
    run: CODE,
  },
  words: { "-pe": CODE },
  clusters: false,
  dash: "stdin",
  dashDash: "end",
};

/**
 * php(1) (`php -h`, sapi/cli's option table): clusters and glued values (`-nr code`, `-fs.php`); `-r`,
 * `-B`, `-R`, `-E` carry code; `-f file` and `-F file` (run per input line) are the script; `-S addr` serves
 * with the first operand as its router script; `-c`, `-d`, `-z`, `-t` and the `--r*` reflection options
 * take a value. `--` means the program comes from stdin (`php -- args`).
 */
const PHP: Grammar = {
  short: {
    r: CODE,
    B: CODE,
    R: CODE,
    E: CODE,
    f: SCRIPT,
    F: SCRIPT,
    c: VALUE,
    d: VALUE,
    z: VALUE,
    S: VALUE,
    t: VALUE,
  },
  long: {
    run: CODE,
    "process-begin": CODE,
    "process-code": CODE,
    "process-end": CODE,
    file: SCRIPT,
    "process-file": SCRIPT,
    "php-ini": VALUE,
    define: VALUE,
    "zend-extension": VALUE,
    server: VALUE,
    docroot: VALUE,
    rf: VALUE,
    rfunction: VALUE,
    rc: VALUE,
    rclass: VALUE,
    re: VALUE,
    rextension: VALUE,
    rz: VALUE,
    rzendextension: VALUE,
    ri: VALUE,
    rextinfo: VALUE,
    repeat: VALUE,
  },
  clusters: true,
  dash: "stdin",
  dashDash: "stdin",
};

/**
 * lua(1): no clusters; `-e stat` and `-l mod` take a value, glued or not. Unlike the others, `-e` does not
 * replace the script: `lua -e 'x=1' /tmp/x.lua` runs both.
 */
const LUA: Grammar = {
  short: { e: VALUE, l: VALUE },
  long: {},
  clusters: false,
  dash: "stdin",
  dashDash: "end",
};

/**
 * awk: POSIX, gawk(1), mawk(1), BusyBox awk. Without `-f`, the first operand is the program text, never a
 * file. `-f progfile` (`-fprog`, `--file=`), gawk's `-E`/`--exec file` and `-W exec file` (gawk, mawk) name
 * the program file; gawk's `-e`/`--source` carry code, `-i`/`--include file` loads awk source beside it.
 * `-W name[=value]` is a long option by another spelling (gawk, mawk). gawk's optional values (`-d[file]`,
 * `-L[fatal]`, `-o`, `-p`, `-D`) are glued only. Long options may be abbreviated (getopt_long).
 */
const AWK: Grammar = {
  short: {
    f: SCRIPT,
    E: { ...SCRIPT, ends: true },
    e: CODE,
    i: { value: "attached-or-next", role: "include" },
    l: VALUE,
    v: VALUE,
    F: VALUE,
    W: { value: "attached-or-next", role: "long" },
    d: GLUED,
    D: GLUED,
    L: GLUED,
    o: GLUED,
    p: GLUED,
  },
  long: {
    file: SCRIPT,
    exec: { ...SCRIPT, ends: true },
    source: CODE,
    include: { value: "attached-or-next", role: "include" },
    load: VALUE,
    assign: VALUE,
    "field-separator": VALUE,
    // Flags, listed so that their prefixes are not taken for the valued ones (`--d`: debug or dump?).
    "characters-as-bytes": { value: "none" },
    traditional: { value: "none" },
    copyright: { value: "none" },
    "dump-variables": { value: "none" },
    debug: { value: "none" },
    "gen-pot": { value: "none" },
    help: { value: "none" },
    trace: { value: "none" },
    lint: { value: "none" },
    "lint-old": { value: "none" },
    bignum: { value: "none" },
    "use-lc-numeric": { value: "none" },
    "non-decimal-data": { value: "none" },
    "pretty-print": { value: "none" },
    optimize: { value: "none" },
    "no-optimize": { value: "none" },
    profile: { value: "none" },
    posix: { value: "none" },
    "re-interval": { value: "none" },
    sandbox: { value: "none" },
    version: { value: "none" },
    // mawk's -W names.
    dump: { value: "none" },
    interactive: { value: "none" },
    random: { value: "none" },
    sprintf: { value: "none" },
    posix_space: { value: "none" },
    usage: { value: "none" },
  },
  clusters: true,
  abbreviations: true,
  dash: "stdin",
  dashDash: "end",
  operandIsCode: true,
};

/** tclsh(1): `tclsh ?-encoding name? ?fileName arg …?`. */
const TCL: Grammar = {
  short: {},
  long: {},
  words: { "-encoding": VALUE },
  clusters: false,
  dash: "stdin",
  dashDash: "end",
};

/** Grammar by interpreter family (lib/lineage/interpreter.ts), with the shells that differ by name. */
export const FAMILY_GRAMMARS: Readonly<Record<string, Grammar>> = {
  shell: SHELL,
  python: PYTHON,
  perl: PERL,
  ruby: RUBY,
  node: NODE,
  php: PHP,
  lua: LUA,
  awk: AWK,
  tclsh: TCL,
};

export const SHELL_GRAMMARS: Readonly<Record<string, Grammar>> = {
  bash: BASH,
  zsh: ZSH,
  mksh: MKSH,
};
