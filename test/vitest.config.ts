import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    include: ["test/**/*.test.ts"],
    // The CLI tests run the built bin as a user would; the bundle is built once, with the shipped options.
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 20_000,
    // The built bundles are loaded by Node itself, as Lambda loads them: the runner's transform of a minified
    // bundle and its source map would cost a third of a second per fresh instance (test/helpers/cut-harness.ts).
    server: { deps: { external: [/\/dist\/lambda\//] } },
    // The AWS SDK's documented switch for its notice that releases after January 2027 need Node 22: the suite
    // runs on Node 20 on purpose (the oldest Node the CLI supports), and the notice would repeat per worker.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
