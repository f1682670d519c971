import { describe, expect, it } from "vitest";
import { REPARENT_WINDOW_MS } from "../../lib/lineage/reapers.js";
import { type Incarnation, sameProcess, UNSET_SESSION } from "../../lib/lineage/same-process.js";

const T = 1_796_274_391_650;
const image = (ppid: number, time: number, extra: Partial<Incarnation> = {}): Incarnation => ({
  ppid,
  time,
  ...extra,
});

describe("sameProcess", () => {
  // [case, earlier image, later image, the later image's parent executable, same process]
  it.each<[string, Incarnation, Incarnation, string | undefined, boolean]>([
    ["same parent, no session", image(40, T), image(40, T + 500), undefined, true],
    [
      "same parent, same session",
      image(40, T, { sessionId: "3" }),
      image(40, T + 500, { sessionId: "3" }),
      undefined,
      true,
    ],
    // The recorded E1 (evasion-cases.auditd.log, pid 32636): exec'd under the subshell, re-parented to init.
    [
      "re-parented to init, same session",
      image(32635, T, { sessionId: "3" }),
      image(1, T + 500, { sessionId: "3" }),
      undefined,
      true,
    ],
    [
      "re-parented to init under a daemon (session unset), soon after",
      image(900, T, { sessionId: UNSET_SESSION }),
      image(1, T + 2_000, { sessionId: UNSET_SESSION }),
      undefined,
      true,
    ],
    [
      "re-parented to init under a daemon, past the window: the pid may have been reused",
      image(900, T, { sessionId: UNSET_SESSION }),
      image(1, T + REPARENT_WINDOW_MS + 1, { sessionId: UNSET_SESSION }),
      undefined,
      false,
    ],
    [
      "re-parented to a user's systemd (a subreaper)",
      image(900, T, { sessionId: "7" }),
      image(811, T + 100, { sessionId: "7" }),
      "/usr/lib/systemd/systemd",
      true,
    ],
    [
      "re-parented to a container shim",
      image(900, T),
      image(811, T + 100),
      "/usr/bin/containerd-shim-runc-v2",
      true,
    ],
    [
      "another parent that is no reaper: an earlier holder of the pid",
      image(900, T, { sessionId: "7" }),
      image(811, T + 100, { sessionId: "7" }),
      "/usr/bin/bash",
      false,
    ],
    ["another parent, unknown: not taken for a reaper", image(900, T), image(811, T + 100), undefined, false],
    [
      "another login session: an earlier holder of the pid",
      image(40, T, { sessionId: "3" }),
      image(40, T + 500, { sessionId: "4" }),
      undefined,
      false,
    ],
    [
      "re-parented to init, another session",
      image(40, T, { sessionId: "3" }),
      image(1, T + 500, { sessionId: "4" }),
      undefined,
      false,
    ],
    [
      "from unset to a session: a login exec'd in the same process",
      image(40, T, { sessionId: UNSET_SESSION }),
      image(40, T + 500, { sessionId: "9" }),
      undefined,
      true,
    ],
    [
      "the same start time, whatever the parent",
      image(900, T, { start: T - 50 }),
      image(811, T + 100, { start: T - 50 }),
      "/usr/bin/bash",
      true,
    ],
    [
      "another start time",
      image(40, T, { start: T - 50 }),
      image(40, T + 100, { start: T - 10 }),
      undefined,
      false,
    ],
    [
      "an image from before the later one's start",
      image(40, T),
      image(40, T + 100, { start: T + 10 }),
      undefined,
      false,
    ],
    ["exec'd after the later image: not an earlier one", image(40, T + 100), image(40, T), undefined, false],
    [
      "one millisecond, ordered by the audit serial",
      image(40, T, { seq: 331 }),
      image(40, T, { seq: 338 }),
      undefined,
      true,
    ],
    [
      "one millisecond, serials the wrong way",
      image(40, T, { seq: 338 }),
      image(40, T, { seq: 331 }),
      undefined,
      false,
    ],
  ])("%s → %s", (_name, earlier, later, parent, expected) => {
    expect(sameProcess(earlier, later, parent)).toBe(expected);
  });
});
