import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

/**
 * One Node version story (infra/esbuild.mjs): the Lambda bundles target the runtime serverless.yml deploys,
 * the CLI the oldest Node that `engines` accepts, and Node 20, on which the tests run, runs the very bundles
 * Lambda gets.
 */
// @ts-expect-error: plain ESM build script without type declarations
const esbuildConfig = (await import("../../infra/esbuild.mjs")) as {
  NODE_TARGETS: { lambda: string; cli: string };
  lambda: Record<string, unknown>;
  lambdaEntryPoints: Record<string, string>;
  common: { target: string };
};
const root = new URL("../../", import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), "utf8");

describe("Node versions", () => {
  it("the Lambda bundles target the runtime serverless.yml deploys", () => {
    const runtime = /^\s+runtime:\s*nodejs(\d+)\.x\s*$/m.exec(read("serverless.yml"))?.[1];
    expect(runtime).toBeDefined();
    expect(esbuildConfig.NODE_TARGETS.lambda).toBe(`node${runtime}`);
    expect(esbuildConfig.lambda["target"]).toBe(`node${runtime}`);
  });

  it("the CLI targets the oldest Node that engines accepts, and so do the types", () => {
    const pkg = JSON.parse(read("package.json")) as {
      engines: { node: string };
      devDependencies: Record<string, string>;
    };
    const oldest = /^>=(\d+)$/.exec(pkg.engines.node)?.[1];
    expect(oldest, `engines.node ${pkg.engines.node}`).toBeDefined();
    expect(esbuildConfig.NODE_TARGETS.cli).toBe(`node${oldest}`);
    expect(esbuildConfig.common.target).toBe(`node${oldest}`);
    expect(pkg.devDependencies["@types/node"]).toMatch(new RegExp(`^\\^${oldest}\\.`));
    expect(Number(oldest)).toBeLessThanOrEqual(Number(esbuildConfig.NODE_TARGETS.lambda.slice(4)));
  });

  it("the Lambda bundles are the same bytes built for node20: the tests on Node 20 run what Lambda runs", async () => {
    const outputs = await Promise.all(
      [esbuildConfig.NODE_TARGETS.lambda, esbuildConfig.NODE_TARGETS.cli].map(async (target) => {
        const result = await build({
          ...esbuildConfig.lambda,
          target,
          entryPoints: esbuildConfig.lambdaEntryPoints,
          outdir: fileURLToPath(new URL("dist-target-check", root)),
          sourcemap: false,
          write: false,
        });
        return result.outputFiles.map((f) => `${f.path.slice(f.path.indexOf("lambda/"))} ${f.hash}`).sort();
      }),
    );
    expect(outputs[0]).toHaveLength(3);
    expect(outputs[0]).toEqual(outputs[1]);
  });
});
