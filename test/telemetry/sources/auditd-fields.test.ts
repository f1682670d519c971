import { describe, expect, it } from "vitest";
import { KeptFields } from "../../../lib/telemetry/sources/auditd-fields.js";
import {
  FieldTokens,
  parseAuditHeader,
  scanAuditBody,
} from "../../../lib/telemetry/sources/auditd-record.js";

const HEAD = "type=SYSCALL msg=audit(1700000000.123:42):";

const read = (kept: KeptFields, body: string): KeptFields => {
  const line = HEAD + body;
  const header = parseAuditHeader(line);
  if (typeof header === "string") throw new Error(header);
  const tokens = new FieldTokens();
  expect(scanAuditBody(line, header, true, tokens)).toBeUndefined();
  return kept.read(line, tokens);
};

describe("KeptFields", () => {
  it("gives the kept keys' values and quoting, and nothing of the others", () => {
    const kept = read(
      new KeptFields(["pid", "exe"], ["UID"]),
      ` pid=7 ppid=1 exe="/bin/sh"\u001dUID="root" GID="root"`,
    );
    expect(["pid", "exe", "ppid"].map((k) => kept.fields.get(k))).toEqual(["7", "/bin/sh", undefined]);
    expect(["pid", "exe", "ppid"].map((k) => kept.quoted.has(k))).toEqual([false, true, false]);
    expect(["UID", "GID"].map((k) => kept.enriched.get(k))).toEqual(["root", undefined]);
  });

  it("gives a repeated key's last value, quoted if it ever was", () => {
    const kept = read(new KeptFields(["a"], []), ` a="x" a=y`);
    expect(kept.fields.get("a")).toBe("y");
    expect(kept.quoted.has("a")).toBe(true);
  });

  it("forgets the record before", () => {
    const kept = new KeptFields(["a", "b"], ["B"]);
    read(kept, ` a="x" b=1\u001dB=2`);
    read(kept, ` b=3`);
    expect([
      kept.fields.get("a"),
      kept.quoted.has("a"),
      kept.fields.get("b"),
      kept.enriched.get("B"),
    ]).toEqual([undefined, false, "3", undefined]);
  });
});
