/**
 * File transfer clients with a command prompt (DESIGN §4.3a). Their interactive sessions read commands such as
 * `open host` / `connect host` from standard input, so an interactive invocation names only where it starts:
 * its targets are shown but never excepted.
 *
 * - ftp: tnftp 20210827 (Debian's `ftp`; `ftp -?` usage): getopt. `-u URL` uploads to URL (a destination).
 *   URL and `host:path` arguments are fetched without a prompt, unless the path is empty or ends in `/`.
 *   `~/.netrc` macros (`macdef init`) are invisible to exec telemetry.
 * - tftp: tftp-hpa 5.2 (`tftp -h`): `[options] [host [port]] [-c command]`; the command is the rest of argv,
 *   and `get host:file` / `put file host:file` names another host.
 * - telnet: GNU inetutils 2.4 (`telnet --help`); the escape character opens a command prompt on the same
 *   input (`open host`), and `~/.telnetrc` runs commands: never excepted.
 */
import { type Grammar, shortOptionsOnly, url } from "./option-parser.js";

export const FTP: Grammar = shortOptionsOnly(
  {
    "4": "flag",
    "6": "flag",
    A: "flag",
    a: "flag",
    d: "flag",
    e: "flag",
    f: "flag",
    g: "flag",
    i: "flag",
    n: "flag",
    p: "flag",
    R: "flag",
    t: "flag",
    V: "flag",
    v: "flag",
    N: "value",
    o: "value",
    P: "value",
    q: "value",
    r: "value",
    s: "value",
    T: "value",
    x: "value",
    u: url,
  },
  true,
);

/** tftp-hpa's options before `-c` (its own parser: clusters, a value always in the next argument). */
export const TFTP: Grammar = shortOptionsOnly(
  { "4": "flag", "6": "flag", l: "flag", v: "flag", V: "flag", m: "value", R: "value" },
  true,
);

const TELNET_LONG = {
  ipv4: "flag",
  ipv6: "flag",
  binary: "flag",
  login: "flag",
  bind: "value",
  "no-rc": "flag",
  debug: "flag",
  escape: "value",
  "no-escape": "flag",
  "no-login": "flag",
  user: "value",
  "binary-output": "flag",
  trace: "value",
  rlogin: "flag",
  encrypt: "flag",
  realm: "value",
  "disable-auth": "value",
  help: "flag",
  usage: "flag",
  version: "flag",
} as const;

export const TELNET: Grammar = {
  short: {
    "4": "flag",
    "6": "flag",
    "8": "flag",
    a: "flag",
    c: "flag",
    d: "flag",
    E: "flag",
    K: "flag",
    L: "flag",
    r: "flag",
    x: "flag",
    "?": "flag",
    V: "flag",
    b: "value",
    e: "value",
    k: "value",
    l: "value",
    n: "value",
    X: "value",
  },
  long: TELNET_LONG,
  longDash: "--",
  equals: true,
  abbreviations: "resolve",
  negatedFlags: false,
  permute: true,
};
