import { makeCloudWatchLogsHandler } from "../lib/triggers/cloudwatch-logs-trigger.js";
import { wireDetection } from "../lib/wiring.js";

// Composition root: config validated and clients built once per container, at cold start.
export const handler = makeCloudWatchLogsHandler(wireDetection(process.env));
