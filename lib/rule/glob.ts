/**
 * Globs for paths and names in tuning data: `*` matches any run of characters within one path segment (not
 * `/`), `**` any run across segments, `?` one character other than `/`; everything else is literal, and the
 * glob is anchored at both ends.
 *
 * The subject is hostile (a path or a name from telemetry), so matching must not backtrack (DESIGN §7): a
 * backtracking regex for four `**` segments in a row takes minutes on a 2 KB path. The glob is a tiny NFA, one state
 * per token, simulated with a set of live states: one pass over the subject, each character touching each
 * state at most once, so the time is at most length(subject) × length(glob) whatever the glob. (A greedy
 * two-pointer wildcard matcher is linear too, but is only correct for a single kind of star.)
 */

export interface Glob {
  readonly source: string;
  test(subject: string): boolean;
}

const LITERAL = 0;
const ONE = 1; // ?
const STAR = 2; // *: any run without `/`
const GLOBSTAR = 3; // **: any run

const SLASH = 47;

/**
 * `below`: the glob names a directory, and also matches everything under what it matches (`/home/*` matches
 * `/home/alice/bin/x`): a match followed by `/` and anything. The same as `glob` or `glob/**`, in one pass.
 */
export function compileGlob(source: string, options: { below?: boolean } = {}): Glob {
  const below = options.below === true;
  const kinds: number[] = [];
  const chars: number[] = [];
  for (let i = 0; i < source.length; i++) {
    const ch = source.charCodeAt(i);
    if (ch === 42 /* * */) {
      if (source.charCodeAt(i + 1) === 42) {
        kinds.push(GLOBSTAR);
        i++;
      } else {
        kinds.push(STAR);
      }
      chars.push(0);
    } else if (ch === 63 /* ? */) {
      kinds.push(ONE);
      chars.push(0);
    } else {
      kinds.push(LITERAL);
      chars.push(ch);
    }
  }
  if (!kinds.some((k) => k !== LITERAL)) {
    const directory = `${source}/`;
    return {
      source,
      test: below
        ? (subject) => subject === source || subject.startsWith(directory)
        : (subject) => subject === source,
    };
  }
  const kind = Uint8Array.from(kinds);
  const char = Uint16Array.from(chars);
  // The literal head every match starts with (`/tmp/` of `/tmp/**`): most subjects fail on it at once.
  let head = 0;
  while (kinds[head] === LITERAL) head++;
  const prefix = source.slice(0, head);
  // The state sets, made once per glob (a test runs to its end without yielding: nothing else uses them).
  const states = { live: new Uint8Array(kind.length + 1), next: new Uint8Array(kind.length + 1) };
  return {
    source,
    test: (subject) => subject.startsWith(prefix) && simulate(kind, char, below, subject, states),
  };
}

/**
 * State `s` means "tokens 0..s-1 have consumed the subject so far"; state `n` (past the last token) accepts.
 * A star state loops on the characters it may take and also lets the next state start without consuming one.
 */
function simulate(
  kind: Uint8Array,
  char: Uint16Array,
  below: boolean,
  subject: string,
  states: { live: Uint8Array; next: Uint8Array },
): boolean {
  const n = kind.length;
  let { live, next } = states;
  live.fill(0);
  enter(kind, live, 0);
  for (let i = 0; i < subject.length; i++) {
    const ch = subject.charCodeAt(i);
    if (below && ch === SLASH && live[n] === 1) return true;
    next.fill(0);
    let any = false;
    for (let s = 0; s < n; s++) {
      if (live[s] === 0) continue;
      const k = kind[s];
      if (k === GLOBSTAR || (k === STAR && ch !== SLASH)) {
        enter(kind, next, s);
        any = true;
      } else if ((k === LITERAL && char[s] === ch) || (k === ONE && ch !== SLASH)) {
        enter(kind, next, s + 1);
        any = true;
      }
    }
    // No live state left: nothing further in the subject can match.
    if (!any) return false;
    const swap = live;
    live = next;
    next = swap;
  }
  return live[n] === 1;
}

/**
 * Marks `s` live, and through a run of stars the states after it (a star may match nothing). A state already
 * live had its run marked when it was entered, so each state is marked once per character: this keeps a glob
 * made of hundreds of stars linear too.
 */
function enter(kind: Uint8Array, states: Uint8Array, s: number): void {
  for (let t = s; t < states.length && states[t] === 0; t++) {
    states[t] = 1;
    if (t === kind.length || (kind[t] !== STAR && kind[t] !== GLOBSTAR)) return;
  }
}
