import { RE2JS } from "re2js";
import { compileGlob, type Glob } from "./glob.js";
import { DEFAULT_BENIGN_LOCATIONS, LOCATION_TIERS, type Severity, type TierName } from "./locations.js";
import { canonicalGlob, compileTierPattern, tierPattern } from "./path-patterns.js";
import type { RuleConfig } from "./rule-config.js";
import { type CategoryName, UTILITY_CATEGORIES } from "./utilities.js";

export interface CompiledTier {
  readonly name: TierName;
  readonly severity: Severity;
  /** One per distinct entry (path-patterns.ts tierPattern): a directory and what is below it, or a name prefix. */
  readonly entries: readonly Glob[];
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
    const remove = new Set((tuning?.remove ?? []).map(tierPattern));
    const patterns = new Set([...tier.paths, ...(tuning?.add ?? [])].map(tierPattern));
    tiers.push({
      name,
      severity: tuning?.severity ?? tier.severity,
      entries: [...patterns].filter((p) => !remove.has(p)).map(compileTierPattern),
    });
  }

  const benignEntries = [
    ...(config.benignLocations?.defaults === false ? [] : DEFAULT_BENIGN_LOCATIONS),
    ...(config.benignLocations?.add ?? []),
  ];
  // Paths are matched in canonical form (classify in evaluate.ts), so path globs are written in it too.
  const benign = benignEntries.map((b) => ({
    pattern: compileGlob(canonicalGlob(b.glob)),
    glob: b.glob,
    reason: b.reason,
  }));

  const allowlist = (config.allowlist ?? []).map((entry): CompiledAllow => {
    const utilities = entry.utility === undefined ? undefined : new Set([entry.utility].flat());
    return {
      reason: entry.reason,
      ...(utilities && { utilities }),
      ...(entry.location !== undefined && { location: compileGlob(canonicalGlob(entry.location)) }),
      ...(entry.ancestor !== undefined && { ancestor: compileGlob(canonicalGlob(entry.ancestor)) }),
      ...(entry.user !== undefined && { user: entry.user }),
      ...(entry.host !== undefined && { host: compileGlob(entry.host) }),
      ...(entry.image !== undefined && { image: compileGlob(entry.image) }),
      ...(entry.args !== undefined && { args: RE2JS.compile(entry.args) }),
    };
  });

  return Object.freeze({ utilities, tiers, benign, allowlist });
}
