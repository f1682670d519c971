import fc from "fast-check";

type Path = (string | number)[];

/** Every path into a JSON value, so that a mutation can land anywhere in it. */
export function pathsOf(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (typeof value === "object" && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const path = [...prefix, Array.isArray(value) ? Number(key) : key];
      out.push(path);
      pathsOf(child, path, out);
    }
  }
  return out;
}

/** A deep copy of `fixture` with the value at `path` replaced by `junk`, or removed. */
export function mutateAt(fixture: unknown, path: Path, junk: unknown, remove: boolean): unknown {
  const copy = JSON.parse(JSON.stringify(fixture)) as Record<string | number, unknown>;
  let owner = copy;
  for (const key of path.slice(0, -1)) owner = owner[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove) delete owner[last];
  else owner[last] = junk;
  return copy;
}

/**
 * Property: whatever field of `fixture` holds anything (or is missing), `decode` returns one of the decode
 * outcomes and never throws.
 */
export function assertSurvivesMutations(
  fixture: unknown,
  decode: (value: unknown) => { kind: string },
  numRuns = 500,
) {
  const paths = pathsOf(fixture);
  fc.assert(
    fc.property(fc.constantFrom(...paths), fc.anything(), fc.boolean(), (path, junk, remove) => {
      const { kind } = decode(mutateAt(fixture, path, junk, remove));
      if (kind !== "event" && kind !== "skipped" && kind !== "malformed")
        throw new Error(`unexpected outcome ${kind}`);
    }),
    { numRuns },
  );
}
