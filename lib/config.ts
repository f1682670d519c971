import * as z from "zod";
import { ALERT_JSON_FORMATS } from "./alerts/sns-message.js";
import { ConfigError } from "./errors.js";
import { parseRuleConfig, type RuleConfig } from "./rule/rule-config.js";

/**
 * The Lambda functions' configuration, from their environment, validated once per container (DESIGN §8).
 * No secret lives here: the Slack webhook URL, for one, is read from SSM Parameter Store at run time.
 */
const positiveInt = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const envSchema = z.object({
  /** The one DynamoDB table: process records and dedup windows (infra/dynamodb.yml). */
  TABLE_NAME: z.string().min(3).max(255),
  /** Alert topic (infra/sns.yml). */
  TOPIC_ARN: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, "an SNS topic ARN"),
  /** Where malformed records go with their raw bytes (infra/sqs.yml). */
  QUARANTINE_QUEUE_URL: z.url(),
  /** Where quarantined bytes too large for a queue message go, under `quarantine/` (infra/s3.yml). */
  QUARANTINE_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name"),
  /** Dedup window: repeats of an alert inside it only raise its count. */
  DEDUP_WINDOW_SECONDS: positiveInt(60, 7 * 86_400, 3_600),
  /**
   * How long the first records of an auditd event wait in the table for the rest (another invocation, a
   * delayed or concurrent delivery) before the event is judged as it is.
   */
  FRAGMENT_WAIT_SECONDS: positiveInt(10, 3_600, 300),
  /** How long a process record lives without being rewritten (DynamoDB TTL). */
  LINEAGE_TTL_SECONDS: positiveInt(3_600, 90 * 86_400, 7 * 86_400),
  /** What the SNS `sqs` and `https` keys carry: the native alert, or an OCSF Detection Finding. */
  ALERT_JSON_FORMAT: z.enum(ALERT_JSON_FORMATS).default("native"),
  /** Cap on a gzip CloudWatch Logs envelope once inflated: a decompression bomb stops here. */
  MAX_DECOMPRESSED_BYTES: positiveInt(1 << 16, 64 << 20, 16 << 20),
  /**
   * Rule tuning as JSON (the same schema as the CLI's --config file); empty for the defaults. Lambda allows
   * 4 KB for all environment variables together.
   */
  RULE_CONFIG: z.string().max(3_072).default(""),
});

export type Config = Readonly<z.infer<typeof envSchema> & { rule: RuleConfig }>;

/** Pure: the environment in, a frozen config out, or one ConfigError naming every bad variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid environment: ${issues.join("; ")}`, issues);
  }
  let ruleData: unknown = {};
  if (result.data.RULE_CONFIG !== "") {
    try {
      ruleData = JSON.parse(result.data.RULE_CONFIG);
    } catch (error) {
      throw new ConfigError(
        `invalid environment: RULE_CONFIG: not JSON: ${(error as Error).message}`,
        ["RULE_CONFIG"],
        { cause: error },
      );
    }
  }
  return Object.freeze({ ...result.data, rule: parseRuleConfig(ruleData, "RULE_CONFIG") });
}
