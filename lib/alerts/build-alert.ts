import { createHash } from "node:crypto";
import type { Lineage } from "../lineage/lineage.js";
import type { ProcessImage, ProcessNode } from "../lineage/process-record.js";
import type { Verdict } from "../rule/evaluate.js";
import { LOCATION_TIERS } from "../rule/locations.js";
import { RULE_METADATA } from "../rule/metadata.js";
import type { ExecEvent } from "../telemetry/exec-event.js";
import type { Alert, AlertAncestor, AlertImage } from "./alert.js";

type AlertVerdict = Extract<Verdict, { outcome: "alert" }>;

const KIND_REASON = {
  self: "the utility's own binary is there",
  "exec-chain": "an earlier image of the process (it exec'd into the utility) is there",
  ancestor: "an ancestor's executable is there",
  script: "an ancestor interpreter ran a script from there",
} as const;

/** Dedup key (DESIGN §6): the same utility from the same file on the same host/container is one alert. */
export function dedupKey(event: ExecEvent, verdict: AlertVerdict): string {
  return [
    RULE_METADATA.id,
    event.host.name,
    event.container?.id ?? "-",
    verdict.utility.name,
    verdict.location.path,
  ].join("|");
}

/**
 * A stable alert id: the same event always yields the same id, so a redelivered batch is recognised
 * downstream (SNS subscribers, the Slack notifier) and never counted as a new alert.
 */
export function alertId(event: ExecEvent): string {
  return createHash("sha256")
    .update(`${RULE_METADATA.id}\u0000${event.source.eventId}`)
    .digest("hex")
    .slice(0, 32);
}

export function buildAlert(
  event: ExecEvent,
  lineage: Lineage,
  verdict: AlertVerdict,
  dedup: { count: number; firstSeen: number },
): Alert {
  const { process, utility, location } = {
    process: event.process,
    utility: verdict.utility,
    location: verdict.location,
  };
  const tier = LOCATION_TIERS[location.tier];
  return {
    id: alertId(event),
    rule: { id: RULE_METADATA.id, name: RULE_METADATA.name, version: RULE_METADATA.version },
    severity: verdict.severity,
    time: isoTime(event.time),
    host: { name: event.host.name, id: event.host.id ?? null },
    container: event.container ? { id: event.container.id, image: event.container.image ?? null } : null,
    user: { id: event.user.id ?? null, name: event.user.name ?? null },
    process: {
      pid: process.pid,
      ppid: process.ppid,
      executable: process.executable,
      args: [...process.args],
      cwd: process.cwd ?? null,
      invokedPath: process.invokedPath ?? null,
      execChain: lineage.chain.map(image),
    },
    utility: { name: utility.name, category: utility.category, args: [...utility.args] },
    location: {
      path: location.path,
      kind: location.kind,
      depth: location.depth,
      tier: location.tier,
      reason: `${KIND_REASON[location.kind]}: ${tier.description}`,
    },
    matches: [...verdict.matches],
    ancestors: lineage.ancestors.map(ancestor),
    attack: [...verdict.attack],
    dedup: { key: dedupKey(event, verdict), count: dedup.count, firstSeen: isoTime(dedup.firstSeen) },
    source: { format: event.source.format, eventId: event.source.eventId },
    description: RULE_METADATA.description,
    triage: [...RULE_METADATA.triage],
  };
}

function image(img: ProcessImage): AlertImage {
  return { executable: img.executable, args: [...img.args], script: img.script ?? null };
}

function ancestor(node: ProcessNode): AlertAncestor {
  return {
    ...image(node),
    pid: node.pid,
    user: node.user ? { id: node.user.id ?? null, name: node.user.name ?? null } : null,
    execChain: node.chain.map(image),
  };
}

function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? new Date(0).toISOString() : date.toISOString();
}
