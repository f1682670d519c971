/**
 * The network targets of a utility invocation, read per utility by a grammar of its options
 * (lib/rule/grammars/, DESIGN §4.3a). The loopback exception fails closed: an invocation is excepted only when
 * every argument is understood and every destination it names is loopback. `undefined` (opaque) means argv
 * cannot tell where the tool goes: an option the grammar does not know, a positional it cannot place, a config
 * or input file, a listener on every interface, an interactive session that takes commands from its input;
 * it is never excepted. Where readings differ (`nc` may be any netcat), the one with more targets or opacity
 * wins, and options that name another destination (proxy, resolve override, DoH, source-route hop) add their
 * hosts as targets: parsing errs towards reporting more targets, never fewer. Environment and config files
 * (`http_proxy`, `.curlrc`, `.wgetrc`) are invisible to exec telemetry (README).
 */
import { ARIA2C } from "./grammars/aria2c.js";
import { CURL } from "./grammars/curl.js";
import {
  DELV,
  DIG,
  DNS_TYPES,
  DRILL,
  HOST,
  KDIG,
  NSLOOKUP_OPTIONS,
  PLUS_DESTINATIONS,
} from "./grammars/dns.js";
import { FTP, TELNET, TFTP } from "./grammars/ftp.js";
import { LWP_DOWNLOAD, LWP_REQUEST } from "./grammars/lwp.js";
import { NC_OPENBSD, NC_TRADITIONAL, NCAT } from "./grammars/netcat.js";
import { S_CLIENT, S_SERVER } from "./grammars/openssl.js";
import { colonFields, type Grammar, MAX_ARGS, parseOptions, urlHost } from "./grammars/option-parser.js";
import { SOCAT_ADDRESSES, SOCAT_OPTIONS } from "./grammars/socat.js";
import { WGET } from "./grammars/wget.js";
import { isLoopbackHost } from "./loopback.js";

export { urlHost };

/**
 * What argv says about destinations. `exceptable` is false where the tool can go elsewhere on its own input
 * (an ftp, tftp or telnet prompt): the targets are shown, but never excepted.
 */
interface Reading {
  readonly targets: readonly string[];
  readonly exceptable: boolean;
}

type Extractor = (args: readonly string[]) => Reading | undefined;

const reading = (targets: readonly string[], exceptable = true): Reading | undefined =>
  targets.length > 0 ? { targets, exceptable } : undefined;

/** curl, wget, lwp-request: every positional is a URL. aria2c: a TAB separates mirrors inside one. */
const urlTool =
  (grammar: Grammar, split?: string): Extractor =>
  (args) => {
    const parsed = parseOptions(args, grammar);
    if (parsed === undefined) return undefined;
    const urls = split === undefined ? parsed.positionals : parsed.positionals.flatMap((p) => p.split(split));
    return reading([...urls.map(urlHost), ...parsed.destinations]);
  };

/** lwp-download URL [local-path]. */
const lwpDownload: Extractor = (args) => {
  const parsed = parseOptions(args, LWP_DOWNLOAD);
  if (parsed === undefined || parsed.positionals.length > 2 || parsed.positionals.length === 0)
    return undefined;
  return reading([urlHost(parsed.positionals[0]!)]);
};

const has = (options: ReadonlyMap<string, readonly string[]>, ...names: string[]): boolean =>
  names.some((n) => options.has(n));
const last = (options: ReadonlyMap<string, readonly string[]>, name: string): string | undefined =>
  options.get(name)?.at(-1);
const isPort = (p: string): boolean => /^[0-9]+(-[0-9]+)?$/.test(p);

/**
 * A netcat connection: the host, then ports. A port argument that is not a number or range is not placed
 * (a service name, or a second host that a variant might read differently): opaque.
 */
const connectTo = (positionals: readonly string[], destinations: readonly string[], maxPorts: number) =>
  positionals.length === 0 || positionals.length - 1 > maxPorts || !positionals.slice(1).every(isPort)
    ? undefined
    : reading([positionals[0]!, ...destinations]);

/**
 * OpenBSD netcat: `[destination] [port…]`; listening, the bind address is the destination before the port, or
 * `-s`. None: every interface. `-U` is a UNIX socket path, not a network target (docker.sock): opaque.
 */
const ncOpenbsd: Extractor = (args) => {
  const parsed = parseOptions(args, NC_OPENBSD);
  if (parsed === undefined || parsed.options.has("-U")) return undefined;
  const { positionals, options, destinations } = parsed;
  if (options.has("-l")) {
    const bind = [...(positionals.length >= 2 ? [positionals[0]!] : []), ...(options.get("-s") ?? [])];
    return bind.length === 0 ? undefined : reading([...bind, ...destinations]);
  }
  return connectTo(positionals, destinations, Number.POSITIVE_INFINITY);
};

/**
 * Traditional netcat: `hostname port…`; listening, it binds `-s` (else every interface) and talks only to the
 * optional peer `hostname`. `-g` hops are destinations.
 */
const ncTraditional: Extractor = (args) => {
  const parsed = parseOptions(args, NC_TRADITIONAL);
  if (parsed === undefined) return undefined;
  const { positionals, options, destinations } = parsed;
  if (options.has("-l")) {
    const ends = [...(options.get("-s") ?? []), ...(positionals.length > 0 ? [positionals[0]!] : [])];
    return ends.length === 0 ? undefined : reading([...ends, ...destinations]);
  }
  return connectTo(positionals, destinations, Number.POSITIVE_INFINITY);
};

/** ncat `[hostname] [port]`; listening (`-l`, `--broker`, `--chat`), the hostname is the bind address. */
const ncat: Extractor = (args) => {
  const parsed = parseOptions(args, NCAT);
  if (parsed === undefined || has(parsed.options, "-U", "--unixsock", "--vsock")) return undefined;
  const { positionals, options, destinations } = parsed;
  if (has(options, "-l", "--listen", "--broker", "--chat", "--talk")) {
    const host = positionals.length >= 2 || (positionals.length === 1 && !isPort(positionals[0]!));
    return host && positionals.length <= 2 ? reading([positionals[0]!, ...destinations]) : undefined;
  }
  return connectTo(positionals, destinations, 1);
};

/**
 * Several readings of one argv: every target of every reading, excepted only if every reading understood argv
 * and is exceptable. (`nc -e /bin/sh host port` is opaque to OpenBSD netcat, which has no `-e`, yet the other
 * readings still show its host.)
 */
const anyOf =
  (...extractors: Extractor[]): Extractor =>
  (args) => {
    const targets = new Set<string>();
    let exceptable = true;
    for (const extract of extractors) {
      const found = extract(args);
      if (found === undefined) exceptable = false;
      else {
        for (const t of found.targets) targets.add(t);
        exceptable &&= found.exceptable;
      }
    }
    return reading([...targets], exceptable);
  };

/** `nc`/`netcat` may be OpenBSD's (Debian), the traditional one, or ncat (RHEL, Fedora). */
const anyNetcat = anyOf(ncOpenbsd, ncTraditional, ncat);

/** Characters socat reads as quoting or nesting inside an address: a host written with them is not read. */
const SOCAT_NESTING = /["'\\(){}]/;

/**
 * socat: its options, then exactly two addresses, each possibly dual (`read!!write`). Connecting addresses
 * name their hosts (`PROXY:` and `SOCKS4:` two), listeners their `bind=` address (none: every interface,
 * shown as 0.0.0.0); an address type not in the table is opaque.
 */
const socat: Extractor = (args) => {
  if (args.length > MAX_ARGS) return undefined;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-" || !arg.startsWith("-")) break;
    if (/^-d+$/.test(arg)) continue;
    const body = arg.slice(1);
    const two = SOCAT_OPTIONS.get(body.slice(0, 2));
    const one = SOCAT_OPTIONS.get(body.slice(0, 1));
    if (SOCAT_OPTIONS.get(body) === "flag" || SOCAT_OPTIONS.get(body) === "optional") continue;
    const [name, kind] = two !== undefined && two !== "flag" ? [2, two] : [1, one];
    if (kind === undefined || kind === "flag") return undefined;
    if (kind === "value" && body.length === name && ++i >= args.length) return undefined;
  }
  const addresses = args.slice(i);
  if (addresses.length !== 2) return undefined;
  const targets: string[] = [];
  for (const single of addresses.flatMap((a) => a.split("!!"))) {
    const found = socatAddress(single);
    if (found === undefined) return undefined;
    targets.push(...found);
  }
  return reading(targets);
};

function socatAddress(address: string): string[] | undefined {
  const comma = address.indexOf(",");
  const head = comma < 0 ? address : address.slice(0, comma);
  const options = comma < 0 ? [] : address.slice(comma + 1).split(",");
  const colon = head.indexOf(":");
  const keyword = (colon < 0 ? head : head.slice(0, colon)).toLowerCase();
  const type = SOCAT_ADDRESSES.get(keyword);
  if (type === undefined) return colon < 0 && /^[0-9]+$/.test(head) ? [] : undefined;
  if (type.kind === "local") return [];
  if (type.kind === "opaque" || SOCAT_NESTING.test(address)) return undefined;
  if (type.kind === "listen") {
    const bind = options.find((o) => o.toLowerCase().startsWith("bind="));
    return [bind === undefined ? "0.0.0.0" : urlHost(bind.slice(5))];
  }
  const fields = colon < 0 ? [] : colonFields(head.slice(colon + 1));
  const hosts =
    type.kind === "connect"
      ? type.hostFields.map((f) => fields[f])
      : fields.slice(0, -1).filter((f) => !isPort(f));
  if (hosts.length === 0 || hosts.some((h) => h === undefined || h === "")) return undefined;
  return hosts as string[];
}

/**
 * openssl s_client: `-connect`, `-host`, `-proxy` or the positional `host:port`; none named means the
 * built-in default (localhost:4433), which names nothing and is not excepted. s_server: the `-accept` host
 * (a port alone: every interface); `-status` without `-status_file`/`-status_url` asks the responder in the
 * certificate, a destination argv does not show.
 */
const openssl: Extractor = (args) => {
  const [command, ...rest] = args;
  if (command === "s_client") {
    const parsed = parseOptions(rest, S_CLIENT);
    if (parsed === undefined || parsed.positionals.length > 1) return undefined;
    return reading([...parsed.destinations, ...parsed.positionals.map(urlHost)]);
  }
  if (command === "s_server") {
    const parsed = parseOptions(rest, S_SERVER);
    if (parsed === undefined || parsed.positionals.length > 0) return undefined;
    const { options } = parsed;
    const status = has(options, "-status", "-status_verbose");
    if (status && !has(options, "-status_file", "-status_url")) return undefined;
    const accept = last(options, "-accept");
    if (accept === undefined || !accept.includes(":")) return undefined;
    return reading([urlHost(accept), ...parsed.destinations]);
  }
  return undefined;
};

/**
 * dig, delv, kdig, drill: every positional that is not `@server`, `+option`, a query type or class is a name
 * queried. `+domain=` adds its name; `+trace`, `+nssearch` are opaque (PLUS_DESTINATIONS).
 */
const dnsTool =
  (grammar: Grammar): Extractor =>
  (args) => {
    const parsed = parseOptions(args, grammar);
    if (parsed === undefined) return undefined;
    const names = [...parsed.destinations];
    for (const p of parsed.positionals) {
      if (p.startsWith("@") || DNS_TYPES.has(p.toLowerCase())) continue;
      if (!p.startsWith("+")) {
        names.push(p);
        continue;
      }
      const eq = p.indexOf("=");
      const keyword = (eq < 0 ? p.slice(1) : p.slice(1, eq)).toLowerCase();
      for (const [dangerous, kind] of Object.entries(PLUS_DESTINATIONS)) {
        const related = (k: string): boolean =>
          k.length > 0 && (dangerous.startsWith(k) || k.startsWith(dangerous));
        if (!related(keyword) && !related(keyword.replace(/^no/, ""))) continue;
        if (kind === "opaque") return undefined;
        if (eq >= 0) names.push(p.slice(eq + 1));
      }
    }
    return reading(names);
  };

/** host NAME [SERVER]: the server does not count; anything more is not placed (opaque). */
const host: Extractor = (args) => {
  const parsed = parseOptions(args, HOST);
  if (parsed === undefined || parsed.positionals.length > 2 || parsed.positionals.length === 0)
    return undefined;
  return reading([parsed.positionals[0]!]);
};

/** nslookup [-option…] NAME [SERVER]; no name, or `-`, is the interactive mode (names from stdin): opaque. */
const nslookup: Extractor = (args) => {
  if (args.length > MAX_ARGS) return undefined;
  const names: string[] = [];
  const positionals: string[] = [];
  for (const arg of args) {
    if (arg.length < 2 || arg[0] !== "-") {
      positionals.push(arg);
      continue;
    }
    const body = arg.slice(1);
    const eq = body.indexOf("=");
    const keyword = (eq < 0 ? body : body.slice(0, eq)).toLowerCase();
    const option = NSLOOKUP_OPTIONS.find(
      (o) => keyword.length >= o.min && o.keyword.startsWith(keyword) && eq >= 0 === (o.value !== "none"),
    );
    if (option === undefined) return undefined;
    if (option.value === "name") names.push(body.slice(eq + 1));
  }
  if (positionals.length === 0 || positionals.length > 2 || positionals[0] === "-") return undefined;
  return reading([positionals[0]!, ...names]);
};

/** tftp [options] host [port] [-c get|put …]: without `-c`, a prompt; `host:file` names another host. */
const tftp: Extractor = (args) => {
  const c = args.indexOf("-c");
  const parsed = parseOptions(c < 0 ? args : args.slice(0, c), TFTP);
  if (parsed === undefined || parsed.positionals.length === 0 || parsed.positionals.length > 2)
    return undefined;
  const hostName = parsed.positionals[0]!;
  if (c < 0) return reading([hostName], false);
  const [verb, ...files] = args.slice(c + 1);
  if (verb !== "get" && verb !== "put") return undefined;
  return reading([hostName, ...files.filter((f) => f.includes(":")).map((f) => f.slice(0, f.indexOf(":")))]);
};

/**
 * ftp (tnftp): `-u URL file…` uploads; URL or `[user@]host:path` arguments are fetched (a prompt when the path
 * is empty or ends in `/`); `[user@]host [port]` opens a prompt.
 */
const ftp: Extractor = (args) => {
  const parsed = parseOptions(args, FTP);
  if (parsed === undefined) return undefined;
  const { positionals, destinations, options } = parsed;
  if (options.has("-u")) return reading(destinations);
  const first = positionals[0];
  if (first === undefined) return undefined;
  if (!first.includes(":")) return reading([urlHost(first)], false);
  let prompt = false;
  const hosts = positionals.map((p) => {
    const http = /^https?:\/\//i.test(p);
    const afterHost = p.includes("://") ? p.slice(p.indexOf("://") + 3) : p;
    const path = afterHost.slice(Math.max(afterHost.indexOf("/"), afterHost.indexOf(":") + 1));
    if (!http && (path === "" || path.endsWith("/"))) prompt = true;
    return p.includes("://") ? urlHost(p) : urlHost(p.slice(0, p.indexOf(":")));
  });
  return reading(hosts, !prompt);
};

/** telnet [options] host [port]: interactive (the escape character opens a prompt on the same input). */
const telnet: Extractor = (args) => {
  const parsed = parseOptions(args, TELNET);
  if (parsed === undefined || parsed.positionals.length === 0) return undefined;
  return reading([parsed.positionals[0]!], false);
};

/** Per-utility target extraction; the key is the utility name as the rule identified it. */
const EXTRACTORS: Readonly<Record<string, Extractor>> = {
  curl: urlTool(CURL),
  wget: urlTool(WGET),
  "lwp-download": lwpDownload,
  "lwp-request": urlTool(LWP_REQUEST),
  aria2c: urlTool(ARIA2C, "\t"),
  tftp,
  ftp,
  nc: anyNetcat,
  netcat: anyNetcat,
  "nc.openbsd": ncOpenbsd,
  "netcat.openbsd": ncOpenbsd,
  "nc.traditional": ncTraditional,
  "netcat.traditional": ncTraditional,
  ncat,
  telnet,
  socat,
  openssl,
  nslookup,
  host,
  dig: dnsTool(DIG),
  kdig: dnsTool(KDIG),
  drill: dnsTool(DRILL),
  delv: dnsTool(DELV),
};

function read(utility: string, args: readonly string[]): Reading | undefined {
  return Object.hasOwn(EXTRACTORS, utility) ? EXTRACTORS[utility]!(args) : undefined;
}

/** Whether every network target of this invocation is loopback (the loopback-only exception). */
export function targetsAreLoopbackOnly(utility: string, args: readonly string[]): boolean {
  const found = read(utility, args);
  return found?.exceptable === true && found.targets.every(isLoopbackHost);
}

/** Exposed for tests and triage output: the targets as parsed, or undefined when unknown. */
export function networkTargets(utility: string, args: readonly string[]): string[] | undefined {
  const found = read(utility, args);
  return found === undefined ? undefined : [...found.targets];
}
