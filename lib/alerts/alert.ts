import type { LocationKind, LocationMatch } from "../rule/evaluate.js";
import type { Severity, TierName } from "../rule/locations.js";
import type { AttackTechnique, CategoryName } from "../rule/utilities.js";
import type { SourceFormat } from "../telemetry/exec-event.js";

/**
 * The alert document (DESIGN §6): the contract for every integration (SNS JSON, SIEM, the CLI's --output
 * json). Fields are added, never renamed; `rule.version` moves when the semantics do.
 */
export interface AlertProcess {
  pid: number;
  ppid: number;
  executable: string;
  args: string[];
  cwd: string | null;
  invokedPath: string | null;
  /** Earlier images of the same process, nearest first: what it was before it exec'd the utility. */
  execChain: AlertImage[];
}

export interface AlertImage {
  executable: string;
  args: string[];
  script: string | null;
}

export interface AlertAncestor extends AlertImage {
  pid: number;
  user: { id: string | null; name: string | null } | null;
  execChain: AlertImage[];
}

export interface Alert {
  id: string;
  rule: { id: string; name: string; version: string };
  severity: Severity;
  /** Event time, ISO 8601 UTC. */
  time: string;
  host: { name: string; id: string | null };
  container: { id: string; image: string | null } | null;
  user: { id: string | null; name: string | null };
  process: AlertProcess;
  utility: { name: string; category: CategoryName; args: string[] };
  location: { path: string; kind: LocationKind; depth: number; tier: TierName; reason: string };
  matches: LocationMatch[];
  /** Nearest first: parent, grandparent, … */
  ancestors: AlertAncestor[];
  attack: AttackTechnique[];
  dedup: { key: string; count: number; firstSeen: string };
  source: { format: SourceFormat; eventId: string };
  description: string;
  triage: string[];
  /** Set (true) only when strings or ancestors were cut to fit a transport limit (SNS: 256 KB). */
  trimmed?: true;
}
