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
    globalSetup: ["test/support/corpora-setup.ts"],
  },
});
