import { RE2JS } from "re2js";
import * as z from "zod";
import { ConfigError } from "../errors.js";
import { LOCATION_TIERS, SEVERITIES } from "./locations.js";
import { CATEGORY_NAMES } from "./utilities.js";

/**
 * The user's tuning file (YAML or JSON), validated once. Unknown keys are errors, not ignored: a typo in an
 * allowlist key must not silently widen or narrow the rule.
 */

const categoryName = z.enum(CATEGORY_NAMES as [string, ...string[]]);
const tierName = z.enum(Object.keys(LOCATION_TIERS) as [string, ...string[]]);
const utilityName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^/\s]+$/, "a bare program name, no slash or space");
const glob = z.string().min(1).max(1024);
const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]);
/**
 * The argument pattern runs over the attacker's command line, so it is RE2 (linear time, DESIGN §7), checked
 * here with the engine that will run it. RE2 has no backreferences and no lookaround: a pattern that needs
 * them is an error here, not a surprise at match time.
 */
const regex = z
  .string()
  .min(1)
  .max(1024)
  .superRefine((source, ctx) => {
    try {
      RE2JS.compile(source);
    } catch (e) {
      ctx.addIssue({
        code: "custom",
        message:
          `not a valid RE2 regular expression (RE2 syntax: no backreferences, no lookahead or lookbehind; ` +
          `https://github.com/google/re2/wiki/Syntax): ${e instanceof Error ? e.message : String(e)}`,
      });
    }
  });
/**
 * A tier entry is a directory (absolute; `/root` means `/root/` and below) or a name prefix ending in `:`
 * (`memfd:`); anything else could never match the absolute paths the rule compares it with.
 */
const tierEntry = glob.refine((entry) => entry.startsWith("/") || entry.endsWith(":"), {
  message: "a directory (an absolute path such as /root) or a name prefix ending in ':' (memfd:)",
});

const allowEntry = z
  .strictObject({
    reason: z.string().min(1, "say why this is allowed"),
    utility: oneOrMany(utilityName).optional(),
    location: glob.optional(),
    ancestor: glob.optional(),
    user: z.string().min(1).optional(),
    host: glob.optional(),
    image: glob.optional(),
    args: regex.optional(),
  })
  .refine((e) => Object.keys(e).length > 1, {
    message: "an allowlist entry needs at least one condition besides reason",
  });

export const ruleConfigSchema = z.strictObject({
  utilities: z
    .strictObject({
      add: z.partialRecord(categoryName, z.array(utilityName)).optional(),
      remove: z.array(utilityName).optional(),
      disableCategories: z.array(categoryName).optional(),
    })
    .optional(),
  tiers: z
    .partialRecord(
      tierName,
      z.strictObject({
        add: z.array(tierEntry).optional(),
        remove: z.array(tierEntry).optional(),
        severity: z.enum(SEVERITIES).optional(),
        enabled: z.boolean().optional(),
      }),
    )
    .optional(),
  benignLocations: z
    .strictObject({
      defaults: z.boolean().optional(),
      add: z.array(z.strictObject({ glob, reason: z.string().min(1) })).optional(),
    })
    .optional(),
  allowlist: z.array(allowEntry).optional(),
});

export type RuleConfig = z.infer<typeof ruleConfigSchema>;

/** Validate parsed config data; every problem is named by its key path, all at once. */
export function parseRuleConfig(data: unknown, origin: string): RuleConfig {
  const result = ruleConfigSchema.safeParse(data ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => `${path ? `${path}.` : ""}${key}: unknown key`);
    }
    return [`${path || "(top level)"}: ${issue.message}`];
  });
  throw new ConfigError(`${origin}: invalid config\n${issues.map((i) => `  - ${i}`).join("\n")}`, issues);
}
