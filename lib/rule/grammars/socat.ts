/**
 * socat's options and address types (DESIGN §4.3a), checked against socat 1.7.4.4 (`socat -hh`) and the
 * socat 1.8 manual for the types added since. Keywords are case-insensitive. An address type not in this table
 * is unknown: opaque.
 */

/**
 * How an address type names destinations.
 * - `local`: none (standard streams, files, pipes, programs: a program socat starts is an exec of its own).
 * - `connect`: the listed `:`-separated fields are hosts it sends to (`PROXY:proxy:host:port` both hosts).
 * - `listen`: receives on every interface unless `,bind=` names the address.
 * - `opaque`: not a host socat reads: a local socket (UNIX, ABSTRACT — docker.sock, containerd's abstract
 *   sockets), a raw interface, a TUN device, a generic socket address, a VSOCK peer.
 */
export type SocatAddressKind =
  | { readonly kind: "local" }
  | { readonly kind: "connect"; readonly hostFields: readonly number[] }
  | { readonly kind: "connect-all-but-last" }
  | { readonly kind: "listen" }
  | { readonly kind: "opaque" };

const LOCAL = { kind: "local" } as const;
const HOST = { kind: "connect", hostFields: [0] } as const;
const VIA = { kind: "connect", hostFields: [0, 1] } as const;
const LISTEN = { kind: "listen" } as const;
const OPAQUE = { kind: "opaque" } as const;

const each = (names: readonly string[], kind: SocatAddressKind): [string, SocatAddressKind][] =>
  names.map((n) => [n, kind]);

export const SOCAT_ADDRESSES: ReadonlyMap<string, SocatAddressKind> = new Map<string, SocatAddressKind>([
  ...each(
    ["-", "stdio", "stdin", "stdout", "stderr", "exec", "system", "shell", "create", "creat", "open", "file"],
    LOCAL,
  ),
  ...each(["pipe", "fifo", "pty", "fd", "readline"], LOCAL),
  ...each(["tcp", "tcp4", "tcp6", "tcp-connect", "tcp4-connect", "tcp6-connect"], HOST),
  ...each(["udp", "udp4", "udp6", "udp-connect", "udp4-connect", "udp6-connect"], HOST),
  ...each(
    ["udp-sendto", "udp4-sendto", "udp6-sendto", "udp-datagram", "udp4-datagram", "udp6-datagram"],
    HOST,
  ),
  ...each(["ip-sendto", "ip4-sendto", "ip6-sendto", "ip-datagram", "ip4-datagram", "ip6-datagram"], HOST),
  ...each(["sctp", "sctp4", "sctp6", "sctp-connect", "sctp4-connect", "sctp6-connect"], HOST),
  ...each(["dccp-connect", "dccp4-connect", "dccp6-connect", "udplite-connect", "udplite4-connect"], HOST),
  ...each(
    ["udplite6-connect", "udplite-sendto", "udplite4-sendto", "udplite6-sendto", "udplite-datagram"],
    HOST,
  ),
  ...each(["openssl", "ssl", "openssl-connect", "openssl-dtls-client"], HOST),
  ...each(["proxy", "proxy-connect", "socks4", "socks4a"], VIA),
  // socat 1.8: SOCKS5[-CONNECT]:server[:port]:host:port — every field but the target port may be a host.
  ...each(["socks5", "socks5-connect"], { kind: "connect-all-but-last" }),
  ...each(["tcp-listen", "tcp4-listen", "tcp6-listen", "tcp-l", "tcp4-l", "tcp6-l"], LISTEN),
  ...each(["udp-listen", "udp4-listen", "udp6-listen", "udp-l", "udp4-l", "udp6-l"], LISTEN),
  ...each(["udp-recv", "udp4-recv", "udp6-recv", "udp-recvfrom", "udp4-recvfrom", "udp6-recvfrom"], LISTEN),
  ...each(["ip-recv", "ip4-recv", "ip6-recv", "ip-recvfrom", "ip4-recvfrom", "ip6-recvfrom"], LISTEN),
  ...each(["sctp-listen", "sctp4-listen", "sctp6-listen", "sctp-l", "sctp4-l", "sctp6-l"], LISTEN),
  ...each(["dccp-listen", "dccp4-listen", "dccp6-listen", "udplite-listen", "udplite4-listen"], LISTEN),
  ...each(["udplite6-listen", "openssl-listen", "ssl-l", "openssl-dtls-server", "socks5-listen"], LISTEN),
  ...each(
    ["unix", "unix-connect", "unix-client", "unix-listen", "unix-sendto", "unix-recv", "unix-recvfrom"],
    OPAQUE,
  ),
  ...each(["abstract", "abstract-connect", "abstract-client", "abstract-listen", "abstract-sendto"], OPAQUE),
  // GOPEN (and a bare path) connects when the path is a UNIX socket.
  ...each(["abstract-recv", "abstract-recvfrom", "local", "gopen", "interface", "tun"], OPAQUE),
  ...each(["socket-connect", "socket-datagram", "socket-listen", "socket-recv", "socket-recvfrom"], OPAQUE),
  ...each(["socket-sendto", "vsock", "vsock-connect", "vsock-listen", "accept-fd", "posixmq-read"], OPAQUE),
]);

/**
 * socat's own options (not getopt: one option per argument, a value glued or in the next argument, `-d` as
 * often as wanted); they end at the first address. `flag`: no value; `value`: glued or next; `optional`: glued
 * only.
 */
export const SOCAT_OPTIONS: ReadonlyMap<string, "flag" | "value" | "optional"> = new Map([
  ["V", "flag"],
  ["h", "flag"],
  ["?", "flag"],
  ["hh", "flag"],
  ["hhh", "flag"],
  ["D", "flag"],
  ["ls", "flag"],
  ["lu", "flag"],
  ["lh", "flag"],
  ["v", "flag"],
  ["x", "flag"],
  ["s", "flag"],
  ["u", "flag"],
  ["U", "flag"],
  ["g", "flag"],
  ["4", "flag"],
  ["6", "flag"],
  ["ly", "optional"],
  ["lm", "optional"],
  ["lf", "value"],
  ["lp", "value"],
  ["b", "value"],
  ["t", "value"],
  ["T", "value"],
  ["r", "value"],
  ["R", "value"],
  ["L", "value"],
  ["W", "value"],
]);
