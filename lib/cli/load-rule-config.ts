import { readFile } from "node:fs/promises";
import { parse as parseYaml, YAMLError } from "yaml";
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
    throw new ConfigError(`${path}${yamlPosition(error)}: not valid YAML or JSON: ${yamlReason(error)}`, [], {
      cause: error,
    });
  }
  return parseRuleConfig(data, path);
}

/** `:line:column` of a YAML parse error, the way compilers and linters name a position. */
function yamlPosition(error: unknown): string {
  const at = error instanceof YAMLError ? error.linePos?.[0] : undefined;
  return at === undefined ? "" : `:${at.line}:${at.col}`;
}

/**
 * The parser's reason without its own position suffix: its message is "<reason> at line 3, column 1:" followed
 * by an excerpt, which on one line leaves a dangling colon.
 */
function yamlReason(error: unknown): string {
  const first = (error as Error).message.split("\n")[0] ?? "";
  return first.replace(/ at line \d+, column \d+:?$/, "").trimEnd() || "unreadable";
}
