import * as z from "zod";
import { ConfigError } from "../errors.js";

/**
 * The Slack notifier's configuration, from its environment (DESIGN §8). The webhook URL is not here: it is a
 * secret, read from the SSM SecureString named by SLACK_WEBHOOK_PARAMETER at run time (lib/slack/webhook-url.ts).
 */
const positiveInt = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const envSchema = z.object({
  /** SSM parameter name (not an ARN: the role is granted exactly this parameter). */
  SLACK_WEBHOOK_PARAMETER: z
    .string()
    .max(2_048)
    .regex(
      /^\/?[a-zA-Z0-9_.-]+(\/[a-zA-Z0-9_.-]+)*$/,
      "an SSM parameter name such as /netutil-detector/prod/slack-webhook-url",
    ),
  /** The one DynamoDB table (infra/dynamodb.yml): posted-alert items live under `slack|<alertId>`. */
  TABLE_NAME: z.string().min(3).max(255),
  /** Per-attempt limit of one webhook post, response included. */
  SLACK_POST_TIMEOUT_MS: positiveInt(100, 30_000, 3_000),
  /** Attempts per alert and invocation, the first included; Lambda's asynchronous retries come on top. */
  SLACK_MAX_ATTEMPTS: positiveInt(1, 10, 3),
});

export type SlackConfig = Readonly<z.infer<typeof envSchema>>;

/** Pure: the environment in, a frozen config out, or one ConfigError naming every bad variable. */
export function loadSlackConfig(env: Readonly<Record<string, string | undefined>>): SlackConfig {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid environment: ${issues.join("; ")}`, issues);
  }
  return Object.freeze(result.data);
}
