/**
 * Options of the DNS lookup tools (DESIGN §4.3a). The names they query are their targets; the server
 * (`@127.0.0.1`, host's and nslookup's second positional) is not, since a local resolver forwards the query.
 *
 * - dig: BIND 9.18.49 (`dig -h`): one-letter options, flags clustered (`-46`), a value glued or next
 *   (`-tTXT`, `-t TXT`), options anywhere. `-q name` and `-x addr` name what is queried; `-f file` reads the
 *   queries from a file (opaque). `~/.digrc` is read unless `-r` (invisible to exec telemetry).
 * - host: BIND 9.18.49 (`host` usage): BSD-style parse, options end at the first name (`host x -t txt` looks
 *   up `-t`).
 * - delv: BIND 9.18.49 (`delv -h`).
 * - kdig: Knot DNS 3.2.6 (`kdig -h`). `-E`/`-G` are dnstap files.
 * - drill: ldns 1.8.3 (`drill -h`): `-f file` sends a packet read from a file (opaque); `-d domain` is where a
 *   trace starts (a name queried).
 */
import { type DestinationReader, shortOptionsOnly } from "./option-parser.js";

/** A name or address to query, as written. */
export const name: DestinationReader = (value) => [value];

export const DIG = shortOptionsOnly(
  {
    "4": "flag",
    "6": "flag",
    h: "flag",
    m: "flag",
    r: "flag",
    u: "flag",
    v: "flag",
    b: "value",
    c: "value",
    k: "value",
    p: "value",
    t: "value",
    y: "value",
    f: "opaque",
    q: name,
    x: name,
  },
  true,
);

export const HOST = shortOptionsOnly(
  {
    "4": "flag",
    "6": "flag",
    a: "flag",
    A: "flag",
    C: "flag",
    d: "flag",
    i: "flag",
    l: "flag",
    r: "flag",
    s: "flag",
    T: "flag",
    U: "flag",
    v: "flag",
    V: "flag",
    w: "flag",
    c: "value",
    m: "value",
    N: "value",
    p: "value",
    R: "value",
    t: "value",
    W: "value",
  },
  false,
);

export const DELV = shortOptionsOnly(
  {
    "4": "flag",
    "6": "flag",
    h: "flag",
    i: "flag",
    m: "flag",
    v: "flag",
    a: "value",
    b: "value",
    c: "value",
    d: "value",
    p: "value",
    t: "value",
    q: name,
    x: name,
  },
  true,
);

export const KDIG = shortOptionsOnly(
  {
    "4": "flag",
    "6": "flag",
    d: "flag",
    h: "flag",
    V: "flag",
    b: "value",
    c: "value",
    E: "value",
    G: "value",
    k: "value",
    p: "value",
    t: "value",
    y: "value",
    q: name,
    x: name,
  },
  true,
);

export const DRILL = shortOptionsOnly(
  {
    "4": "flag",
    "6": "flag",
    a: "flag",
    D: "flag",
    h: "flag",
    Q: "flag",
    s: "flag",
    S: "flag",
    t: "flag",
    T: "flag",
    u: "flag",
    v: "flag",
    x: "flag",
    z: "flag",
    b: "value",
    c: "value",
    i: "value",
    I: "value",
    k: "value",
    o: "value",
    p: "value",
    q: "value",
    r: "value",
    V: "value",
    w: "value",
    y: "value",
    d: name,
    f: "opaque",
  },
  true,
);

/**
 * `+keyword[=value]` options of dig, delv and kdig that change what is queried or where: `+domain=` appends a
 * name to the one queried (a channel of its own); `+trace` and `+nssearch` send queries straight to servers
 * found in DNS. The tools match keywords by prefix, so any keyword that is a prefix of one of these, or has one
 * as a prefix, reads as it. Other keywords only shape the query or the output.
 */
export const PLUS_DESTINATIONS: Readonly<Record<string, "name" | "opaque">> = {
  domain: "name",
  trace: "opaque",
  nssearch: "opaque",
};

/**
 * nslookup's `-keyword[=value]` options (BIND 9.18 `setoption`): the keyword may be shortened to at least
 * `min` letters; `value` says whether it takes `=value`. `domain=` names a suffix that is queried (a target).
 * Anything else is opaque.
 */
export const NSLOOKUP_OPTIONS: readonly {
  readonly keyword: string;
  readonly min: number;
  readonly value: "none" | "value" | "name";
}[] = [
  { keyword: "all", min: 3, value: "none" },
  { keyword: "class", min: 2, value: "value" },
  { keyword: "type", min: 2, value: "value" },
  { keyword: "querytype", min: 1, value: "value" },
  { keyword: "domain", min: 2, value: "name" },
  { keyword: "port", min: 2, value: "value" },
  { keyword: "timeout", min: 1, value: "value" },
  { keyword: "retry", min: 3, value: "value" },
  { keyword: "ndots", min: 5, value: "value" },
  { keyword: "recurse", min: 3, value: "none" },
  { keyword: "norecurse", min: 5, value: "none" },
  { keyword: "defname", min: 3, value: "none" },
  { keyword: "nodefname", min: 5, value: "none" },
  { keyword: "vc", min: 2, value: "none" },
  { keyword: "novc", min: 4, value: "none" },
  { keyword: "debug", min: 3, value: "none" },
  { keyword: "nodebug", min: 5, value: "none" },
  { keyword: "d2", min: 2, value: "none" },
  { keyword: "nod2", min: 4, value: "none" },
  { keyword: "search", min: 3, value: "none" },
  { keyword: "nosearch", min: 5, value: "none" },
  { keyword: "sil", min: 3, value: "none" },
  { keyword: "fail", min: 3, value: "none" },
  { keyword: "nofail", min: 5, value: "none" },
];

/** Query types and classes: positionals of dig, delv, kdig and drill that are not names. */
export const DNS_TYPES: ReadonlySet<string> = new Set([
  "a",
  "aaaa",
  "any",
  "axfr",
  "caa",
  "cds",
  "cdnskey",
  "cert",
  "cname",
  "dname",
  "dnskey",
  "ds",
  "hinfo",
  "https",
  "ixfr",
  "key",
  "loc",
  "mx",
  "naptr",
  "ns",
  "nsec",
  "nsec3",
  "nsec3param",
  "openpgpkey",
  "ptr",
  "rp",
  "rrsig",
  "smimea",
  "soa",
  "spf",
  "srv",
  "sshfp",
  "svcb",
  "tlsa",
  "txt",
  "uri",
  "zonemd",
  "in",
  "ch",
  "chaos",
  "hs",
  "hesiod",
  "none",
]);
