import { posix } from "node:path";
import packageJson from "../../package.json" with { type: "json" };
import { DELETED_SUFFIX, type Severity } from "../rule/locations.js";
import type { AttackTechnique } from "../rule/utilities.js";
import type { Alert, AlertAncestor, AlertImage } from "./alert.js";
import { commandLine } from "./escape.js";
import { alertTitle } from "./format-text.js";

/**
 * The alert as an OCSF Detection Finding (class 2004, category 2 Findings, activity 1 Create), for a security
 * data lake or SIEM that reads OCSF instead of our alert document (issue 4 item 3).
 *
 * Schema: OCSF 1.5.0. Attribute names and requirement levels were taken from
 * - ocsf/ocsf-schema: events/findings/detection_finding.json, events/findings/finding.json,
 *   objects/finding_info.json, objects/evidences.json (its `at_least_one` constraint), objects/product.json;
 * - the OCSF 1.5.0 reference as generated from the schema (tenzir/skills skills/tenzir-ocsf/v1.5.0/:
 *   objects/finding_info.md, metadata.md, process.md, attack.md, analytic.md, device.md, container.md,
 *   user.md, actor.md, remediation.md, related_event.md, profiles/security_control.md; v1.3.0/classes/
 *   detection_finding.md for the class's profiles and inherited requirements);
 * - typed 1.5.0 models generated from schema.ocsf.io/1.5.0 (mcm/typescript-ocsf src/v1_5/events/
 *   detection_finding.ts, objects/evidences.ts, process.ts, file.ts, product.ts, technique.ts,
 *   sub_technique.ts, tactic.ts).
 * test/helpers/ocsf.ts holds the required-field list these give and checks every finding against it.
 *
 * Fidelity first: every command line is the exact argv, shell-quoted (commandLine), never escaped or cut; the
 * consumer renders it. Only `message` and `finding_info.title` are display text (alertTitle, escaped, one line).
 * What OCSF has no attribute for goes to `unmapped`, so nothing in the alert is lost.
 */

export const OCSF_SCHEMA_VERSION = "1.5.0";

/**
 * The ATT&CK release the ids and names in lib/rule/utilities.ts match (T1046 is "Network Service Discovery"
 * since v11; the others are unchanged since v8). utilities.ts records no release, so this states it here.
 */
export const ATTACK_MATRIX_VERSION = "17";

/**
 * Tactic ids by the tactic names lib/rule/utilities.ts uses. ATT&CK names tactics and ids one to one; a name
 * missing here leaves `tactic.uid` out rather than guessing (the test keeps this table complete).
 */
export const ATTACK_TACTIC_UIDS: Readonly<Record<string, string>> = {
  "Command and Control": "TA0011",
  Discovery: "TA0007",
  "Credential Access": "TA0006",
  Execution: "TA0002",
};

const CLASS_UID = 2004;
const CATEGORY_UID = 2;
const ACTIVITY_CREATE = 1;

/** severity_id (base_event enum): ours has no Informational or Fatal, so low..critical map to 2..5. */
const SEVERITY = {
  low: { id: 2, caption: "Low" },
  medium: { id: 3, caption: "Medium" },
  high: { id: 4, caption: "High" },
  critical: { id: 5, caption: "Critical" },
} as const satisfies Record<Severity, { id: number; caption: string }>;

/** analytic.type_id 1 Rule: the finding comes from a fixed rule, not a model or a baseline. */
const ANALYTIC_RULE = 1;
/** file.type_id: 1 Regular File; 0 Unknown where the kernel gave no file (memfd, a deleted image). */
const FILE_REGULAR = 1;
const FILE_UNKNOWN = 0;
/** device.type_id 0 Unknown: exec telemetry does not say whether the host is a server, a VM or a laptop. */
const DEVICE_UNKNOWN = 0;
/** security_control profile: we observe and notify, we never block (action 3 Observed, disposition 15 Detected). */
const ACTION_OBSERVED = 3;
const DISPOSITION_DETECTED = 15;
/** finding status_id 1 New: a fresh finding nobody has reviewed yet. */
const STATUS_NEW = 1;

export interface OcsfAttackRef {
  uid: string;
  name: string;
  src_url?: string;
}

export interface OcsfAttack {
  tactic: { name: string; uid?: string };
  technique: OcsfAttackRef;
  sub_technique?: OcsfAttackRef;
  version: string;
}

export interface OcsfUser {
  uid?: string;
  name?: string;
}

export interface OcsfFile {
  name: string;
  path: string;
  type_id: number;
  type: string;
  is_deleted?: true;
}

export interface OcsfProcessEntity {
  pid: number;
  name?: string;
  path?: string;
}

export interface OcsfProcess {
  pid: number;
  name?: string;
  path?: string;
  cmd_line?: string;
  file?: OcsfFile;
  user?: OcsfUser;
  working_directory?: string;
  parent_process?: OcsfProcess;
  ancestry?: OcsfProcessEntity[];
}

export interface OcsfContainer {
  uid: string;
  image?: { uid: string; name: string };
}

export interface OcsfEvidence {
  name: string;
  process?: OcsfProcess;
  container?: OcsfContainer;
  file?: OcsfFile;
}

export interface OcsfFindingInfo {
  uid: string;
  title: string;
  desc: string;
  types: string[];
  analytic: { uid: string; name: string; type_id: number; type: string; version: string };
  attacks: OcsfAttack[];
  data_sources: string[];
  related_events: { uid: string; type: string }[];
  first_seen_time: number;
  last_seen_time: number;
  created_time: number;
}

export interface OcsfMetadata {
  version: string;
  uid: string;
  profiles: string[];
  product: {
    name: string;
    vendor_name: string;
    version: string;
    feature: { uid: string; name: string; version: string };
  };
}

/** What the finding keeps that OCSF has no attribute for (names in OCSF's snake_case). */
export interface OcsfUnmapped {
  dedup: { key: string };
  location: { path: string; kind: string; depth: number; tier: string; reason: string };
  matches: { path: string; kind: string; depth: number; tier: string; pid?: number }[];
  utility: { name: string; category: string; args: string[] };
  process: { invoked_path?: string; exec_chain: OcsfUnmappedImage[] };
  /** Nearest first, one per `parent_process` level. */
  ancestors: { pid: number; script?: string; exec_chain: OcsfUnmappedImage[] }[];
  trimmed?: true;
}

/** An earlier image of a process (it exec'd since): OCSF models one image per process. */
export interface OcsfUnmappedImage {
  path: string;
  cmd_line: string;
  script?: string;
}

export interface OcsfDetectionFinding {
  class_uid: 2004;
  class_name: "Detection Finding";
  category_uid: 2;
  category_name: "Findings";
  activity_id: 1;
  activity_name: "Create";
  type_uid: 200401;
  type_name: "Detection Finding: Create";
  time: number;
  start_time: number;
  end_time: number;
  count: number;
  severity_id: number;
  severity: string;
  status_id: number;
  status: "New";
  action_id: number;
  action: "Observed";
  disposition_id: number;
  disposition: "Detected";
  is_alert: true;
  message: string;
  finding_info: OcsfFindingInfo;
  attacks: OcsfAttack[];
  evidences: OcsfEvidence[];
  device: { hostname: string; uid?: string; type_id: number; type: "Unknown" };
  actor?: { user: OcsfUser };
  remediation: { desc: string };
  metadata: OcsfMetadata;
  unmapped: OcsfUnmapped;
}

export function toOcsfDetectionFinding(alert: Alert): OcsfDetectionFinding {
  // The finding is a pure function of the alert (no clock): a redelivered alert becomes the same finding.
  const time = epochMs(alert.time);
  const firstSeen = epochMs(alert.dedup.firstSeen);
  const severity = SEVERITY[alert.severity];
  const title = alertTitle(alert);
  const user = ocsfUser(alert.user);
  return {
    class_uid: CLASS_UID,
    class_name: "Detection Finding",
    category_uid: CATEGORY_UID,
    category_name: "Findings",
    activity_id: ACTIVITY_CREATE,
    activity_name: "Create",
    type_uid: 200401,
    type_name: "Detection Finding: Create",
    time,
    start_time: firstSeen,
    end_time: time,
    // Repeats inside the dedup window raise this count instead of sending another alert.
    count: alert.dedup.count,
    severity_id: severity.id,
    severity: severity.caption,
    status_id: STATUS_NEW,
    status: "New",
    action_id: ACTION_OBSERVED,
    action: "Observed",
    disposition_id: DISPOSITION_DETECTED,
    disposition: "Detected",
    is_alert: true,
    message: title,
    finding_info: {
      uid: alert.id,
      title,
      desc: alert.description,
      types: [`network-utility:${alert.utility.category}`],
      analytic: {
        uid: alert.rule.id,
        name: alert.rule.name,
        type_id: ANALYTIC_RULE,
        type: "Rule",
        version: alert.rule.version,
      },
      // detection_finding: a security control's `attacks` are duplicated into finding_info.
      attacks: alert.attack.map(ocsfAttack),
      data_sources: [alert.source.format],
      // The exec event that fired: not an OCSF event, so `type` names it instead of type_uid.
      related_events: [{ uid: alert.source.eventId, type: `exec event (${alert.source.format})` }],
      first_seen_time: firstSeen,
      last_seen_time: time,
      created_time: time,
    },
    attacks: alert.attack.map(ocsfAttack),
    evidences: [processEvidence(alert), ...fileEvidences(alert)],
    device: {
      hostname: alert.host.name,
      ...(alert.host.id === null ? {} : { uid: alert.host.id }),
      type_id: DEVICE_UNKNOWN,
      type: "Unknown",
    },
    ...(user === undefined ? {} : { actor: { user } }),
    remediation: { desc: alert.triage.map((step, i) => `${i + 1}. ${step}`).join("\n") },
    metadata: {
      version: OCSF_SCHEMA_VERSION,
      uid: alert.id,
      // security_control brings top-level attacks/action/disposition; host brings device and actor.
      profiles: ["security_control", "host"],
      product: {
        name: "netutil-detector",
        vendor_name: "netutil-detector",
        version: packageJson.version,
        feature: { uid: alert.rule.id, name: alert.rule.name, version: alert.rule.version },
      },
    },
    unmapped: unmapped(alert),
  };
}

/**
 * OCSF 1.5 splits a sub-technique from its technique: T1071.004 "Application Layer Protocol: DNS" is
 * technique T1071 "Application Layer Protocol" with sub_technique T1071.004 "DNS" (ATT&CK's own naming).
 */
function ocsfAttack(t: AttackTechnique): OcsfAttack {
  const tacticUid = ATTACK_TACTIC_UIDS[t.tactic];
  const tactic = tacticUid === undefined ? { name: t.tactic } : { name: t.tactic, uid: tacticUid };
  const dot = t.id.indexOf(".");
  if (dot < 0) {
    return {
      tactic,
      technique: { uid: t.id, name: t.name, src_url: techniqueUrl(t.id) },
      version: ATTACK_MATRIX_VERSION,
    };
  }
  const parentId = t.id.slice(0, dot);
  const colon = t.name.indexOf(": ");
  const parentName = colon < 0 ? t.name : t.name.slice(0, colon);
  const subName = colon < 0 ? t.name : t.name.slice(colon + 2);
  return {
    tactic,
    technique: { uid: parentId, name: parentName, src_url: techniqueUrl(parentId) },
    sub_technique: { uid: t.id, name: subName, src_url: techniqueUrl(t.id) },
    version: ATTACK_MATRIX_VERSION,
  };
}

const techniqueUrl = (id: string): string => `https://attack.mitre.org/techniques/${id.replace(".", "/")}/`;

function processEvidence(alert: Alert): OcsfEvidence {
  const p = alert.process;
  const user = ocsfUser(alert.user);
  const parent = parentChain(alert);
  const process: OcsfProcess = {
    ...imageProcess(p.pid, p.executable, p.args),
    ...(user === undefined ? {} : { user }),
    ...(p.cwd === null ? {} : { working_directory: p.cwd }),
    ...(parent === undefined ? {} : { parent_process: parent }),
    // The flat view the schema recommends beside parent_process, for consumers that read one level only.
    ...(alert.ancestors.length === 0
      ? {}
      : {
          ancestry: alert.ancestors.map((a) => ({
            pid: a.pid,
            name: posix.basename(stripDeleted(a.executable)),
            path: a.executable,
          })),
        }),
  };
  const container = alert.container;
  return {
    name: "network utility process",
    process,
    ...(container === null
      ? {}
      : {
          container: {
            uid: container.id,
            // image.uid is required; telemetry names the image only by its reference, so that is both.
            ...(container.image === null ? {} : { image: { uid: container.image, name: container.image } }),
          },
        }),
  };
}

/** Parent first, each ancestor nested as the previous one's parent_process (alert.ancestors is nearest first). */
function parentChain(alert: Alert): OcsfProcess | undefined {
  let chain: OcsfProcess | undefined;
  for (let i = alert.ancestors.length - 1; i >= 0; i--) {
    const node: OcsfProcess = ancestorProcess(alert.ancestors[i]!);
    chain = chain === undefined ? node : { ...node, parent_process: chain };
  }
  // No ancestor record (it exec'd before collection started): the pid is still known.
  if (chain === undefined && alert.process.ppid > 0) return { pid: alert.process.ppid };
  return chain;
}

function ancestorProcess(a: AlertAncestor): OcsfProcess {
  const user = a.user === null ? undefined : ocsfUser(a.user);
  return { ...imageProcess(a.pid, a.executable, a.args), ...(user === undefined ? {} : { user }) };
}

function imageProcess(pid: number, executable: string, args: readonly string[]): OcsfProcess {
  return {
    pid,
    name: posix.basename(stripDeleted(executable)),
    path: executable,
    cmd_line: commandLine(args),
    file: ocsfFile(executable),
  };
}

/** The matching location first, then every other suspicious file found in the lineage. */
function fileEvidences(alert: Alert): OcsfEvidence[] {
  const paths = [alert.location.path, ...alert.matches.map((m) => m.path)];
  return [...new Set(paths)].map((path) => ({ name: "file in a writable location", file: ocsfFile(path) }));
}

function ocsfFile(path: string): OcsfFile {
  const deleted = path.endsWith(DELETED_SUFFIX);
  const bare = stripDeleted(path);
  // A memfd or a deleted image has no file left on disk to call regular.
  const unknown = deleted || bare.startsWith("memfd:") || bare.startsWith("/memfd:");
  return {
    name: posix.basename(bare) || bare,
    path,
    type_id: unknown ? FILE_UNKNOWN : FILE_REGULAR,
    type: unknown ? "Unknown" : "Regular File",
    ...(deleted ? { is_deleted: true as const } : {}),
  };
}

function ocsfUser(user: { id: string | null; name: string | null }): OcsfUser | undefined {
  if (user.id === null && user.name === null) return undefined;
  return {
    ...(user.id === null ? {} : { uid: user.id }),
    ...(user.name === null ? {} : { name: user.name }),
  };
}

function unmapped(alert: Alert): OcsfUnmapped {
  const { location } = alert;
  return {
    dedup: { key: alert.dedup.key },
    location: {
      path: location.path,
      kind: location.kind,
      depth: location.depth,
      tier: location.tier,
      reason: location.reason,
    },
    matches: alert.matches.map((m) => ({
      path: m.path,
      kind: m.kind,
      depth: m.depth,
      tier: m.tier,
      ...(m.pid === undefined ? {} : { pid: m.pid }),
    })),
    utility: { name: alert.utility.name, category: alert.utility.category, args: [...alert.utility.args] },
    process: {
      ...(alert.process.invokedPath === null ? {} : { invoked_path: alert.process.invokedPath }),
      exec_chain: alert.process.execChain.map(unmappedImage),
    },
    ancestors: alert.ancestors.map((a) => ({
      pid: a.pid,
      ...(a.script === null ? {} : { script: a.script }),
      exec_chain: a.execChain.map(unmappedImage),
    })),
    ...(alert.trimmed === true ? { trimmed: true as const } : {}),
  };
}

function unmappedImage(img: AlertImage): OcsfUnmappedImage {
  return {
    path: img.executable,
    cmd_line: commandLine(img.args),
    ...(img.script === null ? {} : { script: img.script }),
  };
}

const stripDeleted = (path: string): string =>
  path.endsWith(DELETED_SUFFIX) ? path.slice(0, -DELETED_SUFFIX.length) : path;

/** OCSF timestamp_t: epoch milliseconds. buildAlert always writes a valid ISO time; 0 guards a hand-made one. */
function epochMs(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : 0;
}
