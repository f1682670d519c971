import * as z from "zod";
import type { Alert } from "../alerts/alert.js";
import { SEVERITIES } from "../rule/locations.js";

/**
 * An SNS message as the alert document (lib/alerts/alert.ts), checked before anything formats it: the topic
 * also carries CloudWatch alarm notifications (kept out by the subscription's filter policy, unless someone
 * widens it) and anyone allowed to publish there can send anything. A message that fails here can never
 * succeed, so the caller logs and skips it instead of failing the invocation into pointless retries.
 *
 * Every field the Slack formatter reads is checked for its type; objects are loose (fields are added to the
 * alert, never renamed, so a newer detector's alert still passes) and enum-like strings other than the
 * severity stay plain strings for the same reason.
 */
const str = z.string();
const nullableStr = z.string().nullable();
const args = z.array(z.string());
const image = z.looseObject({ executable: str, args, script: nullableStr });
const user = z.looseObject({ id: nullableStr, name: nullableStr });
const match = z.looseObject({ path: str, kind: str, depth: z.number(), tier: str });

const alertSchema = z.looseObject({
  // The id keys the posted-alert item and shows in the message: a bounded, inert token.
  id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "an alert id"),
  rule: z.looseObject({ id: str, name: str, version: str }),
  severity: z.enum(SEVERITIES),
  time: str,
  host: z.looseObject({ name: str, id: nullableStr }),
  container: z.looseObject({ id: str, image: nullableStr }).nullable(),
  user,
  process: z.looseObject({
    pid: z.number(),
    ppid: z.number(),
    executable: str,
    args,
    cwd: nullableStr,
    invokedPath: nullableStr,
    execChain: z.array(image),
  }),
  utility: z.looseObject({ name: str, category: str, args }),
  location: z.looseObject({ path: str, kind: str, depth: z.number(), tier: str, reason: str }),
  matches: z.array(match),
  ancestors: z.array(image.extend({ pid: z.number(), user: user.nullable(), execChain: z.array(image) })),
  attack: z.array(z.looseObject({ id: str, name: str, tactic: str })),
  dedup: z.looseObject({ key: str, count: z.number(), firstSeen: str }),
  source: z.looseObject({ format: str, eventId: str }),
  description: str,
  triage: z.array(str),
  trimmed: z.literal(true).optional(),
});

export type ParsedAlertMessage =
  | { readonly ok: true; readonly alert: Alert }
  | { readonly ok: false; readonly reason: string };

export function parseAlertMessage(message: string): ParsedAlertMessage {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  const result = alertSchema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    return { ok: false, reason: `not an alert: ${issues.join("; ")}` };
  }
  // The checked value as received (unknown fields included): the schema checks, the contract is the type.
  return { ok: true, alert: value as Alert };
}
