import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DetectorError } from "../../lib/errors.js";
import { parseRetryAfter, WebhookPoster, type WebhookPosterOptions } from "../../lib/slack/webhook-poster.js";
import { startWebhookServer, type WebhookServer } from "../helpers/webhook-server.js";

/**
 * The poster against a real HTTP server on 127.0.0.1 standing in for the Slack webhook. Waits are injected
 * (recorded, not slept), so nothing here asserts on timing; only the per-attempt timeout runs for real.
 */
let hook: WebhookServer;
const errors: DetectorError[] = [];

beforeAll(async () => {
  hook = await startWebhookServer();
});
afterAll(async () => {
  await hook.close();
});
afterEach(() => {
  hook.requests.length = 0;
  hook.accepted.length = 0;
  hook.respond(() => ({ status: 200, body: "ok" }));
});

const payload = {
  text: "[HIGH] curl run from /dev/shm/.x on vm",
  blocks: [
    { type: "section", text: { type: "mrkdwn", text: "`<!channel>` \u00e9 \u{1f6a8}", verbatim: true } },
  ],
};

function poster(options: WebhookPosterOptions = {}) {
  const sleeps: number[] = [];
  const p = new WebhookPoster({
    timeoutMs: 2_000,
    maxAttempts: 3,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    backoff: { random: () => 0.5 },
    ...options,
  });
  return { poster: p, sleeps };
}

async function postError(p: WebhookPoster, url = hook.url, deadline?: number): Promise<DetectorError> {
  const error = await p.post(url, payload, deadline === undefined ? {} : { deadline }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DetectorError);
  errors.push(error as DetectorError);
  return error as DetectorError;
}

describe("WebhookPoster", () => {
  it("posts the payload as JSON: exact body, content type, method and path", async () => {
    const { poster: p, sleeps } = poster();
    await p.post(hook.url, payload);
    expect(hook.requests).toHaveLength(1);
    const [request] = hook.requests;
    expect(request!.method).toBe("POST");
    expect(request!.path).toBe(`/services/${hook.token}`);
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(request!.body).toBe(JSON.stringify(payload));
    expect(JSON.parse(request!.body)).toEqual(payload);
    expect(sleeps).toEqual([]);
  });

  it("429 with Retry-After: 1 waits the full second, then posts", async () => {
    hook.respond((_, n) =>
      n === 1
        ? { status: 429, body: "rate_limited", headers: { "retry-after": "1" } }
        : { status: 200, body: "ok" },
    );
    const { poster: p, sleeps } = poster();
    await p.post(hook.url, payload);
    expect(sleeps).toEqual([1_000]);
    expect(hook.requests).toHaveLength(2);
    expect(hook.accepted).toHaveLength(1);
  });

  it("429 asking for more than the cap fails at once, retryable (Lambda's retry a minute later honours it)", async () => {
    hook.respond(() => ({ status: 429, body: "rate_limited", headers: { "retry-after": "30" } }));
    const { poster: p, sleeps } = poster({ maxRetryAfterMs: 10_000 });
    const error = await postError(p);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/rate limited for 30 s/);
    expect(sleeps).toEqual([]);
    expect(hook.requests).toHaveLength(1);
  });

  it("500 then success: one jittered backoff, then posted", async () => {
    hook.respond((_, n) => (n === 1 ? { status: 500, body: "internal_error" } : { status: 200, body: "ok" }));
    const { poster: p, sleeps } = poster();
    await p.post(hook.url, payload);
    // backoffDelay(1) with random 0.5 and a 200 ms base.
    expect(sleeps).toEqual([100]);
    expect(hook.requests).toHaveLength(2);
    expect(hook.requests[1]!.body).toBe(JSON.stringify(payload));
  });

  it("500 forever: a retryable DetectorError after maxAttempts attempts", async () => {
    hook.respond(() => ({ status: 503, body: "service_unavailable" }));
    const { poster: p, sleeps } = poster({ maxAttempts: 3 });
    const error = await postError(p);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/failed after 3 attempts: HTTP 503: service_unavailable/);
    expect(error.context).toMatchObject({ attempts: 3, status: 503 });
    expect(hook.requests).toHaveLength(3);
    expect(sleeps).toEqual([100, 200]);
  });

  it("a server that never answers: each attempt times out, then a retryable error", async () => {
    hook.respond(() => ({ hang: true }));
    const { poster: p } = poster({ timeoutMs: 300, maxAttempts: 2 });
    const error = await postError(p);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/failed after 2 attempts: timed out after 300 ms/);
    expect(hook.requests).toHaveLength(2);
  });

  it("a refused connection is a network error: retried, then retryable", async () => {
    const closed = await startWebhookServer();
    await closed.close();
    const { poster: p, sleeps } = poster({ maxAttempts: 2 });
    const error = await postError(p, closed.url);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(sleeps).toHaveLength(1);
  });

  it.each([
    [404, "no_service"],
    [403, "invalid_token"],
    [410, "channel_is_archived"],
    [400, "invalid_blocks"],
  ])("HTTP %i %s: not retryable, Slack's answer in the message, one request", async (status, body) => {
    hook.respond(() => ({ status, body }));
    const { poster: p, sleeps } = poster();
    const error = await postError(p);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(`rejected: HTTP ${status}: ${body}`);
    expect(error.context).toMatchObject({ status, attempts: 1 });
    expect(hook.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("a hostile answer is escaped and capped, and the URL it echoes is redacted", async () => {
    hook.respond((request) => ({
      status: 400,
      body: `bad \u001b[31mred\u202e ${request.path} ${hook.url} ${"x".repeat(5_000)}`,
    }));
    const error = await postError(poster().poster);
    expect(error.message).toContain("\\x1b[31mred\\u202e");
    expect(error.message).toContain("[webhook]");
    expect(error.message.length).toBeLessThan(600);
  });

  it("does not start an attempt, nor sleep, past the deadline: retryable", async () => {
    hook.respond(() => ({ status: 500, body: "internal_error" }));
    const now = 1_000_000;
    const { poster: p, sleeps } = poster({ now: () => now });
    // Room for one attempt, not for a backoff and a second one.
    const error = await postError(p, hook.url, now + 300);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/no time left to retry before the deadline/);
    expect(hook.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);

    const late = await postError(p, hook.url, now + 100);
    expect(late.message).toMatch(/no time left for attempt 1/);
    expect(hook.requests).toHaveLength(1);
  });

  it("a Retry-After past the deadline fails at once instead of waiting", async () => {
    hook.respond(() => ({ status: 429, body: "rate_limited", headers: { "retry-after": "5" } }));
    const now = 1_000_000;
    const { poster: p, sleeps } = poster({ now: () => now });
    const error = await postError(p, hook.url, now + 3_000);
    expect(error.retryable).toBe(true);
    expect(sleeps).toEqual([]);
  });

  it("never shows the webhook URL or its secret path in an error", () => {
    expect(errors.length).toBeGreaterThan(5);
    for (const error of errors) {
      const shown = [
        error.message,
        JSON.stringify(error.context),
        String(error.cause ?? ""),
        error.stack ?? "",
      ].join("\n");
      expect(shown).not.toContain(hook.token);
      expect(shown).not.toContain("/services/");
      expect(shown).toContain("http://127.0.0.1:");
    }
  });
});

describe("parseRetryAfter", () => {
  it.each([
    ["1", 1_000],
    [" 30 ", 30_000],
    ["0", 0],
    ["Thu, 01 Jan 1970 00:00:05 GMT", 5_000],
    ["soon", undefined],
    ["-1", undefined],
    ["1.5", undefined],
  ])("%j → %j ms", (value, expected) => {
    expect(parseRetryAfter(value, 0)).toBe(expected);
  });

  it("absent: undefined", () => {
    expect(parseRetryAfter(null, 0)).toBeUndefined();
  });
});
