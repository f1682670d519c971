/**
 * The alerts a bench run must raise, from the generator's ground truth alone: every attack chain alerts
 * unless an earlier chain of the same dedup key (host, container, utility, location) opened a window that
 * still covers it (the pipeline under test never tells us which it suppressed). Windows as the store that
 * ran counts them: `sliding` as MemoryDedupStore (a window opens at its first alert and lasts windowMs),
 * `tumbling` as DynamoDbDedupStore (fixed windows, floor(time / windowMs), opened by their first sighting).
 */
import type { Alert } from "../../lib/alerts/alert.js";
import type { AttackInstance } from "./generate-telemetry.js";

const dedupKeyOf = (a: AttackInstance) => `${a.host}|${a.container ?? "-"}|${a.utility}|${a.location}`;
const attackKey = (host: string, pid: number, utility: string) => `${host}|${pid}|${utility}`;

export type DedupWindows = "sliding" | "tumbling";

/** The chains that must alert and those a window hides, in time order. */
export function expectedAlerts(
  attacks: readonly AttackInstance[],
  windowMs: number,
  windows: DedupWindows = "sliding",
): { alerting: AttackInstance[]; deduplicated: AttackInstance[] } {
  const opened = new Map<string, number>();
  const alerting: AttackInstance[] = [];
  const deduplicated: AttackInstance[] = [];
  for (const attack of [...attacks].sort((a, b) => a.time - b.time)) {
    const key =
      windows === "sliding"
        ? dedupKeyOf(attack)
        : `${dedupKeyOf(attack)}|${Math.floor(attack.time / windowMs)}`;
    const since = opened.get(key);
    if (
      since !== undefined &&
      (windows === "tumbling" || (attack.time >= since && attack.time - since < windowMs))
    ) {
      deduplicated.push(attack);
    } else {
      opened.set(key, attack.time);
      alerting.push(attack);
    }
  }
  return { alerting, deduplicated };
}

export interface AlertCheck {
  /** Chains that had to alert and did not, as `kind on host pid utility`. */
  readonly missed: string[];
  /** Alerts no chain accounts for, or that a dedup window should have hidden. */
  readonly unexpected: string[];
  /** Alerts of the right chain that name another file than the one the chain planted. */
  readonly wrongLocation: string[];
  readonly expected: number;
  readonly deduplicated: number;
}

/** The run's alerts against the ground truth: each expected chain exactly once, nothing else. */
export function checkAlerts(
  attacks: readonly AttackInstance[],
  alerts: readonly Alert[],
  windowMs: number,
  windows: DedupWindows = "sliding",
): AlertCheck {
  const { alerting, deduplicated } = expectedAlerts(attacks, windowMs, windows);
  const raised = new Map<string, Alert[]>();
  for (const alert of alerts) {
    const key = attackKey(alert.host.name, alert.process.pid, alert.utility.name);
    raised.set(key, [...(raised.get(key) ?? []), alert]);
  }
  const missed: string[] = [];
  const wrongLocation: string[] = [];
  const accounted = new Set<Alert>();
  for (const attack of alerting) {
    const [alert] = raised.get(attackKey(attack.host, attack.pid, attack.utility)) ?? [];
    if (alert === undefined || accounted.has(alert)) {
      missed.push(`${attack.kind} on ${attack.host} pid ${attack.pid} ${attack.utility}`);
      continue;
    }
    accounted.add(alert);
    if (alert.location.path !== attack.location || alert.location.kind !== attack.locationKind)
      wrongLocation.push(`${attack.kind} on ${attack.host}: ${alert.location.kind} ${alert.location.path}`);
  }
  const unexpected = alerts
    .filter((a) => !accounted.has(a))
    .map(
      (a) => `${a.host.name} pid ${a.process.pid} ${a.utility.name} ← ${a.location.kind} ${a.location.path}`,
    );
  return { missed, unexpected, wrongLocation, expected: alerting.length, deduplicated: deduplicated.length };
}
