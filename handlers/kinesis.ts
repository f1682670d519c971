import { makeKinesisHandler } from "../lib/triggers/kinesis-trigger.js";
import { wireDetection } from "../lib/wiring.js";

// Composition root: config validated and clients built once per container, at cold start.
export const handler = makeKinesisHandler(wireDetection(process.env));
