/**
 * A parent the telemetry carries (Tetragon, OCSF, ECS, native) running a relative script, `bash ./x.sh`: the
 * script is placed against the parent's own working directory when the telemetry gives it, never against the
 * child's (the child may have changed directory since, and its cwd would name a file that is not there).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";

const fixture = (format: string) =>
  readFileSync(new URL(`../fixtures/parent-cwd/${format}.jsonl`, import.meta.url), "utf8");

/** The same record with the parent's cwd removed and the child's moved to /tmp. */
const withoutParentCwd = (text: string) =>
  text
    .replaceAll(/"(cwd|working_directory)":"\/tmp",?/g, "")
    .replaceAll('"/srv"', '"/tmp"')
    .replaceAll(",}", "}");

describe("a relative script of a parent carried by the telemetry", () => {
  it.each(["tetragon", "ocsf", "ecs", "native"])("%s: placed against the parent's cwd", async (format) => {
    const { stdout } = await cli(["replay", "--format", format, "--output", "json", "-"], fixture(format));
    const alerts = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(alerts.map((a) => [a.utility.name, a.location.path, a.location.kind, a.location.depth])).toEqual([
      ["curl", "/tmp/x.sh", "script", 1],
    ]);
  });

  it.each(["tetragon", "ocsf", "ecs", "native"])(
    "%s: without the parent's cwd, not against the child's",
    async (format) => {
      const input = withoutParentCwd(fixture(format));
      expect(input).not.toContain('"/srv"');
      const { stdout, stderr } = await cli(["replay", "--format", format, "--output", "json", "-"], input);
      expect(stderr).toContain("1 exec events, 0 alerts");
      expect(stdout).toBe("");
    },
  );
});
