// The web console in Chromium against the real service (PGlite, real HTTP): sign in, history,
// reports, filters, policies with errors and conflicts, replays, /docs offline, and on every
// page an accessibility check, no request to another origin and no console error.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CelgateClient, createClient } from "../../packages/sdk/src/index.js";
import {
  ADMIN_TOKEN,
  accessibilityViolations,
  type BrowserRun,
  browserAvailable,
  replayRelaxedOwnerLabel,
  signIn,
  startBrowserRun,
} from "./harness.js";

const deployment = (name: string, labels = "") => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: shop
${labels}spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: app
          image: registry.example/shop/${name}:1.0
`;

const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  mode: fast
`;

/** A policy whose CEL expression has an error on line 13, from column 20. */
const BROKEN = `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: broken-policy
  labels:
    practice: testing
spec:
  severity: low
  action: warn
  match:
    kinds: [Deployment]
  validations:
    - expression: "object.spec.replicas >>> 2"
      message: broken
`;

const policy = (name: string, title: string) => `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: ${name}
  labels:
    practice: testing
spec:
  title: ${title}
  severity: low
  action: warn
  match:
    kinds: [Deployment]
  validations:
    - expression: "object.spec.?replicas.orValue(1) <= 10"
      message: too many replicas
`;

/** A candidate in place of owner-label, its CEL expression on line 14. */
const CANDIDATE = (expression: string) => `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: owner-label
  labels:
    practice: ownership
spec:
  title: Deployments run at least one replica
  severity: medium
  action: deny
  match:
    kinds: [Deployment]
  validations:
    - expression: "${expression}"
      message: no replica
`;

// Generous per-test time: on a loaded machine one browser step can take seconds.
describe.skipIf(!browserAvailable)("the web console in Chromium", { timeout: 120_000 }, () => {
  let run: BrowserRun;
  let admin: CelgateClient;
  let viewerToken: string;
  let denied: string;
  let allowed: string;

  beforeAll(async () => {
    run = await startBrowserRun();
    admin = createClient({ baseUrl: run.baseUrl, token: ADMIN_TOKEN });
    viewerToken = (await admin.tokens.create({ name: "browser viewer", role: "viewer" })).token;
    // images-scanned (deny) fails for the deployments: store facts for none, so it fails on both
    denied = (await admin.evaluate({ manifests: deployment("web"), context: { run: "a" } })).id!;
    allowed = (await admin.evaluate({ manifests: configMap, context: { run: "b" } })).id!;
    // every test starts signed in as admin (the first one leaves it so), so each runs alone too
    await signIn(run.page, ADMIN_TOKEN);
  }, 120_000);

  afterAll(async () => {
    await run?.close();
  });

  it("signs in with a token and shows only what its role may do", async () => {
    const { page } = run;
    await page.getByRole("button", { name: "Sign out" }).click();
    await signIn(page, viewerToken);
    const nav = page.getByRole("navigation", { name: "Main" });
    await expect
      .poll(() => nav.getByRole("link").allInnerTexts())
      .toEqual([
        "Overview",
        "History",
        "Policies",
        "Playground",
        "Images",
        "Exceptions",
        "Findings",
        "Inventory",
      ]);
    await page.goto("/policies");
    await page.getByRole("link", { name: "owner-label" }).waitFor();
    expect(await page.getByRole("link", { name: "New policy" }).count()).toBe(0);
    // kept for the tab: a reload stays signed in
    await page.reload();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API token").waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    await page.getByLabel("API token").fill("cg_wrong-token-000000000000");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "Unauthorized" }).waitFor();

    await signIn(page, ADMIN_TOKEN);
    await nav.getByRole("link", { name: "Tokens" }).waitFor();
    await nav.getByRole("link", { name: "Replay" }).waitFor();
    expect(await page.locator(".role").innerText()).toBe("admin");
  });

  it("finds an evaluation made through the API in History with its decision, and opens its report", async () => {
    const { page } = run;
    await page.goto("/history");
    const rows = page.locator("tbody tr");
    await expect.poll(() => rows.count()).toBe(2);
    const deny = rows.filter({ hasText: "run=a" });
    expect(await deny.locator(".badge").innerText()).toBe("deny");
    expect(await rows.filter({ hasText: "run=b" }).locator(".badge").innerText()).toBe("allow");
    await deny.getByRole("link").click();
    await page.waitForURL(`**/evaluations/${denied}`);
    const resource = page.getByRole("region", { name: "Deployment shop/web" });
    await resource.waitFor();
    const owner = resource.locator("li.result", { hasText: "owner-label" });
    expect(await owner.locator(".badge").innerText()).toBe("fail");
    expect(await owner.innerText()).toContain("the owner label is missing");
    // remediation and titles come from the policies in force
    expect(await owner.innerText()).toContain("Workloads carry an owner label");
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download SARIF" }).click();
    const sarif = JSON.parse(
      await (await (await download).createReadStream()).toArray().then((c) => Buffer.concat(c).toString()),
    );
    expect(sarif.version).toBe("2.1.0");
  });

  it("filters History, with the filters in a URL that can be shared", async () => {
    const { page } = run;
    await page.goto("/history");
    await page.getByLabel("Decision").selectOption("allow");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/decision=allow/);
    const rows = page.locator("tbody tr");
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getByRole("link").getAttribute("href")).toBe(`/evaluations/${allowed}`);
    // the same URL opened afresh shows the same page
    await page.goto(`/history?context.run=a`);
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().locator(".badge").innerText()).toBe("deny");
    expect(await page.getByLabel("Context (key=value …)").inputValue()).toBe("run=a");
    await page.goto(`/history?kind=Deployment&name=web`);
    await expect.poll(() => rows.count()).toBe(1);
  });

  it("shows a policy's CEL error at its line and column when creating it", async () => {
    const { page } = run;
    await page.goto("/policies/new");
    await page.getByRole("textbox", { name: "Policy (YAML)" }).fill(BROKEN);
    await page.getByRole("button", { name: "Save" }).click();
    const problems = page.getByRole("list", { name: "Problems in Policy (YAML)" });
    await problems.waitFor();
    const text = await problems.innerText();
    expect(text).toMatch(/line 13, column \d+/);
    expect(text).toContain("object.spec.replicas >>> 2");
    // and in the editor: line 13 is marked in the lint gutter and underlined
    const marked = await page.evaluate(() => {
      const content = document.getElementById("policy-source")!;
      const mark = content.querySelector(".cm-lintRange-error")?.closest(".cm-line");
      return mark ? [...content.querySelectorAll(":scope > .cm-line")].indexOf(mark) + 1 : 0;
    });
    expect(marked).toBe(13);
    expect(await page.locator(".cm-lint-marker-error").count()).toBe(1);
    // nothing was saved
    await expect(admin.policies.get("broken-policy")).rejects.toMatchObject({ status: 404 });
    // choosing the problem puts the cursor on that line
    await problems.getByRole("button", { name: /line 13/ }).click();
    const line = await page.evaluate(() => {
      const content = document.getElementById("policy-source")!;
      const node = getSelection()?.focusNode;
      const at = (node instanceof Element ? node : node?.parentElement)?.closest(".cm-line");
      return at ? [...content.querySelectorAll(":scope > .cm-line")].indexOf(at) + 1 : 0;
    });
    expect(line).toBe(13);
  });

  it("shows the version history with a diff, and says so when an edit conflicts with another", async () => {
    const { page } = run;
    await admin.policies.create(policy("team-policy", "First title"));
    await page.goto("/policies/team-policy/edit");
    const editor = page.getByRole("textbox", { name: "Policy (YAML)" });
    await expect.poll(() => editor.innerText()).toContain("First title");
    // someone else saves while this edit is open
    const current = await admin.policies.get("team-policy");
    await admin.policies.update("team-policy", policy("team-policy", "Their title"), {
      ifMatch: current.etag,
    });
    await editor.fill(policy("team-policy", "My title"));
    await page.getByRole("button", { name: "Save" }).click();
    const conflict = page.getByRole("alert").filter({ hasText: "Someone else changed this policy" });
    await conflict.waitFor();
    const diff = await conflict.getByRole("region", { name: "The other change" }).innerText();
    expect(diff).toMatch(/^- +title: First title$/m);
    expect(diff).toMatch(/^\+ +title: Their title$/m);
    expect((await admin.policies.get("team-policy")).document.spec.title).toBe("Their title");
    await conflict.getByRole("button", { name: "Save mine over theirs" }).click();
    await page.waitForURL("**/policies/team-policy");
    expect((await admin.policies.get("team-policy")).document.spec.title).toBe("My title");
    // versions 1 to 3, and a diff between any two
    await page.getByRole("combobox", { name: /^From version/ }).selectOption("1");
    await page.getByRole("combobox", { name: /^To version/ }).selectOption("3");
    const changes = await page.getByRole("region", { name: "Changes from version 1 to 3" }).innerText();
    expect(changes).toMatch(/^- +title: First title$/m);
    expect(changes).toMatch(/^\+ +title: My title$/m);
    const source = await page.getByRole("region", { name: "Source of team-policy" }).innerText();
    expect(source).toContain("object.spec.?replicas.orValue(1) <= 10");
    expect(await page.getByRole("link", { name: "Edit" }).count()).toBe(1);
    // a policy of the service's folder cannot be written through the API: no Edit
    await page.goto("/policies/owner-label");
    await page.getByText("From the service's policy folder").waitFor();
    expect(await page.getByRole("link", { name: "Edit" }).count()).toBe(0);
  });

  it("runs a replay and shows the outcome that would change", async () => {
    const { page } = run;
    await page.goto("/replay");
    // the candidate accepts a missing owner label
    const outcomes = await replayRelaxedOwnerLabel(page);
    const row = outcomes.locator("tbody tr", { hasText: "owner-label" });
    expect(await row.innerText()).toMatch(/Deployment shop\/web\s+owner-label\s+fail\s+pass/);
    expect(await page.getByRole("status").filter({ hasText: "would change" }).innerText()).toMatch(
      /^1 outcome would change/,
    );
    // nothing went live
    expect((await admin.policies.get("owner-label")).version).toBe(1);
  });

  it("marks a candidate's CEL error at its line and column before replaying, and replays it once fixed", async () => {
    const { page } = run;
    await page.goto("/replay");
    const editor = page.getByRole("textbox", { name: /^Candidate policies/ });
    await editor.waitFor();
    // the keyboard reaches the editor from the field before it, and types the candidate there
    await page.getByRole("button", { name: "Load" }).focus();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("replay-policies");
    await page.keyboard.insertText(CANDIDATE("object.spec.replicas >= 1 && )"));
    const broken = CANDIDATE("object.spec.replicas >= 1 && )").split("\n");
    const line = broken.findIndex((l) => l.includes("&& )")) + 1;
    const column = broken[line - 1]!.indexOf(")") + 1;
    await page.getByRole("button", { name: "Run replay" }).click();
    await page.getByRole("status").filter({ hasText: "the replay did not run" }).waitFor();
    const problems = page.getByRole("list", { name: /^Problems in Candidate policies/ });
    expect(await problems.innerText()).toContain(`line ${line}, column ${column}`);
    await expect
      .poll(() =>
        page.evaluate(() => {
          const content = document.getElementById("replay-policies")!;
          const mark = content.querySelector(".cm-lintRange-error");
          if (!mark) return null;
          const at = mark.closest(".cm-line")!;
          const before = document.createRange();
          before.setStart(at, 0);
          before.setEndBefore(mark);
          const lines = [...content.querySelectorAll(":scope > .cm-line")];
          return {
            line: lines.indexOf(at) + 1,
            column: before.toString().length + 1,
            text: mark.textContent,
          };
        }),
      )
      .toEqual({ line, column, text: ")" });
    expect(await editor.getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByRole("table", { name: "Outcomes that would change" }).count()).toBe(0);
    expect(await accessibilityViolations(page)).toEqual([]);

    // fixed: the marks go, and the replay shows the failing deployment passing
    await editor.fill(CANDIDATE("object.spec.replicas >= 1"));
    await page.getByRole("button", { name: "Run replay" }).click();
    const outcomes = page.getByRole("table", { name: "Outcomes that would change" });
    await outcomes.waitFor();
    const row = outcomes.locator("tbody tr", { hasText: "owner-label" });
    expect(await row.innerText()).toMatch(/Deployment shop\/web\s+owner-label\s+fail\s+pass/);
    expect(await page.locator("#replay-policies .cm-lintRange-error").count()).toBe(0);
    expect(await problems.count()).toBe(0);
    expect(await editor.getAttribute("aria-invalid")).toBe("false");
    expect((await admin.policies.get("owner-label")).version).toBe(1);
  });

  it("serves the API reference at /docs with every request to another origin blocked", async () => {
    const { context, recorded } = run;
    const page = await context.newPage();
    const blocked: string[] = [];
    await page.route(
      (url) => url.origin !== new URL(run.baseUrl).origin,
      (route) => {
        blocked.push(route.request().url());
        return route.abort("internetdisconnected");
      },
    );
    await page.goto("/docs");
    // the reference rendered the service's own document
    await page.getByText("Policy-as-code for Kubernetes").first().waitFor({ timeout: 30_000 });
    expect(blocked).toEqual([]);
    expect(recorded.foreign).toEqual([]);
    await page.close();
  });

  it("switches between light and dark, and keeps the choice", async () => {
    const { page } = run;
    await page.goto("/history");
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.getByRole("combobox", { name: /^Theme/ }).selectOption("dark");
    expect(await background()).toBe("rgb(17, 24, 39)");
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    await page.getByRole("combobox", { name: /^Theme/ }).selectOption("light");
    expect(await background()).toBe("rgb(255, 255, 255)");
    await page.getByRole("combobox", { name: /^Theme/ }).selectOption("system");
  });

  it("has an accessibility check that finds a violation when there is one", async () => {
    const { page } = run;
    await page.goto("/exceptions");
    await page.locator("main h1").waitFor();
    await page.evaluate(() => {
      const input = document.createElement("input");
      input.id = "unlabelled";
      document.querySelector("main")!.append(input);
    });
    const violations = await accessibilityViolations(page);
    expect(violations.map((v) => v.id)).toContain("label");
  });

  it("passes an accessibility check on every page, light and dark, with no request elsewhere and no console error", async () => {
    const { page, recorded } = run;
    // each page and its heading, to know the page shown is the one asked for
    const pages: [string, RegExp][] = [
      ["/", /^Overview$/],
      ["/history", /^History$/],
      [`/evaluations/${denied}`, /^Evaluation /],
      ["/policies", /^Policies$/],
      ["/policies/owner-label", /^owner-label$/],
      ["/policies/new", /^New policy$/],
      ["/replay", /^Replay$/],
      ["/playground", /^Playground$/],
      ["/images", /^Images$/],
      ["/exceptions", /^Exceptions$/],
      ["/findings", /^Findings$/],
      ["/inventory", /^Inventory$/],
      ["/tokens", /^Tokens$/],
      ["/audit", /^Audit$/],
    ];
    await page.goto("/");
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      // with the system's choice in force, the console follows the system's scheme as it changes
      await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe(scheme);
      for (const [path, heading] of pages) {
        // as the menu's links do: the router renders the page in the same document
        await page.evaluate((to) => {
          history.pushState({}, "", to);
          dispatchEvent(new PopStateEvent("popstate"));
        }, path);
        await page.waitForURL((url) => url.pathname === path);
        await page.locator("main h1").filter({ hasText: heading }).waitFor();
        await expect.poll(() => page.getByRole("status").filter({ hasText: "Loading" }).count()).toBe(0);
        const violations = await accessibilityViolations(page);
        expect(violations, `${scheme} ${path}`).toEqual([]);
        // a laptop screen (1366 wide): the page itself never scrolls sideways
        expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(
          1366,
        );
      }
    }
    expect(recorded.foreign).toEqual([]);
    expect(recorded.errors).toEqual([]);
    // the only refused API calls were the ones asked on purpose: a wrong token, a stale If-Match
    for (const line of recorded.apiRefusals) expect(line).toMatch(/status of (401|403|412)/);
  }, 120_000);
});
