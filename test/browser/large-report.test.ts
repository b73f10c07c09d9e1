// A stored report larger than the SDK's default answer limit (64 MiB: what a deploy tool asking
// about one release needs) is still the service's answer: the console reads it whole. Made
// cheaply: one policy of many validations whose messages quote a 4 KB annotation, over a few
// hundred small Deployments (a 10,000-workload bundle with the library comes to about 107 MB).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MAX_RESPONSE_BYTES } from "../../packages/sdk/src/client.js";
import { type CelgateClient, createClient } from "../../packages/sdk/src/index.js";
import { ADMIN_TOKEN, type BrowserRun, browserAvailable, signIn, startBrowserRun } from "./harness.js";

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

describe.skipIf(!browserAvailable)(
  "a report larger than the SDK's default limit",
  { timeout: 300_000 },
  () => {
    let run: BrowserRun;
    let admin: CelgateClient;
    let id: string;
    let bytes: number;

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
      bytes = (await answer.arrayBuffer()).byteLength;
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
