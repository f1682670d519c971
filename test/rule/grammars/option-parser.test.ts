import { describe, expect, it } from "vitest";
import {
  colonFields,
  type Grammar,
  MAX_ARGS,
  parseOptions,
  url,
} from "../../../lib/rule/grammars/option-parser.js";

const GETOPT: Grammar = {
  short: { s: "flag", v: "flag", o: "value", x: url, K: "opaque", c: "optional" },
  long: {
    silent: "flag",
    output: "value",
    proxy: url,
    "proxy-user": "value",
    config: "opaque",
    progress: "flag",
  },
  longDash: "--",
  equals: true,
  abbreviations: "resolve",
  negatedFlags: true,
  permute: true,
};

const OPENSSL: Grammar = {
  short: {},
  long: { connect: url, brief: "flag" },
  longDash: "-",
  equals: true,
  abbreviations: "opaque",
  negatedFlags: false,
  permute: false,
};

type Row = [name: string, grammar: Grammar, args: string[], result: [string[], string[]] | undefined];

describe("parseOptions", () => {
  it.each<Row>([
    ["flags and a positional", GETOPT, ["-s", "-v", "h"], [["h"], []]],
    ["cluster ending in a glued value", GETOPT, ["-svx192.0.2.1:3128", "h"], [["h"], ["192.0.2.1"]]],
    ["cluster ending in a separate value", GETOPT, ["-svx", "192.0.2.1", "h"], [["h"], ["192.0.2.1"]]],
    ["glued value", GETOPT, ["-ofile", "h"], [["h"], []]],
    ["value that looks like an option", GETOPT, ["-o", "-x", "h"], [["h"], []]],
    ["--name=value", GETOPT, ["--proxy=p.example:1", "h"], [["h"], ["p.example"]]],
    ["--name value", GETOPT, ["--proxy", "p.example", "h"], [["h"], ["p.example"]]],
    ["unambiguous prefix", GETOPT, ["--out", "f", "--proxy-u", "u", "h"], [["h"], []]],
    ["exact name wins over longer ones", GETOPT, ["--proxy", "p", "h"], [["h"], ["p"]]],
    ["ambiguous prefix", GETOPT, ["--pro", "p", "h"], undefined],
    ["negated flag", GETOPT, ["--no-silent", "h"], [["h"], []]],
    ["negated value option", GETOPT, ["--no-proxy", "h"], undefined],
    ["flag given a value", GETOPT, ["--silent=1", "h"], undefined],
    ["unknown long option", GETOPT, ["--evil", "h"], undefined],
    ["unknown short option in a cluster", GETOPT, ["-sz", "h"], undefined],
    ["opaque option", GETOPT, ["-K", "cfg", "h"], undefined],
    ["opaque option in a cluster", GETOPT, ["-sKcfg", "h"], undefined],
    ["opaque long prefix", GETOPT, ["--conf", "cfg", "h"], undefined],
    ["missing value", GETOPT, ["h", "-o"], undefined],
    ["optional value only when glued", GETOPT, ["-c", "h"], [["h"], []]],
    ["options after positionals (permute)", GETOPT, ["h", "-x", "p"], [["h"], ["p"]]],
    ["-- ends options", GETOPT, ["--", "-x", "p"], [["-x", "p"], []]],
    ["- alone is a positional", GETOPT, ["-"], [["-"], []]],
    ["prototype keys are not options", GETOPT, ["--constructor", "h"], undefined],
    ["openssl: one dash, =value", OPENSSL, ["-connect=h:1", "-brief"], [[], ["h"]]],
    ["openssl: two dashes", OPENSSL, ["--connect", "h:1"], [[], ["h"]]],
    ["openssl: no prefixes", OPENSSL, ["-conn", "h:1"], undefined],
    [
      "openssl: options stop at a positional",
      OPENSSL,
      ["h:1", "-connect", "e:1"],
      [["h:1", "-connect", "e:1"], []],
    ],
  ])("%s", (_name, grammar, args, result) => {
    const parsed = parseOptions(args, grammar);
    expect(parsed === undefined ? undefined : [parsed.positionals, parsed.destinations]).toEqual(result);
  });

  it("gives up on more than MAX_ARGS arguments", () => {
    expect(parseOptions(Array(MAX_ARGS + 1).fill("-s"), GETOPT)).toBeUndefined();
    expect(parseOptions(Array(MAX_ARGS).fill("-s"), GETOPT)).toBeDefined();
  });
});

describe("colonFields", () => {
  it.each([
    ["a:80:b:81", ["a", "80", "b", "81"]],
    ["[::1]:80:[2001:db8::1]", ["[::1]", "80", "[2001:db8::1]"]],
    ["::h:", ["", "", "h", ""]],
  ])("%s", (value, fields) => {
    expect(colonFields(value)).toEqual(fields);
  });
});
