import { describe, expect, it } from "vitest";
import type { Alert } from "../../lib/alerts/alert.js";
import { deliverAlerts, MAX_CONCURRENT_DELIVERIES } from "../../lib/alerts/deliver-alerts.js";
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

  it("a failed publish fails from its unit, releases the claim, and starts nothing after it", async () => {
    const c = clock();
    const claims = new MemoryDeliveryClaims(c.now);
    const publisher = recordingPublisher({ b: 1 });
    // More alerts than run at once: those in flight when b fails finish, no later one starts.
    const ids = ["a", "b", ...Array.from({ length: 3 * MAX_CONCURRENT_DELIVERIES }, (_, i) => `x${i}`)];
    const items = ids.map((id, i) => ({ alert: alert(id), unit: i * 2 }));
    const first = await deliverAlerts(items, { publisher, claims }, limits(c));
    expect(first.failed).toMatchObject({ unit: 2, error: { retryable: true } });
    // Those in flight when b failed went out; the rest of the batch did not start.
    const went = publisher.published.length;
    expect(publisher.published).toEqual(ids.filter((id) => id !== "b").slice(0, went));
    expect(went).toBeLessThan(2 * MAX_CONCURRENT_DELIVERIES);
    // The redelivery (from unit 2) claims b at once: the failed attempt released it; those of later units
    // that went out are found posted.
    const retry = await deliverAlerts(items.slice(1), { publisher, claims }, limits(c));
    expect(retry.failed).toBeUndefined();
    expect(retry.alreadyDelivered).toBe(went - 1);
    expect([...publisher.published].sort()).toEqual([...ids].sort());
  });

  it("alerts go out concurrently, never more than the bound at once", async () => {
    const c = clock();
    const claims = new MemoryDeliveryClaims(c.now);
    let inFlight = 0;
    let most = 0;
    const publisher = {
      publish: async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2));
        inFlight--;
      },
    };
    const items = Array.from({ length: 40 }, (_, i) => ({ alert: alert(`a${i}`), unit: i }));
    const report = await deliverAlerts(items, { publisher, claims }, limits(c));
    expect(report.published).toHaveLength(40);
    expect(most).toBe(MAX_CONCURRENT_DELIVERIES);
  });

  it("past the deadline nothing starts: the first alert not started fails its unit", async () => {
    const c = clock();
    const claims = new MemoryDeliveryClaims(c.now);
    const publisher = recordingPublisher();
    const items = [
      { alert: alert("a"), unit: 3 },
      { alert: alert("b"), unit: 5 },
    ];
    const report = await deliverAlerts(items, { publisher, claims }, limits(c, -1));
    expect(report.failed).toMatchObject({ unit: 3, error: { retryable: true } });
    expect(publisher.published).toEqual([]);
  });

  it("an alert the topic refuses for good is reported poisoned; the others go out, nothing fails", async () => {
    const c = clock();
    const claims = new MemoryDeliveryClaims(c.now);
    const published: string[] = [];
    const publisher = {
      publish: async (a: Alert) => {
        if (a.id === "b")
          throw new DetectorError("SNS Publish failed: InvalidParameterException", { retryable: false });
        published.push(a.id);
      },
    };
    const items = ["a", "b", "c"].map((id, i) => ({ alert: alert(id), unit: i }));
    const report = await deliverAlerts(items, { publisher, claims }, limits(c));
    expect(report.failed).toBeUndefined();
    expect(report.poisoned.map((p) => [p.alert.id, p.unit, p.error.retryable])).toEqual([["b", 1, false]]);
    expect(published.sort()).toEqual(["a", "c"]);
  });

  it("stopAt: alerts of that unit and later are left to the redelivery", async () => {
    const c = clock();
    const claims = new MemoryDeliveryClaims(c.now);
    const publisher = recordingPublisher();
    const items = ["a", "b", "c"].map((id, i) => ({ alert: alert(id), unit: i }));
    const report = await deliverAlerts(items, { publisher, claims }, limits(c), 1);
    expect(report.failed).toBeUndefined();
    expect(publisher.published).toEqual(["a"]);
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
