/**
 * One real service (PGlite in memory, worker threads on, the built console at `/`) and one
 * Chromium per test file, with a page wrapper that records what the browser asked of other
 * origins and every console error, and runs axe-core on demand.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { expect } from "vitest";
import {
  createLogger,
  loadConfig,
  openPglite,
  type RunningServer,
  startServer,
} from "../../apps/server/src/index.js";
import { BROWSER_SKIP_VARIABLE, CHROMIUM, CHROMIUM_ARGS } from "./chromium.js";
import { CONSOLE_DIST } from "./setup.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const FIXTURE_POLICY_DIR = join(root, "apps/server/src/test/fixtures/policies");
export const ADMIN_TOKEN = "browser-test-admin-token-0123456789";

/** Whether this file's suites run: false when the global setup found no Chromium (outside CI). */
export const browserAvailable = process.env[BROWSER_SKIP_VARIABLE] !== "1";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface Recorded {
  /** Requests to any origin but the service's (data: and blob: URLs are local). */
  foreign: string[];
  /** Console errors, uncaught exceptions and CSP violations. */
  errors: string[];
  /**
   * Chromium logs every API answer of 400 or more as a console error ("Failed to load resource").
   * Those the console asked for on purpose (a wrong token's 401, a stale If-Match's 412) are kept
   * here, apart from `errors`; any other failed load (a script, a style) stays an error.
   */
  apiRefusals: string[];
  /** Every request sent to the service, as `METHOD path`. */
  requests: string[];
}

export interface BrowserRun {
  baseUrl: string;
  server: RunningServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  recorded: Recorded;
  close(): Promise<void>;
}

/** Starts the service and the browser; `env` adds service settings. */
export async function startBrowserRun(env: Record<string, string> = {}): Promise<BrowserRun> {
  const database = await openPglite("memory://");
  const server = await startServer(
    loadConfig({
      HOST: "127.0.0.1",
      PORT: "0",
      CELGATE_ADMIN_TOKEN: ADMIN_TOKEN,
      CELGATE_POLICY_DIR: FIXTURE_POLICY_DIR,
      CELGATE_CONSOLE_DIR: CONSOLE_DIST,
      CELGATE_EVALUATOR_THREADS: "1",
      CELGATE_RATE_LIMIT: "off",
      CELGATE_SHUTDOWN_TIMEOUT_S: "1",
      LOG_LEVEL: "silent",
      ...env,
    }),
    { database, logger: createLogger("silent"), print: () => {} },
  );
  const baseUrl = `http://127.0.0.1:${server.port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  // A new context is a fresh profile: no storage, cache or cookies from another run.
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1366, height: 800 } });
  const page = await context.newPage();
  const recorded: Recorded = { foreign: [], errors: [], requests: [], apiRefusals: [] };
  const origin = new URL(baseUrl).origin;
  page.on("request", (req) => {
    const url = req.url();
    if (url.startsWith("data:") || url.startsWith("blob:")) return;
    if (new URL(url).origin !== origin) recorded.foreign.push(url);
    else recorded.requests.push(`${req.method()} ${new URL(url).pathname}`);
  });
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const at = msg.location().url;
    const api =
      at.startsWith(`${origin}/v1/`) &&
      /^Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text());
    (api ? recorded.apiRefusals : recorded.errors).push(`${msg.text()} (${at})`);
  });
  page.on("pageerror", (err) => recorded.errors.push(`uncaught: ${err.message}`));
  return {
    baseUrl,
    server,
    browser,
    context,
    page,
    recorded,
    async close() {
      await browser.close().catch(() => {});
      await server.close();
      await database.close();
    },
  };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * axe-core's WCAG 2 A/AA rules on the page as it is now. The script is evaluated through the
 * DevTools protocol, which the page's CSP does not govern, so the CSP stays as served.
 */
export async function accessibilityViolations(page: Page): Promise<AxeViolation[]> {
  // once per document: client-side navigations keep it
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is a global the evaluated script defines
    const axe = (window as any).axe;
    const result = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    });
    return result.violations.map(
      (v: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => n.target.join(" ")),
      }),
    );
  });
}

/** Signs in through the page's form with `token`, and waits for the signed-in menu. */
export async function signIn(page: Page, token: string): Promise<void> {
  await page.goto("/");
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

/**
 * On the replay page: loads `owner-label` as the candidate, relaxed so that a missing owner
 * label passes, runs the replay and returns the table of outcomes that would change.
 */
export async function replayRelaxedOwnerLabel(page: Page): Promise<Locator> {
  await page.getByLabel("Load a policy to edit").fill("owner-label");
  await page.getByRole("button", { name: "Load" }).click();
  const editor = page.getByRole("textbox", { name: /^Candidate policies/ });
  await expect.poll(() => editor.innerText()).toContain("name: owner-label");
  await editor.fill(
    (await editor.innerText()).replace(
      /expression: .*'owner' in object\.metadata\.labels.*$/m,
      'expression: "true"',
    ),
  );
  await page.getByRole("button", { name: "Run replay" }).click();
  const outcomes = page.getByRole("table", { name: "Outcomes that would change" });
  await outcomes.waitFor();
  return outcomes;
}
