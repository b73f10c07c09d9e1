import { defineConfig } from "vitest/config";

// One run over every package. The "source" condition resolves workspace packages to their
// TypeScript sources, so tests never depend on a stale dist/.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: [
      "packages/*/src/**/*.test.ts",
      "apps/*/src/**/*.test.ts",
      "policies/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Names the suites skipped because the external corpora are absent (test/support/corpora.ts).
    // Skips the browser suites in one line without Chromium (a failure in CI) and builds the console.
    globalSetup: ["test/support/corpora-setup.ts", "test/browser/setup.ts"],
  },
});
