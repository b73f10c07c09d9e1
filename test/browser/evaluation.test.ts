// An evaluation's page, the overview and the policy catalogue in Chromium against the real
// service (PGlite, real HTTP): the report grouped by resource with messages, remediation and
// waived results, the JSON download, the decision receipt verified in the browser by the SDK's
// verifyReceipt (and refused once tampered with), the overview's top lists, expiring
// exceptions and decisions split by source, and the catalogue's label filters in the URL.
import { generateKeyPairSync } from "node:crypto";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CelgateClient, createClient, jwkThumbprint } from "../../packages/sdk/src/index.js";
import {
  ADMIN_TOKEN,
  accessibilityViolations,
  type BrowserRun,
  browserAvailable,
  replayRelaxedOwnerLabel,
  signIn,
  startBrowserRun,
} from "./harness.js";

const deployment = (name: string, namespace: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: app
          image: registry.example/${namespace}/${name}:1.0
`;

const configMap = (name: string, namespace: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: ${namespace}
  labels:
    owner: team-${namespace}
data:
  mode: fast
`;

/** An AdmissionReview of creating a labelled ConfigMap. */
const configMapReview = (name: string, namespace: string) => ({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: {
    uid: `uid-${name}`,
    kind: { group: "", version: "v1", kind: "ConfigMap" },
    resource: { group: "", version: "v1", resource: "configmaps" },
    namespace,
    name,
    operation: "CREATE",
    userInfo: { username: "alice" },
    object: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace, labels: { owner: `team-${namespace}` } },
      data: { mode: "fast" },
    },
    dryRun: false,
  },
});

/** A warn policy with remediation, and PSS labels for the catalogue's filters. */
const PROBES = `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: probes-set
  labels:
    practice: reliability
    pss: restricted
spec:
  title: Containers declare a readiness probe
  severity: low
  action: warn
  remediation: Add spec.template.spec.containers[*].readinessProbe to each container.
  match:
    kinds: [Deployment]
  validations:
    - expression: "object.spec.template.spec.containers.all(c, has(c.readinessProbe))"
      message: a container has no readiness probe
`;

const WAIVER = (expires: Date) => `apiVersion: celgate.dev/v1
kind: PolicyException
metadata:
  name: legacy-owner
spec:
  policies: [owner-label]
  match:
    namespaces: [legacy]
  reason: Legacy workloads, tracked in SEC-7
  owner: platform@example.com
  expires: ${expires.toISOString()}
`;

/** Text of a download the page offers after `click`. */
async function downloaded(page: Page, click: () => Promise<void>): Promise<string> {
  const event = page.waitForEvent("download");
  await click();
  const stream = await (await event).createReadStream();
  return Buffer.concat(await stream.toArray()).toString("utf8");
}

describe.skipIf(!browserAvailable)(
  "evaluations, receipts, overview and catalogue in Chromium",
  { timeout: 120_000 },
  () => {
    let run: BrowserRun;
    let admin: CelgateClient;
    let id: string;

    const settled = () =>
      expect.poll(() => run.page.getByRole("status").filter({ hasText: "Loading" }).count()).toBe(0);

    beforeAll(async () => {
      run = await startBrowserRun();
      admin = createClient({ baseUrl: run.baseUrl, token: ADMIN_TOKEN });
      await admin.policies.create(PROBES);
      await admin.exceptions.create(WAIVER(new Date(Date.now() + 3 * 86_400_000)));
      const report = await admin.evaluate({
        manifests: `${deployment("web", "shop")}---\n${deployment("old", "legacy")}`,
        context: { suite: "evaluation" },
      });
      id = report.id!;
      await signIn(run.page, ADMIN_TOKEN);
    }, 120_000);

    afterAll(async () => {
      await run?.close();
    });

    it("shows the report grouped by resource, with messages, remediation and waived results, and downloads it as JSON", async () => {
      const { page } = run;
      await page.goto(`/evaluations/${id}`);
      const web = page.getByRole("region", { name: "Deployment shop/web" });
      const old = page.getByRole("region", { name: "Deployment legacy/old" });
      await web.waitFor();
      // failures first within a resource
      expect(await web.locator("li.result .badge").first().innerText()).toBe("fail");
      const owner = web.locator("li.result", { hasText: "owner-label" });
      expect(await owner.locator(".badge").innerText()).toBe("fail");
      expect(await owner.innerText()).toContain("the owner label is missing");
      // the same policy is waived for the legacy deployment, by the exception that says so
      const waived = old.locator("li.result", { hasText: "owner-label" });
      expect(await waived.locator(".badge").innerText()).toBe("waived");
      expect(await waived.innerText()).toContain("Waived by exception legacy-owner");
      // remediation from the policy in force, behind a disclosure the keyboard opens
      const probes = web.locator("li.result", { hasText: "probes-set" });
      expect(await probes.innerText()).toContain("a container has no readiness probe");
      const summary = probes.getByText("Remediation");
      await summary.focus();
      await page.keyboard.press("Enter");
      await probes.getByText("Add spec.template.spec.containers[*].readinessProbe").waitFor();

      const json = JSON.parse(
        await downloaded(page, () => page.getByRole("button", { name: "Download JSON" }).click()),
      );
      expect(json).toEqual(await admin.evaluations.get(id));
    });

    it("replays this evaluation with a candidate policy from its page", async () => {
      const { page } = run;
      await page.goto(`/evaluations/${id}`);
      await page.getByRole("link", { name: "Replay this evaluation with candidate policies" }).click();
      await page.waitForURL((url) => url.pathname === "/replay");
      expect(await page.getByLabel("Evaluation ids").inputValue()).toBe(id);
      const outcomes = await replayRelaxedOwnerLabel(page);
      // both deployments now pass owner-label: the web one failed, the legacy one was waived
      const changed = await outcomes.locator("tbody tr").allInnerTexts();
      expect(changed).toHaveLength(2);
      expect(changed.find((r) => r.includes("shop/web"))).toMatch(
        /Deployment shop\/web\s+owner-label\s+fail\s+pass/,
      );
      expect(changed.find((r) => r.includes("legacy/old"))).toMatch(
        /Deployment legacy\/old\s+owner-label\s+waived\s+pass/,
      );
    });

    it("verifies the evaluation's receipt in the browser, and offers it for download", async () => {
      const { page } = run;
      const [key] = (await admin.keys.list()).keys;
      await page.goto(`/evaluations/${id}`);
      const verified = page.getByRole("status").filter({ hasText: "Signature verified in this browser" });
      await verified.waitFor();
      const text = await verified.innerText();
      expect(text).toContain(`with key ${key!.kid} of this service`);
      expect(text).toContain(`for evaluation ${id}, decision deny, `);
      const receipt = JSON.parse(
        await downloaded(page, () => page.getByRole("button", { name: "Download receipt" }).click()),
      );
      expect(receipt).toEqual(await admin.evaluations.receipt(id));
    });

    it("refuses a receipt changed after signing, or signed by a key the service does not publish", async () => {
      const { page } = run;
      const original = await admin.evaluations.get(id);
      const envelope = original.receipt!;
      // the statement now says allow: the same signature no longer verifies
      const payload = Buffer.from(envelope.payload, "base64").toString("utf8");
      expect(payload).toContain('"decision":"deny"');
      const forged = Buffer.from(payload.replace('"decision":"deny"', '"decision":"allow"')).toString(
        "base64",
      );
      const reportPath = `/v1/evaluations/${id}`;
      await page.route(
        (url) => url.pathname === reportPath,
        (route) =>
          route.fulfill({
            contentType: "application/json",
            body: JSON.stringify({ ...original, receipt: { ...envelope, payload: forged } }),
          }),
      );
      await page.goto(`/evaluations/${id}`);
      const alert = page.getByRole("alert").filter({ hasText: "The receipt does not verify" });
      await alert.waitFor();
      expect(await alert.innerText()).toMatch(/\(signature\)$/);
      expect(await page.getByText("Signature verified in this browser").count()).toBe(0);
      await page.unrouteAll();

      // the untouched receipt against keys that are not the service's: not trusted
      const x = generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" }).x!;
      const stranger = { kty: "OKP", crv: "Ed25519", x, kid: await jwkThumbprint(x) };
      await page.route(
        (url) => url.pathname === "/v1/keys",
        (route) =>
          route.fulfill({ contentType: "application/json", body: JSON.stringify({ keys: [stranger] }) }),
      );
      await page.goto(`/evaluations/${id}`);
      await alert.waitFor();
      expect(await alert.innerText()).toMatch(/\(unknown-key\)$/);
      await page.unrouteAll();

      // and the genuine one still verifies
      await page.goto(`/evaluations/${id}`);
      await page.getByRole("status").filter({ hasText: "Signature verified in this browser" }).waitFor();
    });

    it("shows on the overview the decisions by source, the policies failing and resources denied most, and exceptions expiring soon", async () => {
      const { page } = run;
      await page.goto("/");
      await settled();
      await page.getByRole("figure", { name: /^Decisions over time/ }).waitFor();
      expect(await page.getByText(/^\d+ evaluations/).innerText()).toMatch(/^1 evaluations/);
      const box = (heading: string) => page.getByRole("heading", { name: heading }).locator("..");
      expect(await box("Policies that fail most").innerText()).toMatch(/owner-label — 1/);
      expect(await box("Policies that fail most").innerText()).toMatch(/probes-set — 2/);
      expect(await box("Resources denied most").innerText()).toMatch(/Deployment shop\/web — \d/);
      expect(await box("Exceptions expiring within 7 days").innerText()).toMatch(/legacy-owner — in 3 d/);
      // one source at a time: nothing came from the admission webhook
      await page.getByLabel("Source").selectOption("admission");
      await page.waitForURL(/source=admission/);
      await expect.poll(() => page.getByText(/^\d+ evaluations/).innerText()).toMatch(/^0 evaluations/);
      // the choice is in the URL: a reload (or a shared link) shows the same overview
      await page.reload();
      await expect.poll(() => page.getByText(/^\d+ evaluations/).innerText()).toMatch(/^0 evaluations/);
      expect(await page.getByLabel("Source").inputValue()).toBe("admission");
      await page.getByLabel("Source").selectOption("api");
      await expect.poll(() => page.getByText(/^\d+ evaluations/).innerText()).toMatch(/^1 evaluations/);
    });

    it("splits the decisions over time by source (CLI, API, admission), as charts and as tables, light and dark", async () => {
      const { page } = run;
      // two evaluations from the CLI (the header the CLI sends), one through the admission webhook
      const cli = [
        await admin.evaluate({ manifests: deployment("api", "shop") }, { source: "cli" }),
        await admin.evaluate({ manifests: configMap("settings", "shop") }, { source: "cli" }),
      ];
      const admitted = await fetch(`${run.baseUrl}/v1/admission`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(configMapReview("flags", "shop")),
      });
      expect(admitted.status).toBe(200);
      // what each source decided, as the API records it: the overview must show the same counts
      const expected = new Map<string, { total: number; allow: number; warn: number; deny: number }>();
      for (const source of ["api", "cli", "admission"] as const) {
        const { items } = await admin.evaluations.list({ source, limit: 100 });
        const count = (d: string) => items.filter((e) => e.decision === d).length;
        expected.set(source, {
          total: items.length,
          allow: count("allow"),
          warn: count("warn"),
          deny: count("deny"),
        });
      }
      expect([...expected.values()].map((x) => x.total)).toEqual([1, 2, 1]);
      expect(expected.get("cli")).toMatchObject({ deny: 1 });
      expect(cli.map((r) => r.decision)).toContain("deny");

      const panels = [
        ["api", "API and SDK"],
        ["cli", "CLI and CI"],
        ["admission", "admission webhook"],
      ] as const;
      let unit = "day";
      const check = async () => {
        for (const [source, label] of panels) {
          const e = expected.get(source)!;
          const panel = page.getByRole("region", { name: label });
          await expect
            .poll(() => panel.locator("p").first().innerText())
            .toBe(`${e.total} in all: ${e.allow} allow, ${e.warn} warn, ${e.deny} deny`);
          await panel
            .getByRole("figure", { name: `${label}: decisions over time: allow, warn and deny per ${unit}` })
            .waitFor();
          // the legend reads in the order of the stack
          expect(await panel.locator(".recharts-legend-item-text").allInnerTexts()).toEqual([
            "allow",
            "warn",
            "deny",
          ]);
          // the chart's text alternative: its table, behind a disclosure the keyboard opens
          await panel.getByText(`${label}: decisions over time as a table`).click();
          const table = panel.getByRole("table", { name: `${label}: decisions over time, per ${unit}` });
          // everything happened in the newest period, the table's last row
          expect(await table.locator("tbody tr").last().locator("td").allInnerTexts()).toEqual(
            [e.allow, e.warn, e.deny].map(String),
          );
          const rows = await table.locator("tbody tr td").allInnerTexts();
          expect(rows.reduce((n, x) => n + Number(x), 0)).toBe(e.total);
        }
      };
      await page.goto("/");
      await settled();
      expect(await page.getByText(/^\d+ evaluations/).innerText()).toMatch(/^4 evaluations/);
      await check();
      // per hour: the period is in the URL, and the split follows it
      await page.getByLabel("Period").selectOption("24h");
      await page.waitForURL(/period=24h/);
      await settled();
      unit = "hour";
      await check();
      await page.reload();
      await settled();
      await check();
      // one source chosen: its own chart heads the page, and there is nothing left to split
      await page.getByLabel("Source").selectOption("cli");
      await page.waitForURL(/source=cli/);
      await expect.poll(() => page.getByText(/^\d+ evaluations/).innerText()).toMatch(/^2 evaluations/);
      await page.getByRole("figure", { name: /^Decisions over time from CLI and CI/ }).waitFor();
      expect(await page.getByRole("heading", { name: "Decisions over time by source" }).count()).toBe(0);
      // the split view passes the accessibility check (labels, contrast) in both palettes
      for (const scheme of ["dark", "light"] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await page.goto("/");
        await settled();
        await page.getByRole("heading", { name: "Decisions over time by source" }).waitFor();
        await page.getByText("CLI and CI: decisions over time as a table").click();
        expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(scheme);
        expect(await accessibilityViolations(page), scheme).toEqual([]);
      }
    });

    it("filters the policy catalogue by its labels, in the URL", async () => {
      const { page } = run;
      await page.goto("/policies");
      await settled();
      const names = () => page.locator("main tbody tr th, main tbody tr td:first-child").allInnerTexts();
      await expect.poll(() => names()).toContain("probes-set");
      await page.getByLabel("PSS level").selectOption("restricted");
      await page.waitForURL(/pss=restricted/);
      await expect.poll(() => names()).toEqual(["probes-set"]);
      await page.reload();
      await expect.poll(() => names()).toEqual(["probes-set"]);
      await page.goto("/policies?practice=ownership");
      await expect.poll(() => names()).toEqual(["owner-label"]);
      expect(await page.getByLabel("Practice").inputValue()).toBe("ownership");
    });

    it("passes an accessibility check on these pages, fits a laptop screen, asks no other origin and logs no error", async () => {
      const { page, recorded } = run;
      await page.setViewportSize({ width: 1280, height: 720 });
      for (const path of ["/", `/evaluations/${id}`, "/policies", "/history", "/exceptions"]) {
        await page.goto(path);
        await settled();
        expect(await accessibilityViolations(page), path).toEqual([]);
        // nothing wider than the window: no sideways scrolling of the page itself
        expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(
          1280,
        );
      }
      expect(recorded.foreign).toEqual([]);
      expect(recorded.errors).toEqual([]);
      expect(recorded.apiRefusals).toEqual([]);
    });
  },
);
