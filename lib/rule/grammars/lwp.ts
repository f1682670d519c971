/**
 * libwww-perl's lwp-request and lwp-download (DESIGN §4.3a), checked against libwww-perl 6.68 (the scripts'
 * own Getopt::Long specs). Both bundle one-letter options (`-sS`), accept `--x` for `-x`, and permute.
 * lwp-request: `-p proxy-url` and `-b base` (relative URL arguments resolve against it) are destinations.
 * Both load `*_proxy` from the environment (lwp-request unless `-P`): invisible to exec telemetry.
 */
import type { Grammar, OptionKind } from "./option-parser.js";
import { url } from "./option-parser.js";

const LWP_REQUEST_OPTIONS = {
  a: "flag",
  d: "flag",
  e: "flag",
  E: "flag",
  f: "flag",
  h: "flag",
  P: "flag",
  s: "flag",
  S: "flag",
  u: "flag",
  U: "flag",
  v: "flag",
  c: "value",
  C: "value",
  H: "value",
  i: "value",
  m: "value",
  o: "value",
  t: "value",
  b: url,
  p: url,
} as const satisfies Record<string, OptionKind>;

export const LWP_REQUEST: Grammar = {
  short: LWP_REQUEST_OPTIONS,
  long: LWP_REQUEST_OPTIONS,
  longDash: "--",
  equals: true,
  abbreviations: "opaque",
  negatedFlags: false,
  permute: true,
};

const LWP_DOWNLOAD_OPTIONS = { a: "flag", s: "flag", help: "flag" } as const satisfies Record<
  string,
  OptionKind
>;

export const LWP_DOWNLOAD: Grammar = {
  short: { a: "flag", s: "flag" },
  long: LWP_DOWNLOAD_OPTIONS,
  longDash: "--",
  equals: true,
  abbreviations: "opaque",
  negatedFlags: false,
  permute: true,
};
