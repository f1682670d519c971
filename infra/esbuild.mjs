// The one esbuild configuration: the CLI, the benchmark and the Lambda bundles share these options
// so that what the tests run is what ships.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/** Entry points and a relative outdir are resolved from the repository root, whatever the caller's cwd. */
export const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Node versions. The Lambda functions run on the nodejs22.x runtime (serverless.yml) and their bundles target
 * it; the CLI and the benchmark run wherever a user has Node, so they target the oldest version `engines`
 * allows (20), as do the types (@types/node 20: nothing newer slips into code that must run there). Node 20
 * also runs the node22 bundles (the tests import them): no syntax separates the two targets in this code.
 */
export const NODE_TARGETS = { lambda: "node22", cli: "node20" };

export const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: NODE_TARGETS.cli,
  sourcemap: true,
  legalComments: "none",
  // ESM bundles that pull in CommonJS dependencies need a require() of their own.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: "warning",
  absWorkingDir: root,
};

export const entryPoints = {
  cli: "lib/cli/main.ts",
  bench: "test/bench/run.ts",
};

/** One bundle per function; serverless.yml packages each directory on its own (`handler: …/index.handler`). */
export const lambdaEntryPoints = {
  "lambda/kinesis/index": "handlers/kinesis.ts",
  "lambda/cloudwatch-logs/index": "handlers/cloudwatch-logs.ts",
  "lambda/slack-notifier/index": "handlers/slack-notifier.ts",
};

export const lambda = {
  ...common,
  target: NODE_TARGETS.lambda,
  // `.mjs`: the Lambda Node.js runtime loads a file as ESM by its extension when no package.json sits beside
  // it, and the zip holds only the bundle.
  outExtension: { ".js": ".mjs" },
  minify: true,
  // Maps keep file and line for stack traces (NODE_OPTIONS=--enable-source-maps in serverless.yml); the
  // sources themselves stay out of the zip, which halves it.
  sourcesContent: false,
  // Minifying renames classes; keep names so that logged errors still say ConfigError, not `e`.
  keepNames: true,
  // The nodejs22.x runtime ships AWS SDK v3 (clients, @smithy/* core): leaving it out keeps each zip small,
  // which shortens cold starts and deploys. The price is version skew: the runtime's SDK can lag the lockfile,
  // so code must use only long-stable SDK features (the commands we call are years old).
  external: ["@aws-sdk/*", "@smithy/*"],
};

/**
 * Builds the Lambda bundles into `${outdir}/lambda/<function>/index.mjs` (+ .map), from the handlers
 * themselves: packaging (npm run package) and the tests run what ships.
 */
export async function buildLambdas(outdir = "dist") {
  const missing = Object.values(lambdaEntryPoints).filter((source) => !existsSync(join(root, source)));
  if (missing.length > 0) throw new Error(`cannot build the Lambda bundles: ${missing.join(", ")} not found`);
  await build({ ...lambda, entryPoints: lambdaEntryPoints, outdir });
}

/** Everything dist/ holds: the CLI, the benchmark and the Lambda bundles. */
export async function buildAll(outdir = "dist") {
  await Promise.all([build({ ...common, entryPoints, outdir, minify: false }), buildLambdas(outdir)]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildAll();
}
