// Revoking a token on the Tokens page asks first, in a modal dialog that names the token and says
// when it is the one the session is signed in with (told apart by the id `GET /v1/whoami`
// answers: names are not unique). The token of CELGATE_ADMIN_TOKEN, which the service refuses
// to revoke, has no Revoke at all but says why and how it is revoked. Against the real service
// (PGlite, real HTTP), each outcome checked through the API.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENV_ADMIN_TOKEN_ID } from "../../packages/contracts/src/index.js";
import { type CelgateClient, type CreatedToken, createClient } from "../../packages/sdk/src/index.js";
import {
  ADMIN_TOKEN,
  accessibilityViolations,
  type BrowserRun,
  browserAvailable,
  signIn,
  startBrowserRun,
} from "./harness.js";

describe.skipIf(!browserAvailable)("revoking a token in Chromium", { timeout: 120_000 }, () => {
  let run: BrowserRun;
  let admin: CelgateClient;

  /** The stored token `id` as the API lists it. */
  const stored = async (id: string) =>
    (await admin.tokens.list({ limit: 500 })).items.find((t) => t.id === id);
  /** Whether the service still takes `secret`. */
  const live = (secret: string) =>
    createClient({ baseUrl: run.baseUrl, token: secret, retries: 0 })
      .whoami()
      .then(
        () => true,
        (error: { status?: number }) => {
          if (error.status === 401) return false;
          throw error;
        },
      );
  /** What has the focus: its text and whether it is inside a dialog. */
  const focused = (page: Page) =>
    page.evaluate(() => ({
      text: document.activeElement?.textContent ?? "",
      inDialog: document.activeElement?.closest("dialog") !== null,
    }));
  const settled = (page: Page) =>
    expect.poll(() => page.getByRole("status").filter({ hasText: "Loading" }).count()).toBe(0);

  beforeAll(async () => {
    run = await startBrowserRun();
    admin = createClient({ baseUrl: run.baseUrl, token: ADMIN_TOKEN });
  }, 120_000);

  afterAll(async () => {
    await run?.close();
  });

  it("asks before revoking: Cancel and Escape keep the token, confirming revokes it", async () => {
    const { page } = run;
    const kept = await admin.tokens.create({ name: "ci-deploy", role: "evaluator" });
    await signIn(page, ADMIN_TOKEN);
    await page.goto("/tokens");
    await settled(page);
    const row = page.locator("main tbody tr", { hasText: "ci-deploy" });
    const revoke = row.getByRole("button", { name: "Revoke ci-deploy" });
    const dialog = page.getByRole("dialog", { name: "Revoke the token ci-deploy?" });

    await revoke.click();
    await dialog.waitFor();
    // modal: the focus is inside, on Cancel; the dialog names the token and its id
    expect(await focused(page)).toEqual({ text: "Cancel", inDialog: true });
    expect(await page.evaluate(() => document.querySelector("dialog")?.matches(":modal"))).toBe(true);
    const text = await dialog.innerText();
    expect(text).toContain(kept.id);
    expect(text).toContain("evaluator");
    expect(text).not.toContain("signed in with");
    expect(await accessibilityViolations(page)).toEqual([]);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(await focused(page)).toEqual({ text: "Revoke ci-deploy", inDialog: false });
    expect((await stored(kept.id))?.revokedAt).toBeNull();
    expect(await live(kept.token)).toBe(true);

    // Escape cancels too
    await revoke.click();
    await dialog.waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(await focused(page)).toEqual({ text: "Revoke ci-deploy", inDialog: false });
    expect((await stored(kept.id))?.revokedAt).toBeNull();
    expect(await live(kept.token)).toBe(true);

    // confirmed, it is revoked, and the page says so where the focus goes
    await revoke.click();
    await dialog.getByRole("button", { name: "Revoke", exact: true }).click();
    await dialog.waitFor({ state: "detached" });
    await expect.poll(() => row.innerText()).toMatch(/revoked/);
    const done = page.getByRole("status").filter({ hasText: "Revoked the token ci-deploy" });
    await done.waitFor();
    expect(await focused(page)).toMatchObject({
      text: expect.stringContaining("Revoked the token ci-deploy"),
    });
    expect((await stored(kept.id))?.revokedAt).not.toBeNull();
    expect(await live(kept.token)).toBe(false);
    // the session goes on
    expect(await page.getByRole("button", { name: "Sign out" }).count()).toBe(1);

    expect(run.recorded.errors).toEqual([]);
    expect(run.recorded.apiRefusals).toEqual([]);
  });

  it("says when the token is the session's own (by id, not name), and signs out after revoking it", async () => {
    const page = await (await run.browser.newContext({ baseURL: run.baseUrl })).newPage();
    // two tokens of one name: the session's is told apart by its id
    const own: CreatedToken = await admin.tokens.create({ name: "ops", role: "admin" });
    const namesake = await admin.tokens.create({ name: "ops", role: "viewer" });
    await signIn(page, own.token);
    await page.goto("/tokens");
    await settled(page);
    // by the role's cell: both were created by the admin, whose name holds "admin" too
    const ops = (role: string) =>
      page
        .locator("main tbody tr", { hasText: "ops" })
        .filter({ has: page.getByRole("cell", { name: role, exact: true }) });
    const ownRow = ops("admin");
    const otherRow = ops("viewer");
    expect(await ownRow.getByRole("rowheader").innerText()).toBe("ops (this session's token)");
    expect(await otherRow.getByRole("rowheader").innerText()).toBe("ops");
    const dialog = page.getByRole("dialog", { name: "Revoke the token ops?" });

    await otherRow.getByRole("button", { name: "Revoke ops" }).click();
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain(namesake.id);
    expect(await dialog.innerText()).not.toContain("signed in with");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });

    await ownRow.getByRole("button", { name: "Revoke ops" }).click();
    await dialog.waitFor();
    const text = await dialog.innerText();
    expect(text).toContain("This is the token you are signed in with");
    expect(text).toContain("ends your session");
    expect(text).toContain(own.id);
    for (const scheme of ["dark", "light"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe(scheme);
      expect(await accessibilityViolations(page), scheme).toEqual([]);
    }
    await dialog.getByRole("button", { name: "Revoke and sign out" }).click();

    // signed out at once, saying why
    await page.getByLabel("API token").waitFor();
    await page
      .getByRole("alert")
      .filter({ hasText: "You revoked the token you were signed in with (ops)" })
      .waitFor();
    expect(await page.getByRole("button", { name: "Sign out" }).count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect((await stored(own.id))?.revokedAt).not.toBeNull();
    expect(await live(own.token)).toBe(false);
    // the namesake is untouched
    expect(await live(namesake.token)).toBe(true);
    await page.context().close();
  });

  it("offers no Revoke for the token of CELGATE_ADMIN_TOKEN, and says why and how it is revoked", async () => {
    // another admin token: the page is seen by a session of either
    const other = await admin.tokens.create({ name: "second-admin", role: "admin" });
    for (const [token, own] of [
      [other.token, false],
      [ADMIN_TOKEN, true],
    ] as const) {
      const context = await run.browser.newContext({ baseURL: run.baseUrl });
      const page = await context.newPage();
      const sent: string[] = [];
      page.on("request", (req) => sent.push(`${req.method()} ${new URL(req.url()).pathname}`));
      await signIn(page, token);
      await page.goto("/tokens");
      await settled(page);
      // by the row header: tokens it created name it in their Created cell too
      const row = page
        .locator("main tbody tr")
        .filter({ has: page.getByRole("rowheader", { name: /^admin \(CELGATE_ADMIN_TOKEN\)/ }) });
      expect(await row.count()).toBe(1);
      expect(await row.getByRole("rowheader").innerText()).toBe(
        own ? "admin (CELGATE_ADMIN_TOKEN) (this session's token)" : "admin (CELGATE_ADMIN_TOKEN)",
      );
      // no action the service would refuse (409), in the row or anywhere on the page
      expect(await row.getByRole("button").count()).toBe(0);
      expect(await page.getByRole("button", { name: /^Revoke admin \(CELGATE_ADMIN_TOKEN\)/ }).count()).toBe(
        0,
      );
      // instead, why and how
      const state = (await row.getByRole("cell").last().innerText()).replace(/\s+/g, " ");
      expect(state).toContain(
        "Live; set by the service's CELGATE_ADMIN_TOKEN, so it cannot be revoked here.",
      );
      expect(state).toContain(
        "To revoke it, unset (or change) CELGATE_ADMIN_TOKEN on every instance of the service and restart them.",
      );
      // the other tokens keep theirs
      expect(await page.getByRole("button", { name: "Revoke second-admin" }).count()).toBe(1);
      for (const scheme of ["dark", "light"] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe(scheme);
        expect(await accessibilityViolations(page), scheme).toEqual([]);
      }
      expect(sent.filter((r) => r.startsWith("DELETE "))).toEqual([]);
      expect(await page.getByRole("button", { name: "Sign out" }).count()).toBe(1);
      await context.close();
    }
    expect((await stored(ENV_ADMIN_TOKEN_ID))?.revokedAt).toBeNull();
    expect(await live(ADMIN_TOKEN)).toBe(true);
  });
});
