import { describe, expect, it } from "vitest";
import { LOCATION_TIERS } from "../../lib/rule/locations.js";
import { RULE_METADATA } from "../../lib/rule/metadata.js";
import { CATEGORY_NAMES, UTILITY_CATEGORIES } from "../../lib/rule/utilities.js";

describe("rule metadata", () => {
  it("has what an analyst needs: id, version, description, false positives, known gaps, triage", () => {
    expect(RULE_METADATA.id).toMatch(/^[a-z0-9-]+$/);
    expect(RULE_METADATA.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(RULE_METADATA.description.length).toBeGreaterThan(100);
    expect(RULE_METADATA.falsePositives.length).toBeGreaterThanOrEqual(3);
    expect(RULE_METADATA.knownGaps.some((g) => g.includes("working directory"))).toBe(true);
  });

  it("triage follows the detection's guide: who, ancestry, contain, network tools and DNS, root cause", () => {
    const steps = RULE_METADATA.triage.map((s) => s.toLowerCase());
    expect(steps).toHaveLength(5);
    expect(steps[0]).toContain("who ran");
    expect(steps[1]).toContain("ancestry");
    expect(steps[2]).toContain("contain");
    expect(steps[3]).toMatch(/network tools.*dns/);
    expect(steps[4]).toContain("root cause");
  });

  it("every category has utilities and an ATT&CK technique; no utility is in two categories", () => {
    const seen = new Set<string>();
    for (const name of CATEGORY_NAMES) {
      const category = UTILITY_CATEGORIES[name];
      expect(category.attack.length).toBeGreaterThan(0);
      for (const u of category.utilities) {
        expect(seen.has(u)).toBe(false);
        seen.add(u);
      }
    }
  });

  it("tier directories end with / so the directory boundary is respected", () => {
    for (const tier of Object.values(LOCATION_TIERS)) {
      for (const path of tier.paths) expect(path.endsWith("/") || path.endsWith(":")).toBe(true);
    }
  });
});
