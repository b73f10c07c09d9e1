// Image facts and findings in the console, in Chromium against the real service (PGlite, real
// HTTP, re-evaluation running): the Images list and the Overview's stale facts, and a finding
// opened by a critical scan of an admitted pod's image; on each page an accessibility check, no
// request to another origin and no console error.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CelgateClient, createClient } from "../../packages/sdk/src/index.js";
import {
  ADMIN_TOKEN,
  accessibilityViolations,
  type BrowserRun,
  browserAvailable,
  signIn,
  startBrowserRun,
} from "./harness.js";

const BUDGET = readFileSync(
  fileURLToPath(
    new URL("../../policies/image-vulnerabilities/image-vulnerability-budget.yaml", import.meta.url),
  ),
  "utf8",
);
const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;
const STALE = digestOf(0xa1);
const POD = digestOf(0xb2);
const DAY = 86_400_000;

/** Native facts of `digest` in registry.example/shop/<repo>, scanned at `at`, with critical CVEs. */
const facts = (digest: string, repo: string, at: Date, critical: string[] = []) => ({
  ref: `registry.example/shop/${repo}@${digest}`,
  digest,
  scan: {
    scanner: "trivy",
    scannedAt: at.toISOString(),
    vulnerabilities: critical.map((id) => ({
      id,
      severity: "critical",
      package: "openssl",
      installedVersion: "3.0.0",
      fixedVersion: "3.0.1",
    })),
  },
});

const podReview = (name: string, digest: string) => ({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: {
    uid: `uid-${name}`,
    kind: { group: "", version: "v1", kind: "Pod" },
    resource: { group: "", version: "v1", resource: "pods" },
    namespace: "shop",
    name,
    operation: "CREATE",
    userInfo: { username: "alice" },
    object: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace: "shop", labels: { owner: "team-shop" } },
      spec: { containers: [{ name: "app", image: `registry.example/shop/cart@${digest}` }] },
    },
    dryRun: false,
  },
});

/** Goes to `path` as the menu's links do (same document), and waits for its heading and data. */
async function visit(run: BrowserRun, path: string, heading: RegExp) {
  const { page } = run;
  await page.evaluate((to) => {
    history.pushState({}, "", to);
    dispatchEvent(new PopStateEvent("popstate"));
  }, path);
  await page.waitForURL((url) => `${url.pathname}${url.search}` === path);
  await page.locator("main h1").filter({ hasText: heading }).waitFor();
  await expect.poll(() => page.getByRole("status").filter({ hasText: "Loading" }).count()).toBe(0);
  expect(await accessibilityViolations(page), path).toEqual([]);
}

describe.skipIf(!browserAvailable)("image facts and findings in the console", { timeout: 120_000 }, () => {
  let run: BrowserRun;
  let admin: CelgateClient;

  beforeAll(async () => {
    run = await startBrowserRun();
    admin = createClient({ baseUrl: run.baseUrl, token: ADMIN_TOKEN });
    await admin.policies.create(BUDGET);
    await admin.images.push(facts(STALE, "legacy", new Date(Date.now() - 20 * DAY)));
    await signIn(run.page, ADMIN_TOKEN);
  }, 120_000);

  afterAll(async () => {
    await run?.close();
  });

  it("lists a pushed image on the Images page, opens its facts, and shows it stale on the Overview", async () => {
    const { page } = run;
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Images" }).click();
    await page
      .locator("main h1")
      .filter({ hasText: /^Images$/ })
      .waitFor();
    const row = page.locator("tbody tr").filter({ hasText: "registry.example/shop/legacy" });
    await row.waitFor();
    expect(await row.innerText()).toMatch(/20 d ago \(trivy\)/);
    await visit(run, "/images?stale=7d", /^Images$/);
    await expect.poll(() => page.locator("tbody tr").count()).toBe(1);
    await visit(run, "/images?stale=30d", /^Images$/);
    await page.getByText("No image matches.").waitFor();

    await visit(run, "/", /^Overview$/);
    const stale = page.getByRole("heading", { name: "Image facts that are stale" }).locator("..");
    const link = stale.getByRole("link", { name: `registry.example/shop/legacy@${STALE}` });
    await link.waitFor();
    expect(await stale.innerText()).toContain("scanned 20 d ago");
    await link.click();
    await page.waitForURL((url) => url.pathname === "/images" && url.searchParams.get("digest") === STALE);
    await page.getByRole("heading", { name: `registry.example/shop/legacy@${STALE}` }).waitFor();
    await page.getByRole("link", { name: "All images" }).waitFor();
  });

  it("shows the finding a critical scan opens for an admitted pod, with its filters", async () => {
    const { page } = run;
    await admin.images.push(facts(POD, "cart", new Date()));
    const admitted = await fetch(`${run.baseUrl}/v1/admission`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(podReview("cart", POD)),
    });
    expect(((await admitted.json()) as { response: { allowed: boolean } }).response.allowed).toBe(true);
    await admin.images.push(facts(POD, "cart", new Date(Date.now() + 1000), ["CVE-2026-4242"]));
    // the re-evaluation runs in the background: wait for the service, then look in the console
    await expect
      .poll(async () => (await admin.findings.list({ name: "cart" })).items.length, { timeout: 60_000 })
      .toBe(1);

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Findings" }).click();
    await page
      .locator("main h1")
      .filter({ hasText: /^Findings$/ })
      .waitFor();
    const row = page.locator("tbody tr").filter({ hasText: "Pod shop/cart" });
    await row.waitFor();
    const text = await row.innerText();
    expect(text).toContain("image-vulnerability-budget");
    expect(text).toContain("critical");
    expect(text).toContain("new scan");
    expect(text).toContain("CVE-2026-4242");

    await page.getByLabel("Namespace").fill("other");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/namespace=other/);
    await page.getByText("No finding matches.").waitFor();
    await visit(run, "/findings?severity=critical&policy=image-vulnerability-budget&kind=Pod", /^Findings$/);
    await expect.poll(() => page.locator("tbody tr").filter({ hasText: "Pod shop/cart" }).count()).toBe(1);
    await visit(run, "/findings?status=resolved", /^Findings$/);
    await page.getByText("No finding matches.").waitFor();
    // by what made the re-evaluation run: the form offers the API's causes, as a reader says them
    await page.getByLabel("Status").selectOption("open");
    await page.getByLabel("Cause").selectOption({ label: "new scan" });
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/cause=new-scan/);
    await expect.poll(() => page.locator("tbody tr").filter({ hasText: "Pod shop/cart" }).count()).toBe(1);
    await visit(run, "/findings?cause=policy-change", /^Findings$/);
    await page.getByText("No finding matches.").waitFor();

    await visit(run, "/inventory?kind=Pod", /^Inventory$/);
    const entry = page.locator("tbody tr").filter({ hasText: "cart" });
    await entry.waitFor();
    expect(await entry.innerText()).toContain("image-vulnerability-budget");
  });

  it("makes no request to another origin and logs no console error", () => {
    expect(run.recorded.foreign).toEqual([]);
    expect(run.recorded.errors).toEqual([]);
    expect(run.recorded.apiRefusals).toEqual([]);
  });
});
