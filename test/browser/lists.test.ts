// The console's list pages share one component (apps/web/src/components/list.tsx): filters kept
// in the URL, cursor pages forward and back, loading, error and empty states, a captioned table.
// Here that behaviour is driven in Chromium on History, Audit, Exceptions and Tokens against the
// real service (PGlite, real HTTP), with an accessibility check on each page, no request to
// another origin and no console error.
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

const configMap = (name: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: lists
data:
  mode: fast
`;

const exception = (name: string, expires: Date) => `apiVersion: celgate.dev/v1
kind: PolicyException
metadata:
  name: ${name}
spec:
  policies: [owner-label]
  match:
    namespaces: [legacy]
  reason: Legacy workloads, tracked in SEC-${name.length}
  owner: platform@example.com
  expires: ${expires.toISOString()}
`;

const DAY = 86_400_000;
const PAGED = 5;

describe.skipIf(!browserAvailable)("the console's list pages in Chromium", { timeout: 120_000 }, () => {
  let run: BrowserRun;
  let admin: CelgateClient;

  /** The text of each row of the list's table. */
  const rows = () => run.page.locator("main tbody tr").allInnerTexts();
  /** The pager's line: "Page 2: 2 evaluations". */
  const pagerLine = () =>
    run.page
      .getByRole("navigation", { name: /^Pages of / })
      .getByRole("status")
      .innerText();
  const button = (name: string) =>
    run.page.getByRole("navigation", { name: /^Pages of / }).getByRole("button", { name });
  /** Waits until no list is loading. */
  const settled = () =>
    expect.poll(() => run.page.getByRole("status").filter({ hasText: "Loading" }).count()).toBe(0);

  beforeAll(async () => {
    run = await startBrowserRun();
    admin = createClient({ baseUrl: run.baseUrl, token: ADMIN_TOKEN });
    for (let n = 1; n <= PAGED; n++)
      await admin.evaluate({ manifests: configMap(`paged-${n}`), context: { suite: "paged", n: String(n) } });
    await admin.evaluate({ manifests: configMap("other"), context: { suite: "other" } });
    await admin.exceptions.create(exception("soon", new Date(Date.now() + 3 * DAY)));
    await admin.exceptions.create(exception("later", new Date(Date.now() + 20 * DAY)));
    await signIn(run.page, ADMIN_TOKEN);
  }, 120_000);

  afterAll(async () => {
    await run?.close();
  });

  it("pages History forward and back by cursor, keeps the page in the URL, and moves the focus to the new rows", async () => {
    const { page } = run;
    await page.goto(`/history?context.suite=paged&limit=2`);
    await settled();
    const first = await rows();
    expect(first).toHaveLength(2);
    expect(await pagerLine()).toBe("Page 1: 2 evaluations");
    expect(await button("First page").isDisabled()).toBe(true);
    expect(await button("Previous page").isDisabled()).toBe(true);

    // by keyboard: the pager's buttons are reachable and pressed with Enter
    await button("Next page").focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(/cursor=/);
    await expect.poll(() => pagerLine()).toBe("Page 2: 2 evaluations");
    const second = await rows();
    expect(second).toHaveLength(2);
    // the rows' region (named by the table's caption) has the focus, so reading starts at the new rows
    const region = page.getByRole("region", { name: "Evaluations, newest first" });
    await expect.poll(() => region.evaluate((el) => el === document.activeElement)).toBe(true);
    const url = new URL(page.url());
    expect(url.searchParams.get("context.suite")).toBe("paged");
    expect(url.searchParams.get("limit")).toBe("2");

    await button("Next page").click();
    await expect.poll(() => pagerLine()).toBe("Page 3: 1 evaluations");
    const third = await rows();
    expect(await button("Next page").isDisabled()).toBe(true);
    // three pages, newest first, each evaluation once
    const all = [...first, ...second, ...third].map((r) => /n=(\d)/.exec(r)?.[1]);
    expect(all).toEqual(["5", "4", "3", "2", "1"]);

    await button("Previous page").click();
    await expect.poll(() => pagerLine()).toBe("Page 2: 2 evaluations");
    expect(await rows()).toEqual(second);
    // a reload keeps the page (its cursor is in the URL) and the way back (in the history entry)
    await page.reload();
    await settled();
    expect(await rows()).toEqual(second);
    await button("Previous page").click();
    await expect.poll(() => pagerLine()).toBe("Page 1: 2 evaluations");
    expect(await rows()).toEqual(first);
    expect(new URL(page.url()).searchParams.has("cursor")).toBe(false);

    // a shared link to a later page shows it; the way back from there is the first page
    await page.goto(url.pathname + url.search);
    await settled();
    expect(await rows()).toEqual(second);
    expect(await pagerLine()).toBe("A later page: 2 evaluations");
    expect(await button("Previous page").isDisabled()).toBe(true);
    await button("First page").click();
    await expect.poll(() => pagerLine()).toBe("Page 1: 2 evaluations");
    expect(await rows()).toEqual(first);
  });

  it("keeps History's filters in the URL: a reload shows the same rows and the same form", async () => {
    const { page } = run;
    await page.goto("/history?limit=2");
    await settled();
    await button("Next page").click();
    await page.waitForURL(/cursor=/);
    await settled();
    await page.getByLabel("Source").selectOption("api");
    await page.getByLabel("Context (key=value …)").fill("suite=paged n=4");
    await page.getByLabel("Kind").fill("ConfigMap");
    // Enter in a field submits the filters, as a form does
    await page.getByLabel("Kind").press("Enter");
    await page.waitForURL(/context\.n=4/);
    const url = new URL(page.url());
    // a new filter starts at the first page, and keeps the page size
    expect(url.searchParams.has("cursor")).toBe(false);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      source: "api",
      kind: "ConfigMap",
      "context.suite": "paged",
      "context.n": "4",
      limit: "2",
    });
    await expect.poll(() => pagerLine()).toBe("Page 1: 1 evaluations");
    expect((await rows())[0]).toContain("n=4");

    await page.reload();
    await settled();
    expect(await rows()).toHaveLength(1);
    expect(await page.getByLabel("Source").inputValue()).toBe("api");
    expect(await page.getByLabel("Kind").inputValue()).toBe("ConfigMap");
    expect(await page.getByLabel("Context (key=value …)").inputValue()).toBe("suite=paged n=4");

    // a time range: since is kept as an instant, shown in the reader's time zone
    await page.getByLabel("Since").fill("2000-01-01T00:00");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/since=/);
    expect(new Date(new URL(page.url()).searchParams.get("since")!).getFullYear()).toBe(2000);
    await expect.poll(() => pagerLine()).toBe("Page 1: 1 evaluations");
    await page.getByLabel("Until").fill("2000-01-02T00:00");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/until=/);
    await page.getByText("No evaluation matches.").waitFor();

    await page.getByRole("button", { name: "Clear" }).click();
    await page.waitForURL((u) => u.search === "");
    await expect.poll(() => rows()).toHaveLength(PAGED + 1);
  });

  it("shows the API's refusal of a filter as an error, with the value kept in the form", async () => {
    const { page } = run;
    await page.goto("/history?decision=maybe");
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/HTTP 400/);
    expect(await page.getByLabel("Decision").inputValue()).toBe("maybe");
    await page.getByRole("button", { name: "Try again" }).waitFor();
    expect(await page.locator("main table").count()).toBe(0);
  });

  it("filters and pages the audit log the same way", async () => {
    const { page } = run;
    const made: Record<string, string> = {};
    for (const name of ["audit-a", "audit-b", "audit-c"])
      made[name] = (await admin.tokens.create({ name, role: "viewer" })).id;
    await page.goto("/audit");
    await settled();
    await page.getByLabel("Target kind").selectOption("token");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/targetKind=token/);
    await settled();
    await expect.poll(async () => (await rows()).every((r) => /token\.\w+\s+token /.test(r))).toBe(true);
    const tokenRows = await rows();
    expect(tokenRows.length).toBeGreaterThanOrEqual(3);
    for (const r of tokenRows) expect(r).toMatch(/token\.\w+\s+token /);
    await page.reload();
    await settled();
    expect(await rows()).toEqual(tokenRows);
    expect(await page.getByLabel("Target kind").inputValue()).toBe("token");

    // the page size is in the URL too
    await page.getByLabel("Rows per page").selectOption("10");
    await page.waitForURL(/limit=10/);
    await page.goto("/audit?targetKind=token&limit=1");
    await settled();
    const one = await rows();
    expect(one).toHaveLength(1);
    await button("Next page").click();
    await expect.poll(() => pagerLine()).toBe("Page 2: 1 audit entries");
    const two = await rows();
    expect(two).not.toEqual(one);
    await button("Previous page").click();
    await expect.poll(() => pagerLine()).toBe("Page 1: 1 audit entries");
    expect(await rows()).toEqual(one);

    // a token's audit entries name it by id; the detail says which token that is
    await page.goto(`/audit?targetKind=token&targetName=${made["audit-b"]}`);
    await settled();
    const b = await rows();
    expect(b).toHaveLength(1);
    expect(b[0]).toMatch(
      new RegExp(`token\\.create\\s+token ${made["audit-b"]}\\s+name=audit-b role=viewer`),
    );
  });

  it("lists exceptions with their expiry, filtered to those expiring soon, in the URL", async () => {
    const { page } = run;
    await page.goto("/exceptions");
    await settled();
    expect((await rows()).map((r) => r.split("\t")[0])).toEqual(expect.arrayContaining(["soon", "later"]));
    const soon = page.locator("main tbody tr", { hasText: "soon" });
    expect(await soon.innerText()).toMatch(/\(in 3 d\)/);
    expect(await soon.innerText()).toContain("owner-label");
    await page.getByLabel("Expiry").selectOption("7d");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/expiring=7d/);
    await expect.poll(() => rows()).toHaveLength(1);
    await page.reload();
    await settled();
    expect((await rows()).map((r) => r.split("\t")[0])).toEqual(["soon"]);
    await page.goto("/exceptions?policy=images-scanned");
    await page.getByText("No exception matches.").waitFor();
  });

  it("shows an exception for every policy (`*`) as such, not as a link to a policy named `*`", async () => {
    const { page } = run;
    await admin.exceptions.create(
      exception("everything", new Date(Date.now() + 60 * DAY)).replace(
        "policies: [owner-label]",
        'policies: ["*", owner-label]',
      ),
    );
    await page.goto("/exceptions");
    await settled();
    const row = page.locator("main tbody tr", { hasText: "everything" });
    const cell = row.locator("td").first();
    expect(await cell.innerText()).toBe("every policy, owner-label");
    expect(await cell.getByRole("link").allInnerTexts()).toEqual(["owner-label"]);
    await admin.exceptions.remove("everything");
  });

  it("creates a token, shows its secret once, revokes it, and finds both in the audit log", async () => {
    const { page } = run;
    await page.goto("/tokens");
    await settled();
    await page.getByLabel("Name").fill("console-made");
    await page.getByLabel("Role").selectOption("evaluator");
    await page.getByRole("button", { name: "Create token" }).click();
    const notice = page.getByRole("status").filter({ hasText: "shown this once" });
    await notice.waitFor();
    const secret = await notice.locator("code").innerText();
    // the secret works: the service knows it as the evaluator it was made
    expect((await createClient({ baseUrl: run.baseUrl, token: secret }).whoami()).role).toBe("evaluator");
    const row = page.locator("main tbody tr", { hasText: "console-made" });
    await expect.poll(() => row.innerText()).toContain("evaluator");
    await row.getByRole("button", { name: "Revoke console-made" }).click();
    // asked first (test/browser/tokens.test.ts walks the dialog)
    await page
      .getByRole("dialog", { name: "Revoke the token console-made?" })
      .getByRole("button", { name: "Revoke", exact: true })
      .click();
    await expect.poll(() => row.innerText()).toMatch(/revoked/);
    await expect(createClient({ baseUrl: run.baseUrl, token: secret }).whoami()).rejects.toMatchObject({
      status: 401,
    });

    const id = (await admin.tokens.list({ limit: 500 })).items.find((t) => t.name === "console-made")!.id;
    await page.goto(`/audit?targetName=${id}`);
    await settled();
    const actions = (await rows()).map((r) => r.split("\t")[2]);
    expect(actions).toEqual(["token.revoke", "token.create"]);
  });

  it("passes an accessibility check on each list page, with no request elsewhere and no console error", async () => {
    const { page, recorded } = run;
    for (const path of [
      "/history?limit=2",
      "/audit",
      "/exceptions",
      "/tokens",
      "/findings",
      "/inventory",
      "/images",
    ]) {
      await page.goto(path);
      await settled();
      expect(await accessibilityViolations(page), path).toEqual([]);
    }
    expect(recorded.foreign).toEqual([]);
    expect(recorded.errors).toEqual([]);
    // the one refusal asked for on purpose: decision=maybe
    for (const line of recorded.apiRefusals) expect(line).toMatch(/status of 400/);
  });
});
