import type { Alert, AlertAncestor, AlertImage } from "./alert.js";

/**
 * Evidence first: how an alert is cut to fit a transport (lib/alerts/sns-message.ts: SNS's 256 KB). The
 * evidence is what the verdict found (`location`, `matches`: the suspicious paths and the depth of the
 * ancestor each is in), the ancestors that lead from the utility to the deepest of them, and the utility's
 * own command line. What matters least goes first:
 *
 * 1. strings longer than PATH_MAX, then the utility's working directory;
 * 2. long args: ancestors' sooner than the utility's, those of ancestors holding no match sooner than theirs;
 * 3. earlier images of ancestors that hold no match;
 * 4. ancestors past the deepest match: the farthest first, the top (the root of the tree) kept as long as
 *    anything past the match is;
 * 5. the detail of the ancestors leading to it that hold no match: each keeps its pid, executable and script;
 * 6. a floor for absurd input: shorter strings, fewer of the utility's earlier images and matches.
 *
 * An ancestor leading to a match is never removed, so each one's position still says its depth (format-text
 * marks the tree by it). Only past the floor, for more ancestors than lineage ever holds (MAX_DEPTH), do those
 * holding no match go (evidenceOnly).
 */

interface ArgsCap {
  /** Characters kept per argument. */
  readonly chars: number;
  /** Arguments kept per list, the last slot then saying how many were dropped. */
  readonly count: number;
}

interface AlertCut {
  /** Characters of every other string from telemetry (host, paths, user, ids). */
  readonly fields: number;
  /** Characters of the utility's working directory. */
  readonly cwd: number;
  /** The utility's own argv (and its earlier images'): its head names what it reached for. */
  readonly processArgs?: ArgsCap;
  /** Args of the ancestors holding a match: how the suspicious file was run. */
  readonly evidenceArgs?: ArgsCap;
  /** Args of every other ancestor. */
  readonly ancestorArgs?: ArgsCap;
  /** Earlier images of ancestors: all, or only of those holding a match. */
  readonly chains?: "evidence";
  /** Ancestors past the deepest match: as many of the nearest as fit, and the top. */
  readonly tail?: "fit";
  /**
   * Ancestors leading to a match but holding none: pid, program name, and executable and script cut to this
   * many characters.
   */
  readonly slim?: number;
  /** At most this many of the utility's earlier images and of matches (the location stays in `location`). */
  readonly floor?: number;
  /**
   * Past everything (only for more ancestors than lineage ever holds, MAX_DEPTH): of those leading to a match
   * only the parent and the ones holding one stay. Positions then no longer say depths: the text's depth
   * marks may miss or land off; `matches` still says each depth.
   */
  readonly evidenceOnly?: true;
}

const PATH_MAX = 4096;
const ARGS_4K: ArgsCap = { chars: 4096, count: 128 };
const ARGS_1K: ArgsCap = { chars: 1024, count: 64 };
const ARGS_256: ArgsCap = { chars: 256, count: 32 };
/** The program and its first arguments. */
const ARGS_HEAD: ArgsCap = { chars: 64, count: 3 };
const ARGV0: ArgsCap = { chars: 32, count: 2 };

/**
 * Tried in order until the alert fits; each one keeps at most what the one before kept: written as what it
 * tightens over the one before.
 */
const CUTS: readonly AlertCut[] = ladder({ fields: PATH_MAX, cwd: PATH_MAX }, [
  { cwd: 256 },
  { processArgs: ARGS_4K, evidenceArgs: ARGS_4K, ancestorArgs: ARGS_4K },
  { processArgs: ARGS_1K, evidenceArgs: ARGS_1K, ancestorArgs: ARGS_1K },
  { ancestorArgs: ARGS_256 },
  { chains: "evidence" },
  { evidenceArgs: ARGS_256, ancestorArgs: ARGS_HEAD },
  { tail: "fit" },
  { cwd: 64, processArgs: ARGS_256, evidenceArgs: ARGS_HEAD, ancestorArgs: ARGV0, slim: 64, floor: 64 },
  { fields: 256, processArgs: { chars: 256, count: 16 }, floor: 32 },
  { fields: 64, processArgs: { chars: 128, count: 4 }, floor: 8 },
  { slim: 8 },
  { evidenceOnly: true },
]);

/** The first cut, then each step applied over the cut before it. */
function ladder(first: AlertCut, steps: readonly Partial<AlertCut>[]): AlertCut[] {
  const cuts = [first];
  for (const step of steps) cuts.push({ ...cuts.at(-1)!, ...step });
  return cuts;
}

/**
 * The first cut of `alert` that `fits` (the caller renders and measures it), or the smallest when none does
 * (only a limit far below any transport's gets there). Each cut starts from the alert as built, so that a
 * string is cut once and its marker is exact.
 */
export function fitAlert(alert: Alert, fits: (candidate: Alert) => boolean): Alert {
  const evidence = evidenceOf(alert);
  let last = alert;
  for (const cut of CUTS) {
    const [trimmed, lead] = cutAlert(alert, cut, evidence);
    if (cut.tail === "fit") {
      const kept = withTail(trimmed, lead, fits);
      if (kept !== undefined) return kept;
      last = { ...trimmed, ancestors: trimmed.ancestors.slice(0, lead) };
    } else {
      if (fits(trimmed)) return trimmed;
      last = trimmed;
    }
  }
  return last;
}

interface Evidence {
  /** Ancestors leading from the utility to the deepest match (its depth): never removed. */
  readonly lead: number;
  /** Indices in `ancestors` of those holding a match. */
  readonly holders: ReadonlySet<number>;
}

function evidenceOf(alert: Alert): Evidence {
  const holders = new Set<number>();
  for (const m of [alert.location, ...alert.matches]) {
    if (Number.isInteger(m.depth) && m.depth >= 1 && m.depth <= alert.ancestors.length)
      holders.add(m.depth - 1);
  }
  return { lead: holders.size === 0 ? 0 : Math.max(...holders) + 1, holders };
}

/**
 * The alert with the most ancestors past the lead that fits: the nearest of them and, while any stays, the
 * top. Undefined when not even the lead alone fits. Monotonic (fewer never grows): a binary search over
 * [none, top only, nearest 1 and top, …, all].
 */
function withTail(alert: Alert, lead: number, fits: (candidate: Alert) => boolean): Alert | undefined {
  const head = alert.ancestors.slice(0, lead);
  const tail = alert.ancestors.slice(lead);
  const top = tail.at(-1);
  const candidate = (j: number): Alert => {
    if (j === 0 || top === undefined) return { ...alert, ancestors: head };
    const nearest = j - 1;
    const kept = nearest >= tail.length - 1 ? tail : [...tail.slice(0, nearest), top];
    return { ...alert, ancestors: [...head, ...kept] };
  };
  const all = candidate(tail.length);
  if (fits(all)) return all;
  let best = candidate(0);
  if (!fits(best)) return undefined;
  let low = 0;
  let high = tail.length - 1;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    const attempt = candidate(mid);
    if (fits(attempt)) {
      low = mid;
      best = attempt;
    } else high = mid - 1;
  }
  return best;
}

/** The alert cut, and how many of its ancestors now lead to the deepest match. */
function cutAlert(alert: Alert, cut: AlertCut, evidence: Evidence): [Alert, number] {
  const text = (s: string) => cutText(s, cut.fields);
  const nullable = (s: string | null) => (s === null ? null : text(s));
  const user = (u: { id: string | null; name: string | null }) => ({
    id: nullable(u.id),
    name: nullable(u.name),
  });
  const image = <T extends AlertImage>(img: T, args: ArgsCap | undefined): T => ({
    ...img,
    executable: text(img.executable),
    script: nullable(img.script),
    args: args === undefined ? img.args : capArgs(img.args, args),
  });
  const processArgs = (args: string[]) =>
    cut.processArgs === undefined ? args : capArgs(args, cut.processArgs);

  const ancestor = (a: AlertAncestor, i: number): AlertAncestor => {
    const holds = evidence.holders.has(i);
    if (cut.slim !== undefined && !holds && i < evidence.lead) {
      const max = Math.min(cut.slim, cut.fields);
      return {
        ...image(a, ARGV0),
        executable: cutText(a.executable, max),
        script: a.script === null ? null : cutText(a.script, max),
        user: null,
        execChain: [],
      };
    }
    const args = holds ? cut.evidenceArgs : cut.ancestorArgs;
    return {
      ...image(a, args),
      user: a.user === null ? null : user(a.user),
      execChain: cut.chains === "evidence" && !holds ? [] : a.execChain.map((img) => image(img, args)),
    };
  };
  let ancestors = alert.ancestors.map(ancestor);
  let lead = evidence.lead;
  if (cut.evidenceOnly) {
    const kept = (i: number) => i === 0 || evidence.holders.has(i) || i >= evidence.lead;
    ancestors = ancestors.filter((_, i) => kept(i));
    lead = alert.ancestors.slice(0, evidence.lead).filter((_, i) => kept(i)).length;
  }

  const floor = cut.floor ?? Number.POSITIVE_INFINITY;
  const out: Alert = {
    ...alert,
    host: { name: text(alert.host.name), id: nullable(alert.host.id) },
    container:
      alert.container === null
        ? null
        : { id: text(alert.container.id), image: nullable(alert.container.image) },
    user: user(alert.user),
    process: {
      ...alert.process,
      executable: text(alert.process.executable),
      args: processArgs(alert.process.args),
      cwd: alert.process.cwd === null ? null : cutText(alert.process.cwd, Math.min(cut.cwd, cut.fields)),
      invokedPath: nullable(alert.process.invokedPath),
      execChain: alert.process.execChain.slice(0, floor).map((img) => image(img, cut.processArgs)),
    },
    utility: { ...alert.utility, name: text(alert.utility.name), args: processArgs(alert.utility.args) },
    location: { ...alert.location, path: text(alert.location.path) },
    matches: alert.matches.slice(0, floor).map((m) => ({ ...m, path: text(m.path) })),
    ancestors,
    dedup: { ...alert.dedup, key: text(alert.dedup.key) },
    source: { ...alert.source, eventId: text(alert.source.eventId) },
  };
  return [out, lead];
}

/**
 * Characters of the strings from telemetry an alert holds: a lower bound of its JSON's length, counted
 * without writing megabytes of JSON for a cut that cannot fit.
 */
export function alertCharacters(alert: Alert): number {
  let n = alert.host.name.length + (alert.process.cwd?.length ?? 0) + alert.dedup.key.length;
  const image = (img: AlertImage) => {
    n += img.executable.length + (img.script?.length ?? 0);
    for (const arg of img.args) n += arg.length;
  };
  for (const arg of alert.process.args) n += arg.length;
  for (const arg of alert.utility.args) n += arg.length;
  for (const img of alert.process.execChain) image(img);
  for (const m of alert.matches) n += m.path.length;
  for (const a of alert.ancestors) {
    image(a);
    for (const img of a.execChain) image(img);
  }
  return n;
}

/** Cut with the same visible marker as escapeAndTruncate, never splitting a surrogate pair. */
function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, end)}…[+${text.length - end} chars]`;
}

function capArgs(args: readonly string[], cap: ArgsCap): string[] {
  const kept = args.length > cap.count ? args.slice(0, cap.count - 1) : args;
  const out = kept.map((a) => cutText(a, cap.chars));
  if (args.length > cap.count) out.push(`…[+${args.length - kept.length} args]`);
  return out;
}
