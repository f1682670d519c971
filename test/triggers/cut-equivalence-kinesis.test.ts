import { sweep } from "../helpers/cut-sweep.js";

/**
 * Every telemetry sample the repository holds, through the built Kinesis bundle, cut into batches of 1, 2, 3,
 * 7 and 100 records and at random (fixed seed): the same alert ids, utilities and locations as the CLI, each
 * published once. A failure names the sample, the cut and the alerts that differ.
 */
sweep("the Kinesis bundle gives the CLI's alerts, wherever the stream is cut", [
  { kind: "kinesis", batch: 1 },
  { kind: "kinesis", batch: 2 },
  { kind: "kinesis", batch: 3 },
  { kind: "kinesis", batch: 7 },
  { kind: "kinesis", batch: 100 },
  { kind: "kinesis", batch: "random", seed: 8 },
]);
