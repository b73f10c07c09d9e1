// A stored report larger than the SDK's default answer limit (64 MiB: what a deploy tool asking
// about one release needs) is still the service's answer: the console reads it whole. Made
// cheaply: one policy of many validations whose messages quote a 4 KB annotation, over a few
// hundred small Deployments (a 10,000-workload bundle with the library comes to about 107 MB).
// While it arrives, the page shows how much has (read over a throttled network, as a slow link
// would bring it).
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { byteSize } from "../../apps/web/src/lib/reports.js";
import { ANNOUNCE_EVERY_MS, SHOW_EVERY_MS } from "../../apps/web/src/lib/use-progress.js";
import { DEFAULT_MAX_RESPONSE_BYTES } from "../../packages/sdk/src/client.js";
import { type CelgateClient, createClient } from "../../packages/sdk/src/index.js";
import {
  ADMIN_TOKEN,
  accessibilityViolations,
  type BrowserRun,
  browserAvailable,
  signIn,
  startBrowserRun,
} from "./harness.js";

const VALIDATIONS = 100;
const RESOURCES = 150;
const PAD = "p".repeat(4500);

const BULKY = `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: bulky
spec:
  title: Every validation fails with a long message
  severity: low
  action: warn
  match:
    kinds: [Deployment]
  validations:
${Array.from(
  { length: VALIDATIONS },
  (_, i) => `    - expression: "false"
      messageExpression: "'${i} ' + object.metadata.annotations.pad"
`,
).join("")}`;

const manifests = Array.from(
  { length: RESOURCES },
  (_, i) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: big-${i}
  namespace: big
  labels:
    owner: team
  annotations:
    pad: ${PAD}
spec:
  template:
    spec:
      containers:
        - name: app
          image: registry.example/big/app:1.0
`,
).join("---\n");

/** Text of a download the page offers after `click`. */
async function downloaded(page: Page, click: () => Promise<void>): Promise<string> {
  const event = page.waitForEvent("download");
  await click();
  const stream = await (await event).createReadStream();
  return Buffer.concat(await stream.toArray()).toString("utf8");
}

describe.skipIf(!browserAvailable)(
  "a report larger than the SDK's default limit",
  { timeout: 300_000 },
  () => {
    let run: BrowserRun;
    let admin: CelgateClient;
    let id: string;
    let bytes: number;
    /** The API's answer as sent. */
    let answerText: string;
    let declared: string | null;

    beforeAll(async () => {
      run = await startBrowserRun({
        CELGATE_EVALUATOR_MEMORY_MB: "2048",
        CELGATE_EVALUATION_TIMEOUT_MS: "120000",
      });
      // the test's own client reads the answer whole
      admin = createClient({
        baseUrl: run.baseUrl,
        token: ADMIN_TOKEN,
        maxResponseBytes: Number.POSITIVE_INFINITY,
        timeoutMs: 240_000,
      });
      await admin.policies.create(BULKY);
      const report = await admin.evaluate({ manifests });
      id = report.id!;
      const answer = await fetch(`${run.baseUrl}/v1/evaluations/${id}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      declared = answer.headers.get("content-length");
      answerText = await answer.text();
      bytes = Buffer.byteLength(answerText);
      await signIn(run.page, ADMIN_TOKEN);
    }, 300_000);

    afterAll(async () => {
      await run?.close();
    });

    it("shows the whole report on its page", async () => {
      expect(bytes).toBeGreaterThan(DEFAULT_MAX_RESPONSE_BYTES);
      const { page } = run;
      await page.goto(`/evaluations/${id}`);
      const last = page.getByRole("region", { name: `Deployment big/big-${RESOURCES - 1}` });
      // the report, or the error that stands in its place
      await last.or(page.getByRole("alert")).waitFor({ state: "attached", timeout: 120_000 });
      expect(await page.getByRole("alert").count()).toBe(0);
      expect(await page.locator(".report .resource").count()).toBe(RESOURCES);
      await last.scrollIntoViewIfNeeded();
      expect(await last.textContent()).toContain(`${VALIDATIONS - 1} ${PAD}`);
      expect(run.recorded.errors).toEqual([]);
    });

    it("shows how much of it has arrived while it loads, then the same report", async () => {
      // the service declares the answer's length: the page can say "of" how much
      expect(declared).toBe(String(bytes));
      const { page } = run;
      const cdp = await run.context.newCDPSession(page);
      await cdp.send("Network.enable");
      // about 8 s for the report's answer: two announcements at least, many redraws
      const throughput = Math.ceil(bytes / 8);
      await cdp.send("Network.emulateNetworkConditions", {
        offline: false,
        latency: 0,
        downloadThroughput: throughput,
        uploadThroughput: -1,
      });
      await page.goto("/history");
      await page.getByRole("button", { name: "Sign out" }).waitFor();
      // every change of the progress bar's text and of the page's status line, with its time
      await page.evaluate(() => {
        const seen: { t: number; bar: string | null; status: string | null }[] = [];
        (window as unknown as { seen: typeof seen }).seen = seen;
        new MutationObserver(() => {
          const bar = document.querySelector("main progress")?.getAttribute("aria-valuetext") ?? null;
          const status = document.querySelector("main [role=status]")?.textContent ?? null;
          const last = seen.at(-1);
          if (last?.bar !== bar || last?.status !== status) seen.push({ t: performance.now(), bar, status });
        }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      });
      await page.evaluate((to) => {
        history.pushState({}, "", to);
        dispatchEvent(new PopStateEvent("popstate"));
      }, `/evaluations/${id}`);
      const bar = page.getByRole("progressbar", { name: "The report received so far" });
      await bar.waitFor({ timeout: 60_000 });
      expect(await accessibilityViolations(page)).toEqual([]);
      const last = page.getByRole("region", { name: `Deployment big/big-${RESOURCES - 1}` });
      await last.or(page.getByRole("alert")).waitFor({ state: "attached", timeout: 120_000 });
      await cdp.send("Network.emulateNetworkConditions", {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: -1,
      });
      expect(await page.getByRole("alert").count()).toBe(0);
      expect(await bar.count()).toBe(0);

      const seen = await page.evaluate(
        () =>
          (window as unknown as { seen: { t: number; bar: string | null; status: string | null }[] }).seen,
      );
      const changes = (key: "bar" | "status") =>
        seen
          .filter((s, i) => s[key] !== null && s[key] !== seen[i - 1]?.[key])
          .map((s) => ({ t: s.t, text: s[key]! }));
      const total = byteSize(bytes);
      const bars = changes("bar");
      // received, of the declared total, growing, redrawn many times but at most four a second
      expect(bars.length).toBeGreaterThanOrEqual(8);
      let before = -1;
      for (const { text } of bars) {
        const m = new RegExp(`^([\\d.]+) (bytes|kB|MB) of ${total.replace(".", "\\.")} \\((\\d+)%\\)$`).exec(
          text,
        );
        expect(m, text).not.toBeNull();
        const percent = Number(m![3]);
        expect(percent).toBeGreaterThanOrEqual(before);
        before = percent;
      }
      expect(before).toBeGreaterThan(50);
      for (let i = 1; i < bars.length; i++)
        expect(bars[i]!.t - bars[i - 1]!.t, bars[i]!.text).toBeGreaterThanOrEqual(SHOW_EVERY_MS - 50);
      // the status line, a polite live region, says it less often
      const statuses = changes("status").filter((s) => s.text.startsWith("Loading the report: "));
      expect(statuses.length).toBeGreaterThanOrEqual(2);
      expect(statuses.length).toBeLessThan(bars.length / 4);
      for (const { text } of statuses)
        expect(text).toMatch(new RegExp(`of ${total.replace(".", "\\.")} \\(\\d+%\\) received…$`));
      for (let i = 1; i < statuses.length; i++)
        expect(statuses[i]!.t - statuses[i - 1]!.t).toBeGreaterThanOrEqual(ANNOUNCE_EVERY_MS - 50);

      // the report is the API's, whole: shown, and downloaded as it was answered
      expect(await page.locator(".report .resource").count()).toBe(RESOURCES);
      await last.scrollIntoViewIfNeeded();
      expect(await last.textContent()).toContain(`${VALIDATIONS - 1} ${PAD}`);
      const shown = await downloaded(page, () => page.getByRole("button", { name: "Download JSON" }).click());
      expect(JSON.stringify(JSON.parse(shown))).toBe(JSON.stringify(JSON.parse(answerText)));
      expect(run.recorded.errors).toEqual([]);
      await cdp.detach();
    });

    it("leaves it out of the overview's top lists, and says so", async () => {
      const { page } = run;
      await page.goto("/");
      const note = page.getByText("1 more is too large to read here");
      await note.or(page.getByRole("alert")).waitFor({ timeout: 60_000 });
      expect(await page.getByRole("alert").count()).toBe(0);
      expect(await page.getByText("In the newest 0 warn or deny evaluations.").count()).toBe(1);
      expect(run.recorded.errors).toEqual([]);
    });
  },
);
