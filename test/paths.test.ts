import { describe, expect, it } from "vitest";
import { basename, canonicalPath, MAX_PATH_LENGTH, normalizePath } from "../lib/paths.js";

describe("basename", () => {
  it.each([
    ["/usr/bin/curl", "curl"],
    ["curl", "curl"],
    ["/tmp/", ""],
    ["/", ""],
    ["./x", "x"],
  ])("%s → %j", (path, want) => {
    expect(basename(path)).toBe(want);
  });

  it("answers a path seen before as the first time, past its memory's bound and for long paths", () => {
    // Asked twice each, in two passes over more paths than it keeps: a stale or mixed-up answer shows.
    const long = `/${"d/".repeat(200)}curl`;
    const paths = [long, ...Array.from({ length: 10_000 }, (_, i) => `/opt/p${i}/bin/tool${i}`)];
    for (let pass = 0; pass < 2; pass++) {
      for (const [i, path] of paths.entries()) {
        const want = i === 0 ? "curl" : `tool${i - 1}`;
        expect(basename(path)).toBe(want);
        expect(basename(path)).toBe(want);
      }
    }
  });
});

describe("normalizePath", () => {
  it.each([
    ["/tmp/x", undefined, "/tmp/x"],
    ["/usr/../tmp//x", undefined, "/tmp/x"],
    ["/./tmp/./x", undefined, "/tmp/x"],
    ["/../../tmp/x", undefined, "/tmp/x"],
    ["/tmp/a/", undefined, "/tmp/a/"],
    ["/tmp/a/..", undefined, "/tmp"],
    ["./x", "/tmp", "/tmp/x"],
    ["../x", "/tmp/a", "/tmp/x"],
    ["x", undefined, undefined],
    ["x", "relative/cwd", undefined],
    ["", "/tmp", undefined],
    // Only the path's own aliases are the rule's business: normalizePath leaves them as written.
    ["/var/run/x", undefined, "/var/run/x"],
  ])("%j (cwd %j) → %j", (path, cwd, want) => {
    expect(normalizePath(path, cwd)).toBe(want);
  });

  it("a path longer than PATH_MAX is not placed", () => {
    expect(normalizePath(`/tmp/${"a".repeat(MAX_PATH_LENGTH)}`)).toBeUndefined();
  });
});

describe("canonicalPath: one name per file", () => {
  it.each([
    // The well-known aliases, on a directory boundary.
    ["/var/run/user/1000/x", undefined, "/run/user/1000/x"],
    ["/var/lock/x", undefined, "/run/lock/x"],
    ["/usr/tmp/x", undefined, "/var/tmp/x"],
    ["/var/run", undefined, "/run"],
    ["/var/run/", undefined, "/run/"],
    ["/var/lock/", undefined, "/run/lock/"],
    ["/var/runx/y", undefined, "/var/runx/y"],
    ["/var/run.d/y", undefined, "/var/run.d/y"],
    ["/var/lockdown/y", undefined, "/var/lockdown/y"],
    ["/usr/tmpfiles.d/x", undefined, "/usr/tmpfiles.d/x"],
    ["/srv/var/run/x", undefined, "/srv/var/run/x"],
    ["/run/shm/x", undefined, "/run/shm/x"],
    // `..` first, then the alias it reveals.
    ["/usr/../var/run/x", undefined, "/run/x"],
    ["/var//run/./x", undefined, "/run/x"],
    ["/usr/./tmp/x", undefined, "/var/tmp/x"],
    // The alias is followed where the walk meets it, as the kernel follows the symlink: /var/run/.. is /.
    ["/var/run/../dev/shm/x", undefined, "/dev/shm/x"],
    ["/var/lock/../user/1/x", undefined, "/run/user/1/x"],
    ["/usr/tmp/../x", undefined, "/var/x"],
    // Relative paths against the cwd.
    ["run/user/1/x", "/var", "/run/user/1/x"],
    ["./x", "/var/lock", "/run/lock/x"],
    ["x", undefined, undefined],
    // Nothing to do.
    ["/tmp/x", undefined, "/tmp/x"],
    ["/", undefined, "/"],
  ])("%j (cwd %j) → %j", (path, cwd, want) => {
    expect(canonicalPath(path, cwd)).toBe(want);
  });

  it("is idempotent", () => {
    for (const path of ["/var/run/../var/lock/x", "/usr/tmp/", "/var/run/user/1/../../lock/x"]) {
      const once = canonicalPath(path)!;
      expect(canonicalPath(once)).toBe(once);
    }
  });
});
