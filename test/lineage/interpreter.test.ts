import { describe, expect, it } from "vitest";
import { interpreterFamily, scriptArgument } from "../../lib/lineage/interpreter.js";

/**
 * What each interpreter really runs, case by case: every row was run against the interpreter itself
 * (Debian 12: bash 5.2.15, dash 0.5.12, zsh 5.9, ksh93u+m 1.0.4, mksh R59c, BusyBox 1.35.0, toybox 0.8.9,
 * Python 3.11.2, perl 5.36.0, ruby 3.1.2, node 20, PHP 8.2, Lua 5.4.4, gawk 5.2.1, mawk 1.3.4, tclsh 8.6)
 * with files that print their own path, except those marked `unrun` (why is said there). `want` is the
 * script as given (a relative one is resolved against the cwd by the caller), undefined when the program is
 * inline code, a module or stdin.
 */
interface ScriptCase {
  readonly exe: string;
  readonly args: readonly string[];
  readonly invoked?: string;
  readonly want: string | undefined;
  readonly unrun?: string;
}

const row = (exe: string, args: string[], want: string | undefined, extra: Partial<ScriptCase> = {}) => ({
  exe,
  args,
  want,
  ...extra,
});

const SHELLS: ScriptCase[] = [
  row("/usr/bin/dash", ["/bin/sh", "/tmp/dropper.sh"], "/tmp/dropper.sh"),
  row("/usr/bin/bash", ["bash", "-x", "-o", "pipefail", "./run.sh", "arg"], "./run.sh"),
  row("/usr/bin/bash", ["bash"], undefined),
  row("/usr/bin/bash", ["bash", "--", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/bash", ["bash", "-e", "--", "/tmp/x"], "/tmp/x"),
  // A lone `-` ends the options like `--`: the script still runs.
  row("/usr/bin/bash", ["bash", "-", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/dash", ["sh", "-", "/tmp/x"], "/tmp/x"),
  // `-c` anywhere among the options makes the first operand the command string.
  row("/usr/bin/bash", ["bash", "-c", "echo inline", "/tmp/x"], undefined),
  row("/usr/bin/bash", ["bash", "-ec", "echo inline", "/tmp/x"], undefined),
  row("/usr/bin/bash", ["bash", "-xc", "echo inline", "/tmp/x"], undefined),
  row("/usr/bin/bash", ["bash", "-cx", "echo inline", "/tmp/x"], undefined),
  row("/usr/bin/bash", ["bash", "-c", "-x", "echo inline", "/tmp/x"], undefined),
  row("/usr/bin/bash", ["bash", "-x", "-c", "echo inline", "/tmp/x"], undefined),
  row("/usr/bin/bash", ["bash", "-c", "--", "echo inline", "/tmp/x"], undefined),
  row("/usr/bin/dash", ["sh", "-ec", "echo inline"], undefined),
  row("/usr/bin/zsh", ["zsh", "-xc", "echo inline", "/tmp/x"], undefined),
  // `-s` reads the commands from stdin; the operands are positional parameters.
  row("/usr/bin/bash", ["bash", "-s", "/tmp/x"], undefined),
  row("/usr/bin/bash", ["bash", "-s", "--", "/tmp/x"], undefined),
  // `-o`/`+o`/`-O`/`+O` take an option name, also at the end of a cluster.
  row("/usr/bin/bash", ["bash", "-eo", "pipefail", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/bash", ["bash", "-o", "errexit", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/bash", ["bash", "+o", "errexit", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/bash", ["bash", "-O", "extglob", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/bash", ["bash", "+O", "extglob", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/zsh", ["zsh", "-oerrexit", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/ksh93", ["ksh", "-o", "errexit", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/bash", ["bash", "--rcfile", "/dev/null", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/bash", ["bash", "--init-file", "/dev/null", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/bash", ["bash", "--norc", "--noprofile", "--posix", "--login", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/bash", ["bash", "--debugger", "-l", "-r", "+x", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/bash", ["bash", "-i", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/zsh", ["zsh", "--emulate", "sh", "/tmp/x"], "/tmp/x"),
  // ksh93 is installed as ksh93 behind the ksh alternative; the kernel reports the resolved name.
  row("/usr/bin/ksh93", ["ksh", "-x", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/mksh", ["mksh", "-T", "/dev/tty2", "/tmp/x"], "/tmp/x", {
    unrun: "spawns a shell on another tty",
  }),
  // In bash `-T` is a flag (functrace).
  row("/usr/bin/bash", ["bash", "-T", "/tmp/x"], "/tmp/x"),
  // After `--` the next argument is the script even when it looks like an option.
  row("/usr/bin/bash", ["bash", "--", "-c"], "-c", { unrun: "a file named -c" }),
  // The operand ends the options: what follows belongs to the script.
  row("/usr/bin/bash", ["bash", "/tmp/x", "-c", "echo"], "/tmp/x"),
  // An option the grammar does not know is read as a flag (errs towards finding the script).
  row("/usr/bin/bash", ["bash", "-k", "/tmp/x"], "/tmp/x"),
];

const MULTI_CALL: ScriptCase[] = [
  row("/usr/bin/busybox", ["busybox", "sh", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/busybox", ["sh", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/busybox", ["/bin/sh", "/tmp/x.sh"], "/tmp/x.sh"),
  row("/usr/bin/busybox", ["busybox", "ash", "-e", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/busybox", ["busybox", "sh", "-c", "echo inline", "/tmp/x"], undefined),
  row("/usr/bin/busybox", ["ash", "-xc", "echo inline", "/tmp/x"], undefined),
  row("/usr/bin/busybox", ["busybox", "awk", "-f", "/tmp/a.awk"], "/tmp/a.awk"),
  row("/usr/bin/busybox", ["busybox", "awk", "-e", "BEGIN{}", "-f", "/tmp/a.awk"], "/tmp/a.awk"),
  row("/usr/bin/busybox", ["busybox", "awk", "{print}", "/tmp/in.txt"], undefined),
  row("/usr/bin/busybox", ["nc", "192.0.2.1", "4444"], undefined, { unrun: "not an interpreter" }),
  row("/usr/bin/busybox", ["busybox", "wget", "http://x"], undefined, { unrun: "not an interpreter" }),
  // Names that start with the binary's name are the binary (busybox.static, downloaded busybox-x86_64).
  row("/usr/bin/busybox", ["busybox-x86_64", "sh", "/tmp/x"], "/tmp/x"),
  // An argv[0] busybox does not know is no applet: busybox fails, nothing runs.
  row("/usr/bin/busybox", ["zzz", "/tmp/x"], undefined),
];

/** The interpreter is the executed file; argv[0] is the caller's choice (`exec -a NAME`). */
const IDENTITY: ScriptCase[] = [
  row("/usr/bin/curl", ["sh", "/tmp/x"], undefined, { unrun: "curl would fetch" }),
  row("/usr/bin/curl", ["busybox", "sh", "/tmp/x"], undefined, { unrun: "curl would fetch" }),
  row("/usr/bin/ls", ["ls", "/tmp/x"], undefined),
  // exec -a busybox sh /tmp/x: dash runs /tmp/x, argv[0] notwithstanding.
  row("/usr/bin/dash", ["busybox", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/dash", ["toybox", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/bash", ["busybox", "-e", "/tmp/x"], "/tmp/x"),
  row("/usr/bin/python3.11", ["busybox", "/tmp/x.py"], "/tmp/x.py"),
  row("/usr/bin/python3.11", ["toybox", "-u", "/tmp/x.py"], "/tmp/x.py"),
  // A source without the executable: the invoked path, then argv[0].
  row("", ["x", "/tmp/x.py"], "/tmp/x.py", { invoked: "/usr/bin/python3", unrun: "no executable" }),
  row("", ["sh", "/tmp/x"], "/tmp/x", { unrun: "no executable" }),
  row("", ["busybox", "sh", "/tmp/x"], "/tmp/x", { unrun: "no executable" }),
  row("/usr/bin/pythonista", ["pythonista", "/tmp/x"], undefined, { unrun: "no such interpreter" }),
];

const PYTHON: ScriptCase[] = [
  row("/usr/bin/python3.11", ["python3", "/tmp/x.py"], "/tmp/x.py"),
  row("/usr/bin/python3.11", ["python3", "-u", "-W", "ignore", "/tmp/x.py"], "/tmp/x.py"),
  row("/usr/bin/python3.11", ["python3", "-Wignore", "/tmp/x.py"], "/tmp/x.py"),
  row("/usr/bin/python3.11", ["python3", "-uW", "ignore", "/tmp/x.py"], "/tmp/x.py"),
  row("/usr/bin/python3.11", ["python3", "-X", "dev", "/tmp/x.py"], "/tmp/x.py"),
  row("/usr/bin/python3.11", ["python3", "-Xdev", "/tmp/x.py"], "/tmp/x.py"),
  row("/usr/bin/python3.11", ["python3", "--check-hash-based-pycs", "default", "/tmp/x.py"], "/tmp/x.py"),
  row(
    "/usr/bin/python3.11",
    ["python3", "-E", "-s", "-S", "-u", "-B", "-b", "-I", "-O", "-OO", "-P", "-q", "/tmp/x.py"],
    "/tmp/x.py",
  ),
  row("/usr/bin/python3.11", ["python3", "-ESsuBb", "/tmp/x.py"], "/tmp/x.py"),
  row("/usr/bin/python3.11", ["python3", "-i", "/tmp/x.py"], "/tmp/x.py"),
  row("/usr/bin/python3.11", ["python3", "--", "/tmp/x.py"], "/tmp/x.py"),
  row("/usr/bin/python3.11", ["python3", "/tmp/x.py", "-c", "x"], "/tmp/x.py"),
  row("/usr/bin/python3.11", ["python3", "-", "/tmp/x.py"], undefined),
  row("/usr/bin/python3.11", ["python3", "-c", "print('inline')", "/tmp/x.py"], undefined),
  row("/usr/bin/python3.11", ["python3", "-uc", "print('inline')", "/tmp/x.py"], undefined),
  row("/usr/bin/python3.11", ["python3", "-Ic", "print('inline')"], undefined),
  row("/usr/bin/python3.11", ["python3", "-cprint('inline')", "/tmp/x.py"], undefined),
  // `-c` ends the options: `-u` is the code.
  row("/usr/bin/python3.11", ["python3", "-c", "-u"], undefined, { unrun: "a NameError" }),
  row("/usr/bin/python3.11", ["python3", "-m", "json.tool", "/tmp/x.py"], undefined),
  row("/usr/bin/python3.11", ["python3", "-Bm", "json.tool", "/tmp/x.py"], undefined),
  row("/usr/bin/python3.11", ["python3", "-mjson.tool", "/tmp/x.py"], undefined),
  row("/usr/bin/python3.11", ["python3", "-u", "--", "-c"], "-c", { unrun: "a file named -c" }),
  row("/usr/bin/python2.7", ["python2", "-Q", "new", "/tmp/x.py"], "/tmp/x.py", { unrun: "Python 2" }),
  row("/usr/bin/python3.11", ["python3", "--unknown", "/tmp/x.py"], "/tmp/x.py", { unrun: "unknown option" }),
];

const PERL: ScriptCase[] = [
  row("/usr/bin/perl", ["perl", "/tmp/x.pl"], "/tmp/x.pl"),
  row("/usr/bin/perl", ["perl", "-I", "/usr/lib", "/var/tmp/x.pl"], "/var/tmp/x.pl"),
  row("/usr/bin/perl", ["perl", "-I/usr/lib", "/tmp/x.pl"], "/tmp/x.pl"),
  row("/usr/bin/perl", ["perl", "-Mstrict", "-w", "/tmp/x.pl"], "/tmp/x.pl"),
  row("/usr/bin/perl", ["perl", "-CSDA", "-T", "/tmp/x.pl"], "/tmp/x.pl"),
  row("/usr/bin/perl", ["perl", "-0777", "/tmp/x.pl"], "/tmp/x.pl"),
  row("/usr/bin/perl", ["perl", "-x", "/tmp/x.pl"], "/tmp/x.pl"),
  row("/usr/bin/perl", ["perl", "-s", "/tmp/x.pl", "-x"], "/tmp/x.pl"),
  row("/usr/bin/perl", ["perl", "-i", "/tmp/x.pl"], "/tmp/x.pl"),
  row("/usr/bin/perl", ["perl", "--", "/tmp/x.pl"], "/tmp/x.pl"),
  row("/usr/bin/perl", ["perl", "-", "/tmp/x.pl"], undefined),
  row("/usr/bin/perl", ["perl", "-e", "print qq(inline\\n)"], undefined),
  row("/usr/bin/perl", ["perl", "-eprint qq(inline\\n)", "/tmp/x.pl"], undefined),
  row("/usr/bin/perl", ["perl", "-E", "say q(inline)", "/tmp/x.pl"], undefined),
  // With -e the operands are input files (for -n/-p) or @ARGV, never a script.
  row("/usr/bin/perl", ["perl", "-ne", "print", "/etc/hostname"], undefined),
  row("/usr/bin/perl", ["perl", "-lne", "print", "/tmp/in.txt"], undefined),
  row("/usr/bin/perl", ["perl", "-le", "print q(inline)", "/tmp/x.pl"], undefined),
  row("/usr/bin/perl", ["perl", "-0777ne", "print", "/tmp/in.txt"], undefined),
  row("/usr/bin/perl", ["perl", "-0777", "-ne", "print", "/tmp/in.txt"], undefined),
  row("/usr/bin/perl", ["perl", "-F:", "-lane", "print $F[0]", "/etc/passwd"], undefined),
  row("/usr/bin/perl", ["perl", "-pi", "-e", "s/a/b/", "/tmp/in.txt"], undefined),
  row("/usr/bin/perl", ["perl", "-pi.bak", "-e", "s/a/b/", "/tmp/in.txt"], undefined),
  row("/usr/bin/perl", ["perl", "-wMstrict", "-e", "print qq(inline\\n)", "/tmp/x.pl"], undefined),
  row("/usr/bin/perl", ["perl", "-e", "print qq(inline\\n)", "-w", "/tmp/x.pl"], undefined),
  row("/usr/bin/perl", ["perl", "-e", "print qq(inline\\n)", "--", "/tmp/x.pl"], undefined),
  // `-i` takes the rest of its cluster as the backup extension: in `-ie CODE`, perl opens CODE as the
  // script (and fails). That is perl's grammar, not inline code.
  row("/usr/bin/perl", ["perl", "-ie", "print 1", "/tmp/in.txt"], "print 1", {
    unrun: "perl fails to open a script named 'print 1'",
  }),
  row("/usr/bin/perl5.36.0", ["perl", "-d:Trace", "/tmp/x.pl"], "/tmp/x.pl", { unrun: "needs Devel::Trace" }),
];

const RUBY: ScriptCase[] = [
  row("/usr/bin/ruby3.1", ["ruby", "/tmp/x.rb"], "/tmp/x.rb"),
  row("/usr/bin/ruby3.1", ["ruby", "-r", "json", "/tmp/x.rb"], "/tmp/x.rb"),
  row("/usr/bin/ruby3.1", ["ruby", "-rjson", "-w", "/tmp/x.rb"], "/tmp/x.rb"),
  row("/usr/bin/ruby3.1", ["ruby", "-I", "/usr/lib", "/tmp/x.rb"], "/tmp/x.rb"),
  row("/usr/bin/ruby3.1", ["ruby", "-E", "UTF-8", "/tmp/x.rb"], "/tmp/x.rb"),
  row("/usr/bin/ruby3.1", ["ruby", "--encoding", "UTF-8", "/tmp/x.rb"], "/tmp/x.rb"),
  row("/usr/bin/ruby3.1", ["ruby", "--encoding=UTF-8", "/tmp/x.rb"], "/tmp/x.rb"),
  row("/usr/bin/ruby3.1", ["ruby", "--disable", "gems", "/tmp/x.rb"], "/tmp/x.rb"),
  row("/usr/bin/ruby3.1", ["ruby", "--enable", "frozen-string-literal", "/tmp/x.rb"], "/tmp/x.rb"),
  row("/usr/bin/ruby3.1", ["ruby", "--backtrace-limit", "3", "/tmp/x.rb"], "/tmp/x.rb"),
  row("/usr/bin/ruby3.1", ["ruby", "-W0", "-Ku", "-0777", "-i.bak", "/tmp/x.rb"], "/tmp/x.rb"),
  // -C and -x[dir] change directory before the script is opened.
  row("/usr/bin/ruby3.1", ["ruby", "-C", "/tmp", "x.rb"], "/tmp/x.rb"),
  row("/usr/bin/ruby3.1", ["ruby", "-C/tmp", "x.rb"], "/tmp/x.rb"),
  row("/usr/bin/ruby3.1", ["ruby", "-x/tmp", "x.rb"], "/tmp/x.rb"),
  row("/usr/bin/ruby3.1", ["ruby", "-C", "/tmp", "/var/tmp/y.rb"], "/var/tmp/y.rb"),
  row("/usr/bin/ruby3.1", ["ruby", "-", "/tmp/x.rb"], undefined),
  row("/usr/bin/ruby3.1", ["ruby", "-e", "puts 'inline'", "/tmp/x.rb"], undefined),
  row("/usr/bin/ruby3.1", ["ruby", "-eputs 'inline'", "/tmp/x.rb"], undefined),
  row("/usr/bin/ruby3.1", ["ruby", "-ne", "puts 'inline'", "/tmp/in.txt"], undefined),
  row("/usr/bin/ruby3.1", ["ruby", "-lne", "puts 'inline'", "/tmp/in.txt"], undefined),
  row("/usr/bin/ruby3.1", ["ruby", "-rjson", "-e", "puts 'inline'", "/tmp/x.rb"], undefined),
  row("/usr/bin/ruby3.1", ["ruby", "-F:", "-lane", "puts 'inline'", "/etc/hostname"], undefined),
  row("/usr/bin/ruby3.1", ["ruby", "-e", "puts 'inline'", "--", "/tmp/x.rb"], undefined),
];

const NODE: ScriptCase[] = [
  row("/usr/bin/node", ["node", "/tmp/a.js"], "/tmp/a.js"),
  row("/usr/bin/node", ["node", "--require", "/tmp/m.js", "/tmp/a.js"], "/tmp/a.js"),
  row("/usr/bin/node", ["node", "--require=/tmp/m.js", "/tmp/a.js"], "/tmp/a.js"),
  row("/usr/bin/node", ["node", "-r", "/tmp/m.js", "/tmp/a.js"], "/tmp/a.js"),
  row("/usr/bin/node", ["node", "--import", "/tmp/m.js", "/tmp/a.js"], "/tmp/a.js"),
  row("/usr/bin/node", ["node", "--loader", "/tmp/m.js", "/tmp/a.js"], "/tmp/a.js"),
  row("/usr/bin/node", ["node", "-C", "dev", "/tmp/a.js"], "/tmp/a.js"),
  row("/usr/bin/node", ["node", "--conditions", "dev", "/tmp/a.js"], "/tmp/a.js"),
  row("/usr/bin/node", ["node", "--input-type", "commonjs", "/tmp/a.js"], "/tmp/a.js"),
  row("/usr/bin/node", ["node", "--env-file", "/dev/null", "/tmp/a.js"], "/tmp/a.js"),
  row("/usr/bin/node", ["node", "--title", "x", "/tmp/a.js"], "/tmp/a.js"),
  row("/usr/bin/node", ["node", "--unhandled-rejections", "strict", "/tmp/a.js"], "/tmp/a.js"),
  row("/usr/bin/node", ["node", "--max-old-space-size=100", "--no-warnings", "/tmp/a.js"], "/tmp/a.js"),
  row("/usr/bin/node", ["node", "--inspect=127.0.0.1:0", "-i", "/tmp/a.js"], "/tmp/a.js", {
    unrun: "opens an inspector port",
  }),
  row("/usr/bin/node", ["node", "--", "/tmp/a.js"], "/tmp/a.js"),
  row("/usr/bin/node", ["node", "-", "/tmp/a.js"], undefined),
  row("/usr/bin/node", ["node", "-e", "console.log('inline')", "/tmp/a.js"], undefined),
  row("/usr/bin/node", ["node", "--eval", "console.log('inline')", "/tmp/a.js"], undefined),
  row("/usr/bin/node", ["node", "--eval=console.log('inline')", "/tmp/a.js"], undefined),
  row("/usr/bin/node", ["node", "-p", "'inline'", "/tmp/a.js"], undefined),
  row("/usr/bin/node", ["node", "--print", "'inline'", "/tmp/a.js"], undefined),
  row("/usr/bin/node", ["node", "-pe", "'inline'", "/tmp/a.js"], undefined),
  row("/usr/bin/node", ["node", "--input-type", "module", "-e", "console.log('inline')"], undefined),
  row("/usr/bin/node", ["node", "--run", "build"], undefined, { unrun: "node 22" }),
];

const PHP: ScriptCase[] = [
  row("/usr/bin/php8.2", ["php", "/var/www/up/s.php"], "/var/www/up/s.php"),
  row("/usr/bin/php8.2", ["php", "-f", "/tmp/x.php"], "/tmp/x.php"),
  row("/usr/bin/php8.2", ["php", "-f/tmp/x.php"], "/tmp/x.php"),
  row("/usr/bin/php8.2", ["php", "-nf", "/tmp/x.php"], "/tmp/x.php"),
  row("/usr/bin/php8.2", ["php", "--file", "/tmp/x.php"], "/tmp/x.php"),
  row("/usr/bin/php8.2", ["php", "-d", "display_errors=1", "-f", "/tmp/x.php", "--", "-r"], "/tmp/x.php"),
  row("/usr/bin/php8.2", ["php", "-dx=1", "-c", "/etc", "/tmp/x.php"], "/tmp/x.php"),
  row("/usr/bin/php8.2", ["php", "-n", "-q", "-H", "-C", "/tmp/x.php"], "/tmp/x.php"),
  row("/usr/bin/php8.2", ["php", "/tmp/x.php", "-r", "x"], "/tmp/x.php"),
  // -F runs the file once per input line.
  row("/usr/bin/php8.2", ["php", "-F", "/tmp/x.php"], "/tmp/x.php"),
  // The built-in web server runs its router script on every request.
  row("/usr/bin/php8.2", ["php", "-S", "0.0.0.0:8000", "/tmp/router.php"], "/tmp/router.php", {
    unrun: "starts a server",
  }),
  row("/usr/bin/php8.2", ["php", "-S", "0.0.0.0:8000", "-t", "/var/www"], undefined, {
    unrun: "starts a server",
  }),
  row("/usr/bin/php8.2", ["php", "-r", "echo 'inline';", "/tmp/x.php"], undefined),
  row("/usr/bin/php8.2", ["php", "-recho 'inline';", "/tmp/x.php"], undefined),
  row("/usr/bin/php8.2", ["php", "-nr", "echo 'inline';", "/tmp/x.php"], undefined),
  row("/usr/bin/php8.2", ["php", "--run", "echo 'inline';", "/tmp/x.php"], undefined),
  row("/usr/bin/php8.2", ["php", "-B", "echo 'inline';", "/tmp/x.php"], undefined),
  row("/usr/bin/php8.2", ["php", "-R", "echo 'inline';", "/tmp/x.php"], undefined),
  row("/usr/bin/php8.2", ["php", "-E", "echo 'inline';", "/tmp/x.php"], undefined),
  // `--` makes php read the program from stdin; the rest are its arguments.
  row("/usr/bin/php8.2", ["php", "--", "/tmp/x.php"], undefined),
];

const LUA: ScriptCase[] = [
  row("/usr/bin/lua5.4", ["lua", "/tmp/x.lua"], "/tmp/x.lua"),
  // Unlike the others, lua runs both: the -e chunk, then the script.
  row("/usr/bin/lua5.4", ["lua", "-e", "x=1", "/tmp/x.lua"], "/tmp/x.lua"),
  row("/usr/bin/lua5.4", ["lua", "-ex=1", "/tmp/x.lua"], "/tmp/x.lua"),
  row("/usr/bin/lua5.4", ["lua", "-l", "string", "/tmp/x.lua"], "/tmp/x.lua"),
  row("/usr/bin/lua5.4", ["lua", "-lstring", "-W", "-E", "/tmp/x.lua"], "/tmp/x.lua"),
  row("/usr/bin/lua5.4", ["lua", "--", "/tmp/x.lua"], "/tmp/x.lua"),
  row("/usr/bin/lua5.4", ["lua", "-e", "print('inline')"], undefined),
  row("/usr/bin/lua5.4", ["lua", "-", "/tmp/x.lua"], undefined),
];

const AWK: ScriptCase[] = [
  row("/usr/bin/gawk", ["awk", "-f", "/tmp/a.awk"], "/tmp/a.awk"),
  row("/usr/bin/gawk", ["awk", "-f/tmp/a.awk"], "/tmp/a.awk"),
  row("/usr/bin/gawk", ["gawk", "--file=/tmp/a.awk"], "/tmp/a.awk"),
  row("/usr/bin/gawk", ["gawk", "--file", "/tmp/a.awk"], "/tmp/a.awk"),
  row("/usr/bin/gawk", ["gawk", "-bf", "/tmp/a.awk"], "/tmp/a.awk"),
  row("/usr/bin/gawk", ["gawk", "-F:", "-v", "x=1", "-f", "/tmp/a.awk", "/etc/passwd"], "/tmp/a.awk"),
  row("/usr/bin/gawk", ["gawk", "-F", ":", "-vx=1", "-f", "/tmp/a.awk"], "/tmp/a.awk"),
  row("/usr/bin/gawk", ["gawk", "-E", "/tmp/a.awk"], "/tmp/a.awk"),
  row("/usr/bin/gawk", ["gawk", "--exec=/tmp/a.awk"], "/tmp/a.awk"),
  // getopt_long takes a unique prefix of a long option.
  row("/usr/bin/gawk", ["gawk", "--ex", "/tmp/a.awk"], "/tmp/a.awk"),
  row("/usr/bin/gawk", ["gawk", "-W", "file", "/tmp/a.awk"], "/tmp/a.awk"),
  row("/usr/bin/gawk", ["gawk", "-Wfile=/tmp/a.awk"], "/tmp/a.awk"),
  row("/usr/bin/gawk", ["gawk", "-e", "BEGIN{print 1}", "-f", "/tmp/a.awk"], "/tmp/a.awk"),
  // -i loads awk source beside the inline program.
  row("/usr/bin/gawk", ["gawk", "-i", "/tmp/a.awk", "BEGIN{print 1}"], "/tmp/a.awk"),
  row("/usr/bin/gawk", ["gawk", "--include=/tmp/a.awk", "BEGIN{print 1}"], "/tmp/a.awk"),
  // Without -f the first operand is the program text: never a path.
  row("/usr/bin/gawk", ["awk", "{print $1}", "/tmp/in.txt"], undefined),
  row("/usr/bin/gawk", ["awk", "-F:", "{print $1}", "/tmp/in.txt"], undefined),
  row("/usr/bin/gawk", ["awk", "--", "BEGIN{print 1}"], undefined),
  row("/usr/bin/gawk", ["awk", "-vfx=1", "BEGIN{print 1}"], undefined),
  row("/usr/bin/gawk", ["gawk", "-e", "BEGIN{print 1}", "/tmp/in.txt"], undefined),
  row("/usr/bin/gawk", ["gawk", "--source=BEGIN{print 1}", "/tmp/in.txt"], undefined),
  row("/usr/bin/gawk", ["gawk", "-d", "BEGIN{print 1}"], undefined),
  row("/usr/bin/gawk", ["gawk", "BEGIN{print 1}", "-f", "/tmp/a.awk"], undefined),
  // mawk is Debian's default awk.
  row("/usr/bin/mawk", ["awk", "-f", "/tmp/a.awk"], "/tmp/a.awk"),
  row("/usr/bin/mawk", ["mawk", "-W", "exec", "/tmp/a.awk"], "/tmp/a.awk"),
  row("/usr/bin/mawk", ["mawk", "-We", "/tmp/a.awk"], "/tmp/a.awk"),
  row("/usr/bin/mawk", ["mawk", "-Wi", "BEGIN{print 1}"], undefined),
  row("/usr/bin/mawk", ["mawk", "-W", "interactive", "{print}", "/tmp/in.txt"], undefined),
  row("/usr/bin/mawk", ["awk", "{print}", "/tmp/in.txt"], undefined),
];

const TCL: ScriptCase[] = [
  row("/usr/bin/tclsh8.6", ["tclsh", "/tmp/x.tcl"], "/tmp/x.tcl"),
  row("/usr/bin/tclsh8.6", ["tclsh", "-encoding", "utf-8", "/tmp/x.tcl"], "/tmp/x.tcl"),
];

const SCRIPT_CASES: Readonly<Record<string, readonly ScriptCase[]>> = {
  shells: SHELLS,
  "multi-call": MULTI_CALL,
  identity: IDENTITY,
  python: PYTHON,
  perl: PERL,
  ruby: RUBY,
  node: NODE,
  php: PHP,
  lua: LUA,
  awk: AWK,
  tclsh: TCL,
};

describe.each(Object.entries(SCRIPT_CASES))("scriptArgument: %s", (_family, cases) => {
  it.each(cases)("$exe $args → $want", ({ exe, args, invoked, want }) => {
    expect(scriptArgument(exe, args, invoked)).toBe(want);
  });
});

describe("interpreterFamily", () => {
  it.each([
    ["python3.11", "python"],
    ["perl5.36.0", "perl"],
    ["php8.2", "php"],
    ["lua5.4", "lua"],
    ["ksh93", "shell"],
    ["mksh", "shell"],
    ["hush", "shell"],
    ["nodejs", "node"],
    ["mawk", "awk"],
    ["gawk", "awk"],
    ["tclsh8.6", "tclsh"],
    ["pythonista", undefined],
    ["busybox", undefined],
    ["curl", undefined],
  ])("%s → %s", (name, family) => {
    expect(interpreterFamily(name)).toBe(family);
  });
});
