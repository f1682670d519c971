/**
 * Checks a document against what OCSF 1.5.0 requires of a Detection Finding (class_uid 2004). Not a full
 * schema validator: it checks the required attributes of the class and of the objects we emit, the fixed
 * class values, and attribute types (integers, epoch-millisecond timestamps), which is what a consumer
 * (Security Lake, a SIEM's OCSF parser) rejects a finding for.
 *
 * Sources, OCSF 1.5.0 (see lib/alerts/ocsf-finding.ts for the full list):
 * - class: ocsf/ocsf-schema events/findings/detection_finding.json extends finding.json (finding_info
 *   required) extends base_event (activity_id, category_uid, class_uid, metadata, severity_id, time, type_uid
 *   required); tenzir/skills skills/tenzir-ocsf/v1.3.0/classes/detection_finding.md lists the inherited
 *   requirements, mcm/typescript-ocsf src/v1_5/events/detection_finding.ts the 1.5.0 class;
 * - objects: finding_info (uid required, title only recommended since 1.2), metadata (product, version),
 *   analytic (type_id), remediation (desc), related_event (uid): tenzir/skills v1.5.0/objects/*.md;
 *   device (type_id), file (name, type_id), image (uid): mcm/typescript-ocsf src/v1_5/objects/*.ts;
 *   product (name): ocsf/ocsf-schema objects/product.json; evidences (at_least_one of its artifacts):
 *   ocsf/ocsf-schema objects/evidences.json.
 */

export const OCSF_VERSION = "1.5.0";

/** Required attributes of the Detection Finding class, inherited ones included. */
export const DETECTION_FINDING_REQUIRED = [
  "activity_id",
  "category_uid",
  "class_uid",
  "finding_info",
  "metadata",
  "severity_id",
  "time",
  "type_uid",
] as const;

/** Required attributes of each object, checked wherever the object appears. */
export const OBJECT_REQUIRED = {
  finding_info: ["uid"],
  metadata: ["product", "version"],
  product: ["name"],
  analytic: ["type_id"],
  device: ["type_id"],
  file: ["name", "type_id"],
  image: ["uid"],
  remediation: ["desc"],
  related_event: ["uid"],
} as const satisfies Record<string, readonly string[]>;

/** objects/evidences.json `constraints.at_least_one`: an evidence must carry one of these. */
export const EVIDENCE_AT_LEAST_ONE = [
  "actor",
  "api",
  "connection_info",
  "data",
  "database",
  "databucket",
  "device",
  "dst_endpoint",
  "email",
  "file",
  "process",
  "query",
  "resources",
  "src_endpoint",
  "url",
  "user",
  "job",
  "script",
] as const;

const ACTIVITY_IDS = new Set([0, 1, 2, 3, 99]);
const SEVERITY_IDS = new Set([0, 1, 2, 3, 4, 5, 6, 99]);
const STATUS_IDS = new Set([0, 1, 2, 3, 4, 5, 6, 99]);
/** Integer attributes whose names do not end in _id or _time. */
const INTEGER_KEYS = new Set(["class_uid", "category_uid", "type_uid", "pid", "count", "tid"]);
/** Anything below is a count of seconds, not milliseconds (1e11 ms is March 1973). */
const MIN_EPOCH_MS = 1e11;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The problems found, as `path: what is wrong`; empty when the finding passes. */
export function validateDetectionFinding(finding: unknown): string[] {
  const problems: string[] = [];
  if (!isObj(finding)) return ["finding: not a JSON object"];
  const add = (path: string, what: string) => problems.push(`${path}: ${what}`);

  for (const key of DETECTION_FINDING_REQUIRED) {
    if (finding[key] === undefined || finding[key] === null) add(key, "required attribute missing");
  }
  if (finding["class_uid"] !== undefined && finding["class_uid"] !== 2004) add("class_uid", "not 2004");
  if (finding["category_uid"] !== undefined && finding["category_uid"] !== 2) add("category_uid", "not 2");
  checkEnum(finding, "activity_id", ACTIVITY_IDS, add);
  checkEnum(finding, "severity_id", SEVERITY_IDS, add);
  checkEnum(finding, "status_id", STATUS_IDS, add);
  const { class_uid: classUid, activity_id: activityId, type_uid: typeUid } = finding;
  if (
    typeof classUid === "number" &&
    typeof activityId === "number" &&
    typeUid !== classUid * 100 + activityId
  ) {
    add("type_uid", "not class_uid * 100 + activity_id");
  }

  const info = finding["finding_info"];
  if (info !== undefined) {
    checkObject(info, "finding_info", "finding_info", add);
    if (isObj(info)) {
      if (info["analytic"] !== undefined)
        checkObject(info["analytic"], "analytic", "finding_info.analytic", add);
      checkArray(info["related_events"], "finding_info.related_events", add, (e, p) =>
        checkObject(e, "related_event", p, add),
      );
      checkArray(info["attacks"], "finding_info.attacks", add, (a, p) => checkAttack(a, p, add));
    }
  }
  const metadata = finding["metadata"];
  if (metadata !== undefined) {
    checkObject(metadata, "metadata", "metadata", add);
    if (isObj(metadata)) {
      if (metadata["product"] !== undefined)
        checkObject(metadata["product"], "product", "metadata.product", add);
      const version = metadata["version"];
      if (version !== undefined && (typeof version !== "string" || !/^\d+\.\d+\.\d+/.test(version))) {
        add("metadata.version", "not a SemVer schema version");
      }
    }
  }
  if (finding["device"] !== undefined) checkObject(finding["device"], "device", "device", add);
  if (finding["remediation"] !== undefined)
    checkObject(finding["remediation"], "remediation", "remediation", add);
  checkArray(finding["attacks"], "attacks", add, (a, p) => checkAttack(a, p, add));
  checkArray(finding["evidences"], "evidences", add, (e, p) => checkEvidence(e, p, add));

  checkTypes(finding, "", add);
  return problems;
}

type Add = (path: string, what: string) => void;

function checkEnum(o: Obj, key: string, allowed: ReadonlySet<number>, add: Add): void {
  const v = o[key];
  if (v !== undefined && !(typeof v === "number" && allowed.has(v))) add(key, `not one of ${[...allowed]}`);
}

function checkObject(v: unknown, kind: keyof typeof OBJECT_REQUIRED, path: string, add: Add): void {
  if (!isObj(v)) {
    add(path, "not an object");
    return;
  }
  for (const key of OBJECT_REQUIRED[kind]) {
    if (v[key] === undefined || v[key] === null)
      add(`${path}.${key}`, `required attribute of ${kind} missing`);
  }
}

function checkArray(v: unknown, path: string, add: Add, each: (item: unknown, path: string) => void): void {
  if (v === undefined) return;
  if (!Array.isArray(v)) {
    add(path, "not an array");
    return;
  }
  for (const [i, item] of v.entries()) each(item, `${path}[${i}]`);
}

/** MITRE ids in the attack object: tactic TA0011, technique T1071, sub-technique T1071.004. */
function checkAttack(a: unknown, path: string, add: Add): void {
  if (!isObj(a)) {
    add(path, "not an object");
    return;
  }
  const uid = (key: string, pattern: RegExp) => {
    const ref = a[key];
    if (ref === undefined) return;
    if (!isObj(ref)) add(`${path}.${key}`, "not an object");
    else if (ref["uid"] !== undefined && !(typeof ref["uid"] === "string" && pattern.test(ref["uid"]))) {
      add(`${path}.${key}.uid`, `not an ATT&CK id like ${pattern.source}`);
    }
  };
  uid("tactic", /^TA\d{4}$/);
  uid("technique", /^T\d{4}$/);
  uid("sub_technique", /^T\d{4}\.\d{3}$/);
}

function checkEvidence(e: unknown, path: string, add: Add): void {
  if (!isObj(e)) {
    add(path, "not an object");
    return;
  }
  if (!EVIDENCE_AT_LEAST_ONE.some((key) => e[key] !== undefined)) {
    add(path, `needs at least one of ${EVIDENCE_AT_LEAST_ONE.join(", ")}`);
  }
  if (e["file"] !== undefined) checkObject(e["file"], "file", `${path}.file`, add);
  if (e["process"] !== undefined) checkProcess(e["process"], `${path}.process`, add);
  const container = e["container"];
  if (isObj(container) && container["image"] !== undefined) {
    checkObject(container["image"], "image", `${path}.container.image`, add);
  }
}

/** A process and every parent_process under it. */
function checkProcess(p: unknown, path: string, add: Add): void {
  if (!isObj(p)) {
    add(path, "not an object");
    return;
  }
  if (p["file"] !== undefined) checkObject(p["file"], "file", `${path}.file`, add);
  if (p["parent_process"] !== undefined) checkProcess(p["parent_process"], `${path}.parent_process`, add);
}

/**
 * JSON types by OCSF type: *_id enums, uids of the class, pids and counts are integers; time and *_time are a
 * timestamp_t (epoch ms, integer); no value may be undefined or a non-finite number (JSON drops or nulls them).
 * `unmapped` is the producer's own and is only checked for JSON-safety.
 */
function checkTypes(v: unknown, path: string, add: Add, inUnmapped = false): void {
  if (v === undefined) add(path, "undefined (dropped by JSON)");
  else if (typeof v === "number" && !Number.isFinite(v)) add(path, "not a finite number");
  else if (Array.isArray(v)) {
    for (const [i, item] of v.entries()) checkTypes(item, `${path}[${i}]`, add, inUnmapped);
  } else if (isObj(v)) {
    for (const [key, value] of Object.entries(v)) {
      const sub = path === "" ? key : `${path}.${key}`;
      const unmapped = inUnmapped || (path === "" && key === "unmapped");
      if (!unmapped) checkAttributeType(key, value, sub, add);
      checkTypes(value, sub, add, unmapped);
    }
  }
}

function checkAttributeType(key: string, value: unknown, path: string, add: Add): void {
  if (key === "time" || key.endsWith("_time")) {
    if (!Number.isSafeInteger(value) || (value as number) < 0) add(path, "not an epoch-millisecond integer");
    else if ((value as number) < MIN_EPOCH_MS) add(path, "looks like epoch seconds, not milliseconds");
  } else if ((key.endsWith("_id") || INTEGER_KEYS.has(key)) && !Number.isSafeInteger(value)) {
    add(path, "not an integer");
  }
}
