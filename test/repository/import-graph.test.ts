/**
 * The module graph of lib/ has no cycles, and the layers point one way: telemetry and lineage know nothing of
 * the rule, so the rule can change without touching how events are decoded or lineage is kept.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const lib = join(root, "lib");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Relative imports of every module under lib/, type-only ones included, as paths relative to lib/. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(lib)) {
    const text = readFileSync(file, "utf8");
    const targets: string[] = [];
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)\.js"/g)) {
      targets.push(relative(lib, resolve(dirname(file), `${m[1]}.ts`)));
    }
    graph.set(relative(lib, file), targets);
  }
  return graph;
}

/** Strongly connected components with more than one module, or a module importing itself (Tarjan). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!order.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, order.get(w)!));
      }
    }
    if (low.get(v) === order.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!order.has(v)) visit(v);
  return found;
}

describe("lib/ import graph", () => {
  const graph = importGraph();

  it("reads the graph (every import resolves to a module of lib/)", () => {
    expect(graph.size).toBeGreaterThan(50);
    const dangling = [...graph].flatMap(([from, to]) =>
      to.filter((t) => !graph.has(t)).map((t) => `${from} -> ${t}`),
    );
    expect(dangling).toEqual([]);
  });

  it("has no import cycles", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("has no cycles between the folders of lib/ (a layer never reaches back into one above it)", () => {
    const folderOf = (module: string) =>
      module.includes("/") ? module.slice(0, module.indexOf("/")) : module;
    const folders = new Map<string, string[]>();
    for (const [from, to] of graph) {
      const edges = folders.get(folderOf(from)) ?? [];
      for (const t of to) if (folderOf(t) !== folderOf(from)) edges.push(folderOf(t));
      folders.set(folderOf(from), edges);
    }
    expect(cycles(folders)).toEqual([]);
  });

  it.each([
    ["telemetry/", "rule/"],
    ["lineage/", "rule/"],
    ["paths.ts", "rule/"],
  ])("nothing under %s imports from %s", (layer, forbidden) => {
    const offending = [...graph].flatMap(([from, to]) =>
      from.startsWith(layer) ? to.filter((t) => t.startsWith(forbidden)).map((t) => `${from} -> ${t}`) : [],
    );
    expect(offending).toEqual([]);
  });

  it("finds a cycle when there is one", () => {
    const looped = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["a.ts"]],
    ]);
    expect(cycles(looped)).toEqual([["a.ts", "b.ts", "c.ts"]]);
  });
});
