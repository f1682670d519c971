/**
 * The network targets of a utility invocation, parsed per utility (DESIGN §4.3a). `undefined` means "no
 * recognisable target" (interactive mode, a listener on every interface, a batch file of targets): such an
 * invocation is never excepted. Parsing errs towards reporting more targets, never fewer: an unknown option
 * whose value is taken for a target can only keep an alert, not suppress one.
 */
import { isLoopbackHost } from "./loopback.js";

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

interface OptionSpec {
  /** Options whose value is skipped (not a target). */
  readonly skip: ReadonlySet<string>;
  /** Options whose value is a target (a URL or host). */
  readonly target: ReadonlySet<string>;
  /** Options after which the targets cannot be known from argv (a file of URLs, a config file). */
  readonly opaque: ReadonlySet<string>;
}

const spec = (skip: string[], target: string[] = [], opaque: string[] = []): OptionSpec => ({
  skip: new Set(skip),
  target: new Set(target),
  opaque: new Set(opaque),
});

const CURL = spec(
  [
    "-o",
    "--output",
    "-H",
    "--header",
    "-d",
    "--data",
    "--data-raw",
    "--data-binary",
    "--data-urlencode",
    "-X",
    "--request",
    "-u",
    "--user",
    "-A",
    "--user-agent",
    "-e",
    "--referer",
    "-m",
    "--max-time",
    "--connect-timeout",
    "-T",
    "--upload-file",
    "-b",
    "--cookie",
    "-c",
    "--cookie-jar",
    "-F",
    "--form",
    "-w",
    "--write-out",
    "-r",
    "--range",
    "-C",
    "--continue-at",
    "-E",
    "--cert",
    "--key",
    "--cacert",
    "--retry",
    "--retry-delay",
    "--retry-max-time",
    "-y",
    "--speed-time",
    "-Y",
    "--speed-limit",
    "--limit-rate",
    "--max-filesize",
    "--interface",
    "--local-port",
    "-D",
    "--dump-header",
    "--trace",
    "--trace-ascii",
    "--stderr",
    "--output-dir",
    "-z",
    "--time-cond",
    "--json",
    "--oauth2-bearer",
  ],
  ["--url", "-x", "--proxy", "--preproxy", "--connect-to", "--resolve", "--doh-url"],
  ["-K", "--config"],
);

const WGET = spec(
  [
    "-O",
    "--output-document",
    "-o",
    "--output-file",
    "-a",
    "--append-output",
    "-T",
    "--timeout",
    "-t",
    "--tries",
    "-w",
    "--wait",
    "-P",
    "--directory-prefix",
    "-U",
    "--user-agent",
    "--header",
    "--post-data",
    "--post-file",
    "--body-data",
    "--body-file",
    "--method",
    "--user",
    "--password",
    "--http-user",
    "--http-password",
    "--load-cookies",
    "--save-cookies",
    "-l",
    "--level",
    "-A",
    "--accept",
    "-R",
    "--reject",
    "-Q",
    "--quota",
    "--limit-rate",
    "--bind-address",
    "--dns-timeout",
    "--connect-timeout",
    "--read-timeout",
    "-D",
    "--domains",
    "--ca-certificate",
    "--certificate",
    "--private-key",
  ],
  [],
  ["-i", "--input-file", "-e", "--execute", "-B", "--base", "--config"],
);

const NC = spec(
  [
    "-p",
    "-s",
    "-w",
    "-i",
    "-q",
    "-O",
    "-I",
    "-M",
    "-m",
    "-T",
    "-V",
    "-W",
    "-P",
    "-X",
    "-e",
    "-c",
    "-g",
    "-G",
  ],
  ["-x", "--proxy"],
);

const NCAT = spec(
  [
    "-p",
    "--source-port",
    "-s",
    "--source",
    "-w",
    "--wait",
    "-i",
    "--idle-timeout",
    "-e",
    "--exec",
    "-c",
    "--sh-exec",
    "--lua-exec",
    "-o",
    "--output",
    "-x",
    "--hex-dump",
    "-d",
    "--delay",
    "-m",
    "--max-conns",
    "--allow",
    "--allowfile",
    "--deny",
    "--denyfile",
    "--proxy-type",
    "--proxy-auth",
    "--ssl-cert",
    "--ssl-key",
    "--ssl-trustfile",
    "--ssl-ciphers",
    "--ssl-alpn",
    "-g",
    "-G",
  ],
  ["--proxy"],
);

const TELNET = spec(["-l", "-e", "-n", "-b", "-X", "-k"]);
const DIG = spec(["-p", "-c", "-t", "-b", "-k", "-y", "-m"], ["-q", "-x"], ["-f"]);
const HOST = spec(["-c", "-N", "-R", "-t", "-W", "-m", "-p"]);
const NSLOOKUP = spec([]);
const FTP = spec(["-P", "-s", "-o", "-T", "-r", "-q"]);

/** Positional arguments and option-borne targets, or "opaque" when argv cannot tell the targets. */
function scan(
  args: readonly string[],
  options: OptionSpec,
): { positional: string[]; fromOptions: string[] } | "opaque" {
  const positional: string[] = [];
  const fromOptions: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (arg.length > 1 && arg[0] === "-") {
      const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
      const name = eq > 0 ? arg.slice(0, eq) : arg;
      if (options.opaque.has(name)) return "opaque";
      if (options.target.has(name)) {
        const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
        if (value !== undefined) fromOptions.push(value);
      } else if (options.skip.has(name) && eq < 0) {
        i++;
      } else if (!arg.startsWith("--") && arg.length > 2) {
        // Clustered short options: `-sSfL`, or a value glued to its option: `-x127.0.0.1:8080`, `-p4444`.
        const short = arg.slice(0, 2);
        if (options.opaque.has(short)) return "opaque";
        if (options.target.has(short)) fromOptions.push(arg.slice(2));
      }
      continue;
    }
    positional.push(arg);
  }
  return { positional, fromOptions };
}

const hostsOf = (values: readonly string[]): string[] => values.map(urlHost);

const DNS_TYPES = new Set([
  "a",
  "aaaa",
  "any",
  "axfr",
  "caa",
  "cname",
  "dnskey",
  "ds",
  "hinfo",
  "https",
  "ixfr",
  "mx",
  "naptr",
  "ns",
  "nsec",
  "nsec3",
  "ptr",
  "rrsig",
  "soa",
  "spf",
  "srv",
  "sshfp",
  "svcb",
  "tlsa",
  "txt",
  "in",
  "ch",
  "hs",
]);

/** Per-utility target extraction; the key is the utility name as the rule identified it. */
const EXTRACTORS: Readonly<Record<string, (args: readonly string[]) => string[] | undefined>> = {
  curl: (args) => urlTargets(args, CURL),
  wget: (args) => urlTargets(args, WGET),
  "lwp-download": (args) => urlTargets(args, spec([])),
  "lwp-request": (args) => urlTargets(args, spec(["-m", "-c", "-i", "-t", "-C", "-H", "-P"])),
  aria2c: (args) =>
    urlTargets(args, spec(["-d", "--dir", "-o", "--out", "-x", "-s"], [], ["-i", "--input-file"])),
  tftp: (args) => firstPositional(args, spec(["-m", "-l", "-R", "-c"])),
  ftp: (args) => firstPositional(args, FTP),
  nc: (args) => socketTargets(args, NC),
  netcat: (args) => socketTargets(args, NC),
  "nc.openbsd": (args) => socketTargets(args, NC),
  "nc.traditional": (args) => socketTargets(args, NC),
  "netcat.openbsd": (args) => socketTargets(args, NC),
  "netcat.traditional": (args) => socketTargets(args, NC),
  ncat: (args) => socketTargets(args, NCAT),
  telnet: (args) => firstPositional(args, TELNET),
  socat: socatTargets,
  openssl: opensslTargets,
  nslookup: (args) => dnsNames(args, NSLOOKUP, 1),
  host: (args) => dnsNames(args, HOST, 1),
  dig: (args) => dnsNames(args, DIG, Number.POSITIVE_INFINITY),
  kdig: (args) => dnsNames(args, DIG, Number.POSITIVE_INFINITY),
  drill: (args) => dnsNames(args, DIG, Number.POSITIVE_INFINITY),
  delv: (args) => dnsNames(args, DIG, Number.POSITIVE_INFINITY),
};

function urlTargets(args: readonly string[], options: OptionSpec): string[] | undefined {
  const found = scan(args, options);
  if (found === "opaque") return undefined;
  const targets = hostsOf([...found.positional, ...found.fromOptions]);
  return targets.length > 0 ? targets : undefined;
}

function firstPositional(args: readonly string[], options: OptionSpec): string[] | undefined {
  const found = scan(args, options);
  if (found === "opaque" || found.positional.length === 0) return undefined;
  return [found.positional[0]!, ...hostsOf(found.fromOptions)];
}

function socketTargets(args: readonly string[], options: OptionSpec): string[] | undefined {
  // A listener (`nc -l`, `-lvnp`) with no bind address listens on every interface: a bind shell.
  const listening = args.some(
    (a) => a === "-l" || a === "--listen" || (/^-[a-zA-Z]+$/.test(a) && a.includes("l")),
  );
  const found = scan(args, options);
  if (found === "opaque") return undefined;
  const hosts = found.positional.filter((p) => !/^[0-9]+(-[0-9]+)?$/.test(p));
  if (listening && hosts.length === 0) return undefined;
  const targets = [...(hosts.length > 0 ? [hosts[0]!] : []), ...hostsOf(found.fromOptions)];
  return targets.length > 0 ? targets : undefined;
}

/**
 * socat addresses: `TCP:host:port`, `OPENSSL:host:port`, `UDP4-SENDTO:host:port` connect to host;
 * `TCP-LISTEN:port` listens on every interface unless `,bind=` says otherwise; EXEC, STDIO, FILE and the
 * like carry no network target.
 */
function socatTargets(args: readonly string[]): string[] | undefined {
  const targets: string[] = [];
  for (const arg of args) {
    if (arg.length > 1 && arg[0] === "-" && !arg.includes(":")) continue;
    const [head = "", ...rest] = arg.split(",");
    const colon = head.indexOf(":");
    const type = (colon < 0 ? head : head.slice(0, colon)).toUpperCase();
    const params = colon < 0 ? "" : head.slice(colon + 1);
    const bind = rest.find((o) => o.toLowerCase().startsWith("bind="));
    if (/LISTEN|RECV/.test(type)) {
      targets.push(bind ? urlHost(bind.slice(5)) : "0.0.0.0");
    } else if (/^(TCP|UDP|SCTP|DCCP|OPENSSL|SSL|SOCKS|PROXY|UDP-SENDTO|UDP4|UDP6|TCP4|TCP6)/.test(type)) {
      const host = params.startsWith("[") ? params.slice(0, params.indexOf("]") + 1) : params.split(":")[0];
      if (host) targets.push(host);
    }
  }
  return targets.length > 0 ? targets : undefined;
}

function opensslTargets(args: readonly string[]): string[] | undefined {
  const mode = args.find((a) => !a.startsWith("-"));
  if (mode === "s_server") {
    const accept = args.indexOf("-accept");
    const value = accept >= 0 ? args[accept + 1] : undefined;
    return value?.includes(":") ? [urlHost(value)] : undefined;
  }
  const connect = args.indexOf("-connect");
  const value = connect >= 0 ? args[connect + 1] : undefined;
  return value ? [urlHost(value)] : undefined;
}

/**
 * DNS tools: the names queried are the targets. A server argument (`@127.0.0.1`, nslookup's second
 * positional) does not count: a local resolver forwards the query, which is how DNS exfiltration leaves.
 */
function dnsNames(args: readonly string[], options: OptionSpec, maxNames: number): string[] | undefined {
  const found = scan(args, options);
  if (found === "opaque") return undefined;
  const names = found.positional.filter(
    (p) => !p.startsWith("@") && !p.startsWith("+") && !DNS_TYPES.has(p.toLowerCase()),
  );
  const targets = [...names.slice(0, maxNames), ...found.fromOptions];
  return targets.length > 0 ? targets : undefined;
}

/** Whether every network target of this invocation is loopback (the loopback-only exception). */
export function targetsAreLoopbackOnly(utility: string, args: readonly string[]): boolean {
  const extract = EXTRACTORS[utility];
  if (extract === undefined) return false;
  const targets = extract(args);
  return targets?.every(isLoopbackHost) ?? false;
}

/** Exposed for tests and triage output: the targets as parsed, or undefined when unknown. */
export function networkTargets(utility: string, args: readonly string[]): string[] | undefined {
  return EXTRACTORS[utility]?.(args);
}
