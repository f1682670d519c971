import type { Cut } from "../helpers/cut-harness.js";
import { sweep } from "../helpers/cut-sweep.js";

/**
 * Every telemetry sample the repository holds, through the built CloudWatch Logs bundle, in envelopes of 1, 5
 * and 50 lines, in order and shuffled (fixed seeds): the same alert ids, utilities and locations as the CLI,
 * each published once. Shuffled, a dedup window may open with another of its alerts than in the stream's order
 * (test/helpers/cut-harness.ts windowDifference). A failure names the sample, the cut and what differs.
 */
sweep(
  "the CloudWatch Logs bundle gives the CLI's alerts, in whatever envelopes and order",
  [1, 5, 50].flatMap((envelope): Cut[] => [
    { kind: "cloudwatch", envelope, shuffled: false },
    { kind: "cloudwatch", envelope, shuffled: true, seed: envelope * 7 },
  ]),
);
