import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    include: ["test/**/*.test.ts"],
    // The CLI tests run the built bin as a user would; the bundle is built once, with the shipped options.
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 20_000,
  },
});
