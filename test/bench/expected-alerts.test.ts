import { describe, expect, it } from "vitest";
import type { Alert } from "../../lib/alerts/alert.js";
import { checkAlerts, expectedAlerts } from "./expected-alerts.js";
import type { AttackInstance } from "./generate-telemetry.js";

const HOUR = 3_600_000;
const attack = (pid: number, time: number, extra: Partial<AttackInstance> = {}): AttackInstance => ({
  kind: "webshell-dns",
  host: "web-1",
  pid,
  time,
  utility: "nslookup",
  location: "/tmp/.x.sh",
  locationKind: "script",
  ...extra,
});
const alertOf = (a: AttackInstance, location = a.location): Alert =>
  ({
    host: { name: a.host },
    process: { pid: a.pid },
    utility: { name: a.utility },
    location: { path: location, kind: a.locationKind },
  }) as unknown as Alert;

describe("expectedAlerts", () => {
  it("a window hides the repeats of its key for an hour from its first alert, not from the last repeat", () => {
    const attacks = [attack(1, 0), attack(2, HOUR - 1), attack(3, HOUR), attack(4, HOUR + 10)];
    const { alerting, deduplicated } = expectedAlerts(attacks, HOUR);
    expect(alerting.map((a) => a.pid)).toEqual([1, 3]);
    expect(deduplicated.map((a) => a.pid)).toEqual([2, 4]);
  });

  it("keys differ by host, container, utility and location", () => {
    const attacks = [
      attack(1, 0),
      attack(2, 1, { host: "web-2" }),
      attack(3, 2, { container: "c1" }),
      attack(4, 3, { utility: "dig" }),
      attack(5, 4, { location: "/tmp/.y.sh" }),
    ];
    expect(expectedAlerts(attacks, HOUR).deduplicated).toEqual([]);
  });
});

describe("checkAlerts", () => {
  const attacks = [attack(1, 0), attack(2, 10), attack(3, 2 * HOUR), attack(9, 5, { host: "web-2" })];

  it("the exact expected set passes", () => {
    const check = checkAlerts(
      attacks,
      [alertOf(attacks[0]!), alertOf(attacks[2]!), alertOf(attacks[3]!)],
      HOUR,
    );
    expect(check).toEqual({ missed: [], unexpected: [], wrongLocation: [], expected: 3, deduplicated: 1 });
  });

  it.each([
    ["a chain without its alert", [0, 3], { missed: ["webshell-dns on web-1 pid 3 nslookup"] }],
    [
      "an alert a window should have hidden",
      [0, 1, 2, 3],
      { unexpected: ["web-1 pid 2 nslookup ← script /tmp/.x.sh"] },
    ],
    ["the same alert twice", [0, 0, 2, 3], { unexpected: ["web-1 pid 1 nslookup ← script /tmp/.x.sh"] }],
  ])("%s fails", (_name, raised, problem) => {
    const check = checkAlerts(
      attacks,
      raised.map((i) => alertOf(attacks[i]!)),
      HOUR,
    );
    expect(check).toMatchObject({ missed: [], unexpected: [], ...problem });
  });

  it("an alert of the wrong file is reported", () => {
    const alerts = [alertOf(attacks[0]!, "/tmp/other"), alertOf(attacks[2]!), alertOf(attacks[3]!)];
    expect(checkAlerts(attacks, alerts, HOUR).wrongLocation).toEqual([
      "webshell-dns on web-1: script /tmp/other",
    ]);
  });

  it("an alert of no chain is unexpected", () => {
    const stray = alertOf(attack(77, 0, { host: "db-1", utility: "curl" }));
    const alerts = [alertOf(attacks[0]!), alertOf(attacks[2]!), alertOf(attacks[3]!), stray];
    expect(checkAlerts(attacks, alerts, HOUR).unexpected).toEqual(["db-1 pid 77 curl ← script /tmp/.x.sh"]);
  });
});

describe("tumbling windows (DynamoDbDedupStore)", () => {
  it("a window is floor(time / window): a repeat in the next window alerts again, however close", () => {
    const attacks = [attack(1, HOUR - 10), attack(2, HOUR - 5), attack(3, HOUR + 1), attack(4, 2 * HOUR - 1)];
    const { alerting, deduplicated } = expectedAlerts(attacks, HOUR, "tumbling");
    expect(alerting.map((a) => a.pid)).toEqual([1, 3]);
    expect(deduplicated.map((a) => a.pid)).toEqual([2, 4]);
    expect(expectedAlerts(attacks, HOUR).alerting.map((a) => a.pid)).toEqual([1, 4]);
  });
});
