import { describe, expect, it } from "vitest";
import { scriptArgument } from "../../lib/lineage/interpreter.js";

describe("scriptArgument", () => {
  it.each([
    ["/usr/bin/dash", ["/bin/sh", "/tmp/dropper.sh"], "/tmp/dropper.sh"],
    ["/usr/bin/bash", ["bash", "-x", "-o", "pipefail", "./run.sh", "arg"], "./run.sh"],
    ["/usr/bin/bash", ["bash", "-c", "curl x"], undefined],
    ["/usr/bin/bash", ["bash", "-ec", "curl x"], undefined],
    ["/usr/bin/bash", ["bash"], undefined],
    ["/usr/bin/bash", ["bash", "--", "/tmp/x"], "/tmp/x"],
    ["/usr/bin/python3.11", ["python3", "-u", "-W", "ignore", "/tmp/p.py"], "/tmp/p.py"],
    ["/usr/bin/python3.11", ["python3", "-m", "http.server"], undefined],
    ["/usr/bin/python3.11", ["python3", "-c", "import os"], undefined],
    ["/usr/bin/perl", ["perl", "-I", "/usr/lib", "/var/tmp/x.pl"], "/var/tmp/x.pl"],
    ["/usr/bin/perl", ["perl", "-e", "print 1"], undefined],
    ["/usr/bin/node", ["node", "--require", "x", "/tmp/a.js"], "/tmp/a.js"],
    ["/usr/bin/php8.2", ["php", "/var/www/up/s.php"], "/var/www/up/s.php"],
    ["/usr/bin/lua5.4", ["lua", "/tmp/x.lua"], "/tmp/x.lua"],
    ["/usr/bin/pythonista", ["pythonista", "/tmp/x"], undefined],
    ["/usr/bin/php", ["php", "/var/www/up/s.php"], "/var/www/up/s.php"],
    ["/bin/busybox", ["busybox", "sh", "/tmp/x"], "/tmp/x"],
    ["/bin/busybox", ["sh", "/tmp/x"], "/tmp/x"],
    ["/bin/busybox", ["nc", "192.0.2.1", "4444"], undefined],
    ["/bin/busybox", ["busybox", "wget", "http://x"], undefined],
    ["/usr/bin/gawk", ["awk", "-f", "/tmp/a.awk"], "/tmp/a.awk"],
    // argv[0] is the caller's choice: `exec -a sh curl …` does not make curl an interpreter.
    ["/usr/bin/curl", ["sh", "/tmp/x"], undefined],
    ["/usr/bin/ls", ["ls", "/tmp/x"], undefined],
  ])("%s %j → %s", (exe, args, script) => {
    expect(scriptArgument(exe, args)).toBe(script);
  });
});
