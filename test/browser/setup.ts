/**
 * Vitest global setup for the browser suites: refuses to go on in CI without Chromium, says in
 * one line that the suites are skipped elsewhere, and builds the web console when its build is
 * missing or older than its sources (`pnpm test` has built it already; a bare `vitest run` may not).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BROWSER_SKIP_VARIABLE, chromiumPresent, skippedBrowserLine } from "./chromium.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const CONSOLE_DIST = join(root, "apps/web/dist");

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist") continue;
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

export default function setup(): void {
  if (!chromiumPresent()) {
    if (process.env.CI === "true")
      throw new Error(`${skippedBrowserLine()}; CI runs the browser suites (.ci/run installs chromium)`);
    process.env[BROWSER_SKIP_VARIABLE] = "1";
    console.log(`\n${skippedBrowserLine()}\n`);
    return;
  }
  const index = join(CONSOLE_DIST, "index.html");
  const sources = [
    "apps/web/src",
    "apps/web/index.html",
    "policies",
    "packages/core/src",
    "packages/sdk/src",
    "packages/contracts/src",
  ];
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  const stale = sources.some((s) => {
    const path = join(root, s);
    return (statSync(path).isDirectory() ? newest(path) : statSync(path).mtimeMs) > built;
  });
  if (stale)
    execFileSync(
      process.execPath,
      [join(root, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"],
      {
        cwd: join(root, "apps/web"),
        stdio: "inherit",
      },
    );
}
