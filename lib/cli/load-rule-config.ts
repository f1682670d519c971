import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../errors.js";
import { parseRuleConfig, type RuleConfig } from "../rule/rule-config.js";

/** Reads a YAML or JSON tuning file (YAML is a superset of JSON, so one parser serves both). */
export async function loadRuleConfigFile(path: string): Promise<RuleConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(
      `cannot read config ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      [],
      { cause: error },
    );
  }
  let data: unknown;
  try {
    data = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError(`${path}: not valid YAML or JSON: ${(error as Error).message.split("\n")[0]}`, [], {
      cause: error,
    });
  }
  return parseRuleConfig(data, path);
}
