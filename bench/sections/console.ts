/**
 * Section 8: the web console. Its weight (from the build's manifest: the shell's initial
 * JavaScript, what each page adds, and whether it carries the engine) and, with Chromium, the
 * time to interactive of three pages, each loaded cold in a fresh browser context.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { analyseBundle } from "../../test/browser/bundle.js";
import { chromiumPresent } from "../../test/browser/chromium.js";
import type { Context } from "../context.js";
import { summarise } from "../lib/measure.js";
import { num, table } from "../lib/table.js";

const kib = (bytes: number) => num(bytes / 1024, 1);

/** The pages timed, and what on each says it is ready for input. */
const PAGES = [
  { path: "/", signedIn: false, ready: "#token", what: "sign-in form" },
  { path: "/history", signedIn: true, ready: "tbody tr", what: "history table with a row" },
  {
    path: "/playground",
    signedIn: false,
    ready: ".decision-line .badge",
    what: "first report, evaluated in the page",
  },
];

export async function consoleSection(ctx: Context): Promise<Record<string, unknown>> {
  const dist = join(ctx.paths.repo, "apps/web/dist");
  if (!existsSync(join(dist, ".vite", "manifest.json"))) {
    ctx.print("  console bench: skipped (apps/web is not built; `pnpm bench` builds it)");
    return { available: false, reason: "not built" };
  }
  const bundle = analyseBundle(dist);
  ctx.print(
    table(
      [
        { header: "what", align: "left" },
        { header: "JS KiB" },
        { header: "gzip KiB" },
        { header: "chunks" },
        { header: "engine", align: "left" },
        { header: "editor", align: "left" },
      ],
      [
        [
          "initial (every page)",
          kib(bundle.initial.bytes),
          kib(bundle.initial.gzipBytes),
          String(bundle.initial.files.length),
          bundle.initial.files.includes(bundle.engineFile) ? "yes" : "no",
          bundle.initialEditor ? "yes" : "no",
        ],
        ...Object.entries(bundle.pages)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, p]) => [
            `+ ${name}`,
            kib(p.bytes),
            kib(p.gzipBytes),
            String(p.files.length),
            p.engine ? "yes" : "no",
            p.editor ? "yes" : "no",
          ]),
      ],
    ),
  );
  const json: Record<string, unknown> = { available: true, bundle };
  if (!chromiumPresent()) {
    ctx.print("  time to interactive: skipped (no chromium; apt-get install -y chromium)");
    return json;
  }
  const { ADMIN_TOKEN, startBrowserRun } = await import("../../test/browser/harness.js");
  const run = await startBrowserRun();
  try {
    const { createClient } = await import("../../packages/sdk/src/index.js");
    const admin = createClient({ baseUrl: run.baseUrl, token: ADMIN_TOKEN });
    await admin.evaluate({
      manifests: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bench\n  namespace: bench\n",
    });
    // the session as the console keeps it after signing in (apps/web/src/session.tsx): the
    // token and what GET /v1/whoami said of it; without its actions the console asks again
    const session = JSON.stringify({ token: ADMIN_TOKEN, ...(await admin.whoami()) });
    const rounds = ctx.quick ? 2 : 5;
    const rows: string[][] = [];
    const timings: Record<string, unknown> = {};
    for (const page of PAGES) {
      const samples: number[] = [];
      for (let i = 0; i < rounds; i++) {
        // a fresh context: empty cache and storage, as a first visit
        const context = await run.browser.newContext({ baseURL: run.baseUrl });
        if (page.signedIn)
          await context.addInitScript((saved) => {
            sessionStorage.setItem("celgate.session", saved);
          }, session);
        const tab = await context.newPage();
        await tab.goto(page.path, { waitUntil: "commit" });
        await tab.locator(page.ready).first().waitFor({ timeout: 60_000 });
        // from the start of navigation to the moment the element is there
        samples.push(await tab.evaluate(() => performance.now()));
        await context.close();
      }
      const t = summarise(samples);
      timings[page.path] = t;
      rows.push([page.path, page.what, num(t.medianMs, 0), String(samples.length)]);
    }
    ctx.print("");
    ctx.print(
      table(
        [
          { header: "page", align: "left" },
          { header: "ready when", align: "left" },
          { header: "median ms" },
          { header: "runs" },
        ],
        rows,
      ),
    );
    ctx.print(
      "  time to interactive: navigation start to the element being there, cold cache, same machine as the service",
    );
    json.timeToInteractive = timings;
  } finally {
    await run.close();
  }
  return json;
}
