/**
 * Network utilities by category (DESIGN §4.1). Names are exact: `ncdu` and `ncal` are not `nc`, which
 * a prefix glob would get wrong. ATT&CK is per category because the category says what the tool is for.
 */

export interface AttackTechnique {
  readonly id: string;
  readonly name: string;
  readonly tactic: string;
}

export interface UtilityCategory {
  readonly description: string;
  readonly utilities: readonly string[];
  readonly attack: readonly AttackTechnique[];
}

export const UTILITY_CATEGORIES = {
  dns: {
    description: "DNS lookup tools: a query for a crafted name carries data out through any resolver",
    utilities: ["nslookup", "dig", "host", "drill", "kdig", "delv"],
    attack: [{ id: "T1071.004", name: "Application Layer Protocol: DNS", tactic: "Command and Control" }],
  },
  socket: {
    description: "Raw socket relays: reverse shells, bind shells, ad-hoc exfiltration",
    utilities: [
      "nc",
      "netcat",
      "ncat",
      "nc.openbsd",
      "nc.traditional",
      "netcat.openbsd",
      "netcat.traditional",
      "socat",
      "telnet",
      "pwncat",
      "openssl",
    ],
    attack: [{ id: "T1095", name: "Non-Application Layer Protocol", tactic: "Command and Control" }],
  },
  transfer: {
    description: "File transfer clients: pulling the next stage, pushing stolen data",
    utilities: ["curl", "wget", "lwp-download", "lwp-request", "aria2c", "tftp", "ftp"],
    attack: [{ id: "T1105", name: "Ingress Tool Transfer", tactic: "Command and Control" }],
  },
  scan: {
    description: "Network scanners: discovery of the next target from a foothold",
    utilities: ["nmap", "masscan", "zmap", "hping3", "nping"],
    attack: [{ id: "T1046", name: "Network Service Discovery", tactic: "Discovery" }],
  },
  sniff: {
    description: "Packet capture: credentials and tokens read off the wire",
    utilities: ["tcpdump", "tshark"],
    attack: [{ id: "T1040", name: "Network Sniffing", tactic: "Credential Access" }],
  },
  tunnel: {
    description: "Tunnels and reverse proxies: a way in that bypasses ingress controls",
    utilities: ["chisel", "ngrok", "iodine", "dnscat", "gost"],
    attack: [{ id: "T1572", name: "Protocol Tunneling", tactic: "Command and Control" }],
  },
} as const satisfies Record<string, UtilityCategory>;

export type CategoryName = keyof typeof UTILITY_CATEGORIES;
export const CATEGORY_NAMES = Object.keys(UTILITY_CATEGORIES) as CategoryName[];

/** Run with an exec flag (`nc -e /bin/sh`, `socat … EXEC:`), a relay becomes a remote shell. */
export const EXEC_FLAG_TECHNIQUE: AttackTechnique = {
  id: "T1059.004",
  name: "Command and Scripting Interpreter: Unix Shell",
  tactic: "Execution",
};

/**
 * Utilities that are network tools only in some modes: `openssl` is a TLS client/server only with
 * `s_client`/`s_server`; `openssl sha256` is not a network utility.
 */
export const MODE_GATED: Readonly<Record<string, readonly string[]>> = {
  openssl: ["s_client", "s_server"],
};
