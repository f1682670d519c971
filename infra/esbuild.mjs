// The one esbuild configuration: the CLI, the benchmark and (later) the Lambda bundles share these options
// so that what the tests run is what ships.
import { build } from "esbuild";

export const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  legalComments: "none",
  // ESM bundles that pull in CommonJS dependencies need a require() of their own.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: "warning",
};

export const entryPoints = {
  cli: "lib/cli/main.ts",
  bench: "test/bench/run.ts",
};

export async function buildAll(outdir = "dist") {
  await build({ ...common, entryPoints, outdir, minify: false });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildAll();
}
