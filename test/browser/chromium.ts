/**
 * Where Chromium is for the browser tests, and whether they may be skipped without it.
 * No vitest import here: the global setup and bench/ use it too.
 *
 * The browser is Debian's `chromium` package (`apt-get install -y chromium`; `.ci/run` installs
 * it when missing), driven by playwright-core, which downloads no browser of its own.
 */
import { existsSync } from "node:fs";

/** `CELGATE_CHROMIUM`, else Debian's path. */
export const CHROMIUM = process.env.CELGATE_CHROMIUM ?? "/usr/bin/chromium";

/** Flags for a quiet, offline-friendly headless run in a container as root. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export function chromiumPresent(): boolean {
  return existsSync(CHROMIUM);
}

/** The variable the global setup sets when the browser suites are to be skipped. */
export const BROWSER_SKIP_VARIABLE = "CELGATE_BROWSER_SKIPPED";

export const skippedBrowserLine = () =>
  `browser suites skipped: chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set CELGATE_CHROMIUM)`;
