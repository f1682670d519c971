import { wireSlackNotifier } from "../lib/slack-wiring.js";
import { makeSlackNotifierHandler } from "../lib/triggers/slack-notifier-trigger.js";

// Composition root: config validated and clients built once per container, at cold start; the webhook URL
// itself is read from SSM on the first alert and kept for the container's life.
export const handler = makeSlackNotifierHandler(wireSlackNotifier(process.env));
