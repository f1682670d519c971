import type { Lineage } from "../lineage/lineage.js";
import type { ProcessImage } from "../lineage/process-record.js";
import { canonicalPath } from "../paths.js";
import type { ExecEvent } from "../telemetry/exec-event.js";
import type { CompiledAllow, CompiledRule } from "./compile-rule.js";
import type { Glob } from "./glob.js";
import { hasExecFlag, identifyUtility, type UtilityMatch } from "./identify-utility.js";
import { DELETED_SUFFIX, SEVERITIES, type Severity, type TierName } from "./locations.js";
import { targetsAreLoopbackOnly } from "./targets.js";
import { type AttackTechnique, EXEC_FLAG_TECHNIQUE, UTILITY_CATEGORIES } from "./utilities.js";

/** Where the suspicious file sits relative to the utility (DESIGN §4.2). */
export type LocationKind = "self" | "exec-chain" | "ancestor" | "script";

export interface LocationMatch {
  readonly path: string;
  readonly kind: LocationKind;
  /** 0 for the process itself and its earlier images, 1 for the parent, 2 for the grandparent, … */
  readonly depth: number;
  readonly tier: TierName;
  readonly pid?: number;
}

export type Verdict =
  | {
      readonly outcome: "alert";
      readonly utility: UtilityMatch;
      readonly location: LocationMatch;
      readonly matches: readonly LocationMatch[];
      readonly severity: Severity;
      readonly attack: readonly AttackTechnique[];
      readonly execFlag: boolean;
    }
  | {
      readonly outcome: "suppressed";
      readonly by: "loopback" | "allowlist" | "benign-location";
      readonly reason: string;
      readonly utility: UtilityMatch;
      readonly location: LocationMatch;
    };

/**
 * The rule (DESIGN §4): a network utility, a suspicious file in its lineage, no exception. Returns undefined
 * for the vast majority of events (not a utility, or a clean lineage), so the hot path allocates nothing.
 */
export function evaluate(event: ExecEvent, lineage: Lineage, rule: CompiledRule): Verdict | undefined {
  const utility = identifyUtility(event.process, rule.utilities);
  if (utility === undefined) return undefined;

  const found: LocationMatch[] = [];
  const benignReasons: string[] = [];
  const seen = new Set<string>();
  const consider = (
    raw: string | undefined,
    cwd: string | undefined,
    kind: LocationKind,
    depth: number,
    pid?: number,
  ) => {
    if (raw === undefined || raw.length === 0) return;
    const located = classify(raw, cwd, rule);
    if (located === undefined || seen.has(located.path)) return;
    seen.add(located.path);
    const benign = rule.benign.find((b) => b.pattern.test(located.path));
    if (benign !== undefined) {
      benignReasons.push(`${located.path}: ${benign.reason}`);
      return;
    }
    found.push(pid === undefined ? { ...located, kind, depth } : { ...located, kind, depth, pid });
  };

  const { process } = event;
  consider(process.executable, process.cwd, "self", 0, process.pid);
  consider(process.invokedPath, process.cwd, "self", 0, process.pid);
  for (const image of lineage.chain) considerImage(image, "exec-chain", 0, process.pid);
  lineage.ancestors.forEach((node, i) => {
    considerImage(node, "ancestor", i + 1, node.pid);
    for (const image of node.chain) considerImage(image, "exec-chain", i + 1, node.pid);
  });

  function considerImage(image: ProcessImage, kind: LocationKind, depth: number, pid: number) {
    consider(image.executable, image.cwd, kind, depth, pid);
    // The script before the invoked path: for a shebang exec they are the same file, and "script" says more.
    consider(image.script, image.cwd, kind === "ancestor" ? "script" : kind, depth, pid);
    consider(image.invokedPath, image.cwd, kind, depth, pid);
  }

  const location = found[0];
  if (location === undefined) {
    if (benignReasons.length === 0) return undefined;
    const benignLocation = {
      path: benignReasons[0]!.split(": ")[0]!,
      kind: "self",
      depth: 0,
      tier: "temp",
    } as const;
    return {
      outcome: "suppressed",
      by: "benign-location",
      reason: benignReasons.join("; "),
      utility,
      location: benignLocation,
    };
  }

  if (targetsAreLoopbackOnly(utility.name, utility.args)) {
    return {
      outcome: "suppressed",
      by: "loopback",
      reason: "every network target is loopback",
      utility,
      location,
    };
  }
  const allow = rule.allowlist.find((entry) => allowed(entry, event, lineage, utility, found));
  if (allow !== undefined) {
    return { outcome: "suppressed", by: "allowlist", reason: allow.reason, utility, location };
  }

  const execFlag = (utility.category === "socket" || utility.category === "tunnel") && hasExecFlag(utility);
  const attack: AttackTechnique[] = [...UTILITY_CATEGORIES[utility.category].attack];
  if (execFlag) attack.push(EXEC_FLAG_TECHNIQUE);
  return {
    outcome: "alert",
    utility,
    location,
    matches: found,
    severity: severityOf(found, rule, execFlag, event.container !== undefined),
    attack,
    execFlag,
  };
}

/** The tier of a suspicious location `raw` (placed against `cwd`) is in, or undefined for any other path. */
export function classify(
  raw: string,
  cwd: string | undefined,
  rule: CompiledRule,
): { path: string; tier: TierName } | undefined {
  const deleted = raw.endsWith(DELETED_SUFFIX);
  const stripped = deleted ? raw.slice(0, -DELETED_SUFFIX.length) : raw;
  // One name per file (`..` resolved, /var/run is /run): what the tiers, the benign and allowlist globs and
  // dedup see, and what the alert shows.
  const normal = stripped.startsWith("memfd:") ? stripped : canonicalPath(stripped, cwd);
  if (normal === undefined) return undefined;
  const path = deleted ? normal + DELETED_SUFFIX : normal;
  for (const tier of rule.tiers) {
    // An image deleted after exec has no file left to inspect: the classic fileless loader move.
    if (deleted && tier.name === "fileless") return { path, tier: tier.name };
    for (const entry of tier.entries) if (entry.test(normal)) return { path, tier: tier.name };
  }
  return undefined;
}

function severityOf(
  matches: readonly LocationMatch[],
  rule: CompiledRule,
  execFlag: boolean,
  inContainer: boolean,
): Severity {
  let level = 0;
  for (const m of matches) {
    const tier = rule.tiers.find((t) => t.name === m.tier);
    if (tier) level = Math.max(level, SEVERITIES.indexOf(tier.severity));
  }
  if (execFlag) level += 1;
  // A utility from a writable path inside a container is a breakout path: never below medium.
  if (inContainer) level = Math.max(level, 1);
  return SEVERITIES[Math.min(level, SEVERITIES.length - 1)]!;
}

const MAX_ALLOW_ARGS = 4096;

function allowed(
  entry: CompiledAllow,
  event: ExecEvent,
  lineage: Lineage,
  utility: UtilityMatch,
  matches: readonly LocationMatch[],
): boolean {
  if (entry.utilities && !entry.utilities.has(utility.name)) return false;
  if (entry.location && !matches.every((m) => entry.location!.test(m.path))) return false;
  if (
    entry.ancestor &&
    !lineage.ancestors.some(
      (a) =>
        ancestorFits(entry.ancestor!, a.executable) ||
        (a.script !== undefined && ancestorFits(entry.ancestor!, a.script)),
    )
  )
    return false;
  if (entry.user !== undefined && entry.user !== event.user.name && entry.user !== event.user.id)
    return false;
  if (entry.host && !entry.host.test(event.host.name)) return false;
  if (entry.image && !(event.container?.image !== undefined && entry.image.test(event.container.image)))
    return false;
  // RE2: linear in the command line, which the attacker writes (DESIGN §7).
  if (entry.args && !entry.args.test(event.process.args.join(" ").slice(0, MAX_ALLOW_ARGS))) return false;
  return true;
}

/** The ancestor glob is canonical (compile-rule.ts), so the path it is matched with is too. */
function ancestorFits(glob: Glob, path: string): boolean {
  return glob.test(canonicalPath(path) ?? path);
}
