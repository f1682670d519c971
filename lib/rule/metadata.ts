/**
 * What the rule is, beside what it does: the metadata an analyst reads in every alert and a test checks
 * (DESIGN §8). Triage follows the guide of the detection we implement (Datadog Workload Protection,
 * "Network utility executed"), made concrete for this alert's fields.
 */
export const RULE_METADATA = {
  id: "netutil-writable-exec",
  name: "Network utility executed from a writable location",
  version: "1.0.0",
  description:
    "A network utility (DNS lookup, socket relay, file transfer, scanner, sniffer or tunnel) was executed by a " +
    "process whose lineage includes a file in a world- or user-writable directory (/tmp, /dev/shm, a web root, " +
    "a home directory, memfd). After an intrusion, attackers drop a file there and use it to reach out: DNS " +
    "exfiltration with nslookup or dig, a reverse shell with nc or socat, the next stage with curl or wget.",
  references: [
    "https://docs.datadoghq.com/security/default_rules/ (Workload Protection: Network utility executed)",
    "https://attack.mitre.org/techniques/T1105/",
    "https://attack.mitre.org/techniques/T1071/004/",
  ],
  falsePositives: [
    "Build systems and test harnesses that compile helpers into /tmp and probe the network (go test, CI runners).",
    "Installers unpacked into /tmp that download their payload (vendor install scripts piped to sh).",
    "Health checks written as scripts in /tmp or a home directory that reach a remote endpoint.",
    "Developers running their own scripts from their home directory (tier home, severity low).",
  ],
  knownGaps: [
    "The working directory is not a location: `cd /tmp && sh ./x` is caught through the script path, but a " +
      "binary from a normal path run with cwd /tmp is not.",
    "A utility copied under another name (`cp /usr/bin/curl /tmp/x`) is caught only when argv[0] or the " +
      "invoked name still says curl; content hashes are not available in exec telemetry.",
    "Network access without a utility (a script using bash /dev/tcp, python sockets) is out of scope.",
    "Lineage is as complete as the telemetry: a parent that exec'd before collection started, or whose " +
      "record expired, leaves the chain short.",
    "Targets hidden in files, environment proxies or config (`curl -K`, `wget -i`, http_proxy) are not parsed; " +
      "such invocations are never excepted as loopback.",
  ],
  triage: [
    "Check who ran the utility (user, host, container) and whether that is expected for this workload.",
    "Review the process ancestry and each command line: how did the file in the writable directory get there " +
      "and what started it?",
    "If it is not expected, contain: isolate the host or stop the container, and preserve the file at the " +
      "location for analysis.",
    "Find the network tools involved and their destinations; for DNS utilities look at DNS traffic for long " +
      "or high-entropy names (DNS exfiltration).",
    "Find and repair the root cause (the exploited service, the leaked credential), then remove the file.",
  ],
} as const;

export type RuleMetadata = typeof RULE_METADATA;
