/** Builds dist/ with the one esbuild configuration before any test runs (the CLI tests spawn dist/cli.js). */
export default async function setup(): Promise<void> {
  // @ts-expect-error: plain ESM build script without type declarations
  const { buildAll } = (await import("../infra/esbuild.mjs")) as { buildAll: () => Promise<void> };
  await buildAll();
}
