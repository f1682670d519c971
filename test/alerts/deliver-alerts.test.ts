import { describe, expect, it } from "vitest";
import type { Alert } from "../../lib/alerts/alert.js";
import { deliverAlerts } from "../../lib/alerts/deliver-alerts.js";
import {
  type ClaimResult,
  type DeliveryClaims,
  MemoryDeliveryClaims,
} from "../../lib/alerts/delivery-claims.js";
import { DetectorError } from "../../lib/errors.js";

const alert = (id: string) => ({ id }) as Alert;
const throttled = () => new DetectorError("SNS publish failed: ThrottlingException", { retryable: true });

/** A clock that sleeping moves forward, so waits take no real time. */
function clock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
}

function limits(c: ReturnType<typeof clock>, budget = 10_000) {
  return { now: c.now, sleep: c.sleep, deadline: c.now() + budget, leaseUntil: (at: number) => at + 35_000 };
}

function recordingPublisher(failures: Record<string, number> = {}) {
  const published: string[] = [];
  return {
    published,
    publish: async (a: Alert) => {
      if ((failures[a.id] ?? 0) > 0) {
        failures[a.id]!--;
        throw throttled();
      }
      published.push(a.id);
    },
  };
}

describe("deliverAlerts", () => {
  it("publishes each alert once, in order, and marks it; a second delivery finds them posted", async () => {
    const c = clock();
    const claims = new MemoryDeliveryClaims(c.now);
    const publisher = recordingPublisher();
    const items = [
      { alert: alert("a"), unit: 0 },
      { alert: alert("b"), unit: 3 },
    ];
    expect(await deliverAlerts(items, { publisher, claims }, limits(c))).toMatchObject({
      alreadyDelivered: 0,
      unmarked: [],
    });
    const again = await deliverAlerts(items, { publisher, claims }, limits(c));
    expect(again).toMatchObject({ published: [], alreadyDelivered: 2, unmarked: [] });
    expect(again.failed).toBeUndefined();
    expect(publisher.published).toEqual(["a", "b"]);
  });

  it("a failed publish fails from its unit, releases the claim, and tries nothing after it", async () => {
    const c = clock();
    const claims = new MemoryDeliveryClaims(c.now);
    const publisher = recordingPublisher({ b: 1 });
    const items = [
      { alert: alert("a"), unit: 0 },
      { alert: alert("b"), unit: 4 },
      { alert: alert("c"), unit: 9 },
    ];
    const first = await deliverAlerts(items, { publisher, claims }, limits(c));
    expect(first.failed).toMatchObject({ unit: 4, error: { retryable: true } });
    expect(publisher.published).toEqual(["a"]);
    // The redelivery (from unit 4) claims b at once: the failed attempt released it.
    const retry = await deliverAlerts(items.slice(1), { publisher, claims }, limits(c));
    expect(retry.failed).toBeUndefined();
    expect(publisher.published).toEqual(["a", "b", "c"]);
  });

  it("published but the mark fails after its retries: reported unmarked, not failed", async () => {
    const c = clock();
    const memory = new MemoryDeliveryClaims(c.now);
    let markCalls = 0;
    const claims: DeliveryClaims = {
      claim: (id, lease) => memory.claim(id, lease),
      release: (id, token) => memory.release(id, token),
      markPosted: async () => {
        markCalls++;
        throw new DetectorError("DynamoDB PutItem failed: ThrottlingException", { retryable: true });
      },
    };
    const publisher = recordingPublisher();
    const report = await deliverAlerts([{ alert: alert("a"), unit: 2 }], { publisher, claims }, limits(c));
    expect(report.failed).toBeUndefined();
    expect(report.unmarked.map((u) => u.alert.id)).toEqual(["a"]);
    expect(markCalls).toBe(4);
    expect(publisher.published).toEqual(["a"]);
  });

  it.each<[string, (now: number) => ClaimResult[], string[], number | undefined]>([
    [
      "another invocation publishes it meanwhile: skipped",
      (now) => [{ kind: "in-flight", leaseUntil: now + 20_000 }, { kind: "posted" }],
      [],
      undefined,
    ],
    [
      "the other invocation died: its lease runs out, this one claims and publishes",
      (now) => [
        { kind: "in-flight", leaseUntil: now + 500 },
        { kind: "claimed", token: "t" },
      ],
      ["a"],
      undefined,
    ],
    [
      "still in flight at the deadline: the unit fails, for a redelivery",
      (now) => Array.from({ length: 100 }, () => ({ kind: "in-flight", leaseUntil: now + 60_000 }) as const),
      [],
      7,
    ],
  ])("in flight elsewhere, %s", async (_name, answers, published, failedUnit) => {
    const c = clock();
    const script = answers(c.now());
    const claims: DeliveryClaims = {
      claim: async () => script.shift()!,
      release: async () => {},
      markPosted: async () => {},
    };
    const publisher = recordingPublisher();
    const report = await deliverAlerts(
      [{ alert: alert("a"), unit: 7 }],
      { publisher, claims },
      limits(c, 3_000),
    );
    expect(publisher.published).toEqual(published);
    expect(report.failed?.unit).toBe(failedUnit);
    if (failedUnit !== undefined) expect(c.now()).toBeLessThanOrEqual(1_000_000 + 3_000);
  });
});
