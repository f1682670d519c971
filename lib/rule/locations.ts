/**
 * Writable locations by tier (DESIGN §4.2). An entry names a directory and matches what is below it, on the
 * directory boundary: `/tmpx/a` is not under `/tmp/` (path-patterns.ts tierPattern; the trailing `/` here is
 * for the reader). `*` in an entry matches within one path segment. Paths are canonical when matched
 * (lib/paths.ts canonicalPath), so an alias such as /var/lock needs no entry of its own.
 */

export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface LocationTier {
  readonly description: string;
  readonly severity: Severity;
  /** Directories (ending in `/`), name prefixes ending in `:` (`memfd:`), or globs with `*`. */
  readonly paths: readonly string[];
}

export const LOCATION_TIERS = {
  fileless: {
    description: "no file on disk: memfd, a /proc fd, or an image deleted after it was started",
    severity: "critical",
    // The kernel shows a memfd image as `/memfd:NAME (deleted)`; some sensors drop the slash.
    paths: ["memfd:", "/memfd:", "/proc/*/fd/", "/dev/fd/"],
  },
  temp: {
    description: "world-writable temporary directory",
    severity: "high",
    paths: ["/tmp/", "/var/tmp/"],
  },
  shm: {
    description: "shared-memory tmpfs, writable by every user and rarely holding programs",
    severity: "high",
    paths: ["/dev/shm/", "/run/shm/", "/dev/mqueue/"],
  },
  runtime: {
    description: "per-user runtime and lock directories",
    severity: "medium",
    // /var/run/user and /var/lock are the same directories under their old names (aliases, lib/paths.ts).
    paths: ["/run/user/", "/run/lock/"],
  },
  web: {
    description: "web root, where a web shell lands",
    severity: "medium",
    paths: ["/var/www/"],
  },
  home: {
    // /root/ is left out: only root can write it and admins keep scripts there; add it by config.
    description: "user home directory",
    severity: "low",
    paths: ["/home/"],
  },
} as const satisfies Record<string, LocationTier>;

export type TierName = keyof typeof LOCATION_TIERS;

/** A path whose image was deleted after exec: the kernel appends this to `exe`. */
export const DELETED_SUFFIX = " (deleted)";

/**
 * Build and sandbox locations that hold short-lived programs legitimately; on by default, a user can turn
 * them off. Globs: `*` within a segment, `**` across segments.
 */
export const DEFAULT_BENIGN_LOCATIONS: readonly { readonly glob: string; readonly reason: string }[] = [
  { glob: "/tmp/go-build*/**", reason: "go build and go test binaries" },
  { glob: "/tmp/.mount_*/**", reason: "AppImage runtime mount" },
  { glob: "/tmp/snap.rootfs_*/**", reason: "snapd confinement root" },
  { glob: "/tmp/newroot/**", reason: "bubblewrap (flatpak) sandbox root before pivot" },
  // runc re-executes a sealed memfd copy of itself (the CVE-2019-5736 fix) before it execs the container's
  // entrypoint, so every container process has it in its exec chain. A loader could choose the same memfd
  // name; turning the defaults off (benignLocations.defaults: false) trades that gap for the noise.
  { glob: "/memfd:runc_cloned:**", reason: "runc's cloned binary (container start)" },
  { glob: "memfd:runc_cloned:**", reason: "runc's cloned binary (container start)" },
];
