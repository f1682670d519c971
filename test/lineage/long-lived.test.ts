import { describe, expect, it } from "vitest";
import { LOGIN_WINDOW_MS, loginMayLink } from "../../lib/lineage/login-programs.js";
import { type LongLivedView, longLivedClass } from "../../lib/lineage/long-lived.js";
import { UNSET_SESSION } from "../../lib/lineage/same-process.js";

const view = (
  executable: string,
  args: string[],
  ppid = 4242,
  parentExecutable?: string,
  parentArgs?: string[],
): LongLivedView => ({ executable, args, ppid, parentExecutable, parentArgs });

describe("longLivedClass", () => {
  it.each([
    [
      "a container's main process",
      view("/usr/local/bin/redis-server", ["redis-server"], 900, "/usr/bin/containerd-shim-runc-v2"),
      "container-init",
    ],
    ["cron", view("/usr/sbin/cron", ["cron", "-f"]), "daemon"],
    ["a versioned php-fpm", view("/usr/sbin/php-fpm8.2", ["php-fpm: pool www"]), "daemon"],
    ["make", view("/usr/bin/make", ["make", "-j8"]), "daemon"],
    [
      "a container's entrypoint, created by runc",
      view("/usr/local/bin/node", ["node", "server.js"], 900, "/usr/bin/runc", [
        "runc",
        "create",
        "--bundle",
        "b",
      ]),
      "container-init",
    ],
    [
      "a service under init (trusted across pid wraps, not written for it)",
      view("/usr/bin/node", ["node", "app.js"], 1),
      "child-of-init",
    ],
    ["a login shell", view("/usr/bin/bash", ["-bash"]), "interactive-shell"],
    ["an interactive shell", view("/usr/bin/bash", ["bash", "-i"]), "interactive-shell"],
    ["a shell reading stdin (a reverse shell)", view("/usr/bin/dash", ["sh"]), "interactive-shell"],
  ])("%s: %s", (_, record, name) => {
    expect(longLivedClass(record)?.name).toBe(name);
  });

  it.each([
    ["sh -c", view("/usr/bin/dash", ["sh", "-c", "ls /tmp"])],
    ["bash -ec in a cluster", view("/usr/bin/bash", ["bash", "-ec", "make"])],
    ["python -c", view("/usr/bin/python3", ["python3", "-c", "print(1)"])],
    ["a leaf", view("/usr/bin/ls", ["ls", "-la"])],
    ["a script run by a shell", view("/usr/bin/bash", ["bash", "/opt/backup.sh"])],
    ["sshd's connection process", view("/usr/sbin/sshd", ["sshd: alice [priv]"])],
    [
      "the runtime a shim runs",
      view("/usr/bin/runc", ["runc", "exec"], 900, "/usr/bin/containerd-shim-runc-v2"),
    ],
    ["a compiler", view("/usr/bin/gcc", ["gcc", "-c", "x.c"])],
    [
      "a probe `runc exec` starts in a container",
      view("/bin/busybox", ["sh", "-c", "redis-cli ping"], 900, "/usr/bin/runc", [
        "runc",
        "exec",
        "--process",
        "p",
      ]),
    ],
    ["a network utility", view("/usr/bin/curl", ["curl", "http://example.com"])],
  ])("not long-lived: %s", (_, record) => {
    expect(longLivedClass(record)).toBeUndefined();
  });

  it.each([
    ["a login shell", view("/usr/bin/bash", ["-bash"]), true],
    [
      "a container's main process",
      view("/usr/local/bin/redis-server", ["redis-server"], 900, "/usr/bin/runc"),
      true,
    ],
    [
      "a timer's job under init: written only if it forks in a later batch",
      view("/usr/sbin/logrotate", ["logrotate"], 1),
      false,
    ],
  ])("written for its kind alone: %s", (_, record, written) => {
    expect(longLivedClass(record)?.written).toBe(written);
  });
});

describe("loginMayLink", () => {
  const sshd = { executable: "/usr/sbin/sshd", sessionId: UNSET_SESSION, time: 1_000 };
  const shell = { executable: "/usr/bin/dash", sessionId: UNSET_SESSION, time: 1_000 };
  it.each([
    ["sshd opened the child's session just now", sshd, "17", 2_000, true],
    ["sshd's pid, long after any login it made", sshd, "17", 1_000 + LOGIN_WINDOW_MS + 1, false],
    ["a shell with no session cannot have opened one", shell, "17", 2_000, false],
    ["both unset", shell, UNSET_SESSION, 2_000, true],
    ["the telemetry has no sessions", { ...shell, sessionId: undefined }, "17", 2_000, true],
    ["the parent logged in already", { ...shell, sessionId: "17" }, "17", 2_000, true],
  ] as const)("%s", (_, parent, childSession, since, expected) => {
    expect(loginMayLink(parent, childSession, since)).toBe(expected);
  });
});
