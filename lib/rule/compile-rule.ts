import { RE2JS } from "re2js";
import { compileGlob, type Glob } from "./glob.js";
import { DEFAULT_BENIGN_LOCATIONS, LOCATION_TIERS, type Severity, type TierName } from "./locations.js";
import type { RuleConfig } from "./rule-config.js";
import { type CategoryName, UTILITY_CATEGORIES } from "./utilities.js";

export interface CompiledTier {
  readonly name: TierName;
  readonly severity: Severity;
  /** Plain prefixes (`/tmp/`, `memfd:`), tested with startsWith. */
  readonly prefixes: readonly string[];
  /** Entries with wildcards, matched as a prefix of the path. */
  readonly globs: readonly Glob[];
}

export interface CompiledAllow {
  readonly reason: string;
  readonly utilities?: ReadonlySet<string>;
  readonly location?: Glob;
  readonly ancestor?: Glob;
  readonly user?: string;
  readonly host?: Glob;
  readonly image?: Glob;
  /** RE2 (linear time): it runs over the attacker's command line. Unanchored, as RegExp.test. */
  readonly args?: RE2JS;
}

/** The rule's tuning in the form the hot path wants: maps, sets, compiled patterns. Built once. */
export interface CompiledRule {
  readonly utilities: ReadonlyMap<string, CategoryName>;
  readonly tiers: readonly CompiledTier[];
  readonly benign: readonly { readonly pattern: Glob; readonly glob: string; readonly reason: string }[];
  readonly allowlist: readonly CompiledAllow[];
}

export function compileRule(config: RuleConfig = {}): CompiledRule {
  const disabled = new Set(config.utilities?.disableCategories ?? []);
  const removed = new Set(config.utilities?.remove ?? []);
  const utilities = new Map<string, CategoryName>();
  for (const [category, def] of Object.entries(UTILITY_CATEGORIES) as [
    CategoryName,
    { utilities: readonly string[] },
  ][]) {
    if (disabled.has(category)) continue;
    const added = (config.utilities?.add?.[category] ?? []) as string[];
    for (const name of [...def.utilities, ...added]) if (!removed.has(name)) utilities.set(name, category);
  }

  const tiers: CompiledTier[] = [];
  for (const [name, tier] of Object.entries(LOCATION_TIERS) as [
    TierName,
    (typeof LOCATION_TIERS)[TierName],
  ][]) {
    const tuning = config.tiers?.[name];
    if (tuning?.enabled === false) continue;
    const remove = new Set(tuning?.remove ?? []);
    const paths = [...tier.paths, ...(tuning?.add ?? [])].filter((p) => !remove.has(p));
    tiers.push({
      name,
      severity: tuning?.severity ?? tier.severity,
      prefixes: paths.filter((p) => !p.includes("*")),
      // A tier entry names a directory: anything below it matches.
      globs: paths.filter((p) => p.includes("*")).map((p) => compileGlob(p.endsWith("/") ? `${p}**` : p)),
    });
  }

  const benignEntries = [
    ...(config.benignLocations?.defaults === false ? [] : DEFAULT_BENIGN_LOCATIONS),
    ...(config.benignLocations?.add ?? []),
  ];
  const benign = benignEntries.map((b) => ({ pattern: compileGlob(b.glob), glob: b.glob, reason: b.reason }));

  const allowlist = (config.allowlist ?? []).map((entry): CompiledAllow => {
    const utilities = entry.utility === undefined ? undefined : new Set([entry.utility].flat());
    return {
      reason: entry.reason,
      ...(utilities && { utilities }),
      ...(entry.location !== undefined && { location: compileGlob(entry.location) }),
      ...(entry.ancestor !== undefined && { ancestor: compileGlob(entry.ancestor) }),
      ...(entry.user !== undefined && { user: entry.user }),
      ...(entry.host !== undefined && { host: compileGlob(entry.host) }),
      ...(entry.image !== undefined && { image: compileGlob(entry.image) }),
      ...(entry.args !== undefined && { args: RE2JS.compile(entry.args) }),
    };
  });

  return Object.freeze({ utilities, tiers, benign, allowlist });
}
