// A policy's tests on its page, and editor diagnostics at their position, in Chromium against
// the real service over a repository with tests (apps/server/src/test/fixtures/policy-tests:
// replica-limit has six cases, two of them failing on purpose).
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../packages/sdk/src/index.js";
import {
  ADMIN_TOKEN,
  accessibilityViolations,
  type BrowserRun,
  browserAvailable,
  FIXTURE_POLICY_DIR,
  signIn,
  startBrowserRun,
} from "./harness.js";

const TESTS_DIR = join(FIXTURE_POLICY_DIR, "../policy-tests");

/** A policy whose CEL expression has an error at line 12, column 44 (the `)` after `<=`). */
const BROKEN = `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: broken-in-editor
spec:
  severity: low
  action: warn
  match:
    kinds: [Deployment]
  validations:
    - message: too many
      expression: "object.spec.replicas <= )"
`;

/**
 * Where the editor underlines its first diagnostic: the 1-based line and column of the start of
 * the underlined range, read from the editor's DOM (the line element it is in, and the text
 * before it on that line).
 */
function underlinePosition(page: Page, editorId: string) {
  return page.evaluate((id) => {
    const content = document.getElementById(id)!;
    const mark = content.querySelector(".cm-lintRange-error");
    if (!mark) return null;
    const line = mark.closest(".cm-line")!;
    const lines = [...content.querySelectorAll(":scope > .cm-line")];
    const before = document.createRange();
    before.setStart(line, 0);
    before.setEndBefore(mark);
    return { line: lines.indexOf(line) + 1, column: before.toString().length + 1, text: mark.textContent };
  }, editorId);
}

/** The 1-based line of the editor's cursor. */
function cursorLine(page: Page, editorId: string) {
  return page.evaluate((id) => {
    const content = document.getElementById(id)!;
    const node = getSelection()?.focusNode;
    const el = node instanceof Element ? node : node?.parentElement;
    const line = el?.closest(".cm-line");
    return line ? [...content.querySelectorAll(":scope > .cm-line")].indexOf(line) + 1 : 0;
  }, editorId);
}

describe.skipIf(!browserAvailable)(
  "a policy's tests and the editor's diagnostics",
  { timeout: 120_000 },
  () => {
    let run: BrowserRun;

    beforeAll(async () => {
      run = await startBrowserRun({ CELGATE_POLICY_DIR: TESTS_DIR });
      await signIn(run.page, ADMIN_TOKEN);
    }, 120_000);

    afterAll(async () => {
      await run?.close();
    });

    it("lists a policy's test cases with their expected outcome and input", async () => {
      const { page } = run;
      await page.goto("/policies/replica-limit");
      const table = page.getByRole("table", { name: "Test cases of replica-limit" });
      await table.waitFor();
      const rows = table.locator("tbody tr");
      expect(await rows.count()).toBe(6);
      expect(await rows.nth(0).innerText()).toMatch(
        /three replicas pass[\s\S]*pass[\s\S]*Deployment shop\/small/,
      );
      const fixture = rows.filter({ hasText: "eight replicas fail" });
      expect(await fixture.innerText()).toContain("message contains “more than 5”");
      // the input opens from the keyboard, with the fixture's text
      const summary = fixture.locator("summary");
      expect(await summary.innerText()).toBe("fixtures/eight-replicas.yaml");
      const input = fixture.locator("section", { hasText: "replicas: 8" });
      expect(await input.isVisible()).toBe(false);
      await summary.focus();
      await page.keyboard.press("Enter");
      await input.waitFor();
      expect(await input.getAttribute("aria-label")).toBe("Input of eight replicas fail");
      // the broken test file of the policy is reported at its line
      expect(await page.getByRole("list", { name: "Problems in the test files" }).innerText()).toMatch(
        /replica-limit_test\.yaml:10:\d+: /,
      );
    });

    it("runs the tests and shows pass or fail per case, with the reasons and messages", async () => {
      const { page } = run;
      await page.goto("/policies/replica-limit");
      const table = page.getByRole("table", { name: "Test cases of replica-limit" });
      await table.waitFor();
      // from the keyboard
      await page.getByRole("button", { name: "Run tests" }).focus();
      await page.keyboard.press("Enter");
      await expect
        .poll(() => page.getByRole("status").filter({ hasText: "passed" }).innerText())
        .toBe("4 passed, 2 failed (version 1)");
      const row = (name: string) => table.locator("tbody tr", { hasText: name });
      expect(await row("three replicas pass").locator("td").last().innerText()).toMatch(/^passed got pass$/);
      const messages = row("eight replicas fail").getByRole("list", { name: "Messages" });
      expect(await messages.innerText()).toBe("more than 5 replicas");
      const wrong = await row("nine replicas expected to pass").locator("td").last().innerText();
      expect(wrong).toContain("failed");
      expect(wrong).toContain("expected pass, got fail: more than 5 replicas");
      // a failing case says where its entry is, as `celgate test` does
      expect(wrong).toContain("at replica-limit.test.yaml:40:7");
      expect(await row("a fixture outside the repository").locator("td").last().innerText()).toContain(
        "cannot read fixture ../outside.yaml",
      );
      expect(run.recorded.requests).toContain("POST /v1/policies/replica-limit/tests:run");
    });

    it("says why a policy has no tests: none in the repository, or created through the API", async () => {
      const { page } = run;
      await page.goto("/policies/untested");
      await page.getByText("the policy repository holds no PolicyTest for untested").waitFor();
      expect(await page.getByRole("button", { name: "Run tests" }).count()).toBe(0);
      const admin = createClient({ baseUrl: run.baseUrl, token: ADMIN_TOKEN });
      await admin.policies.create(BROKEN.replace("broken-in-editor", "made-by-api").replace("<= )", "<= 3"));
      await page.goto("/policies/made-by-api");
      await page.getByText("made-by-api was created through the API").waitFor();
      expect(await page.getByRole("button", { name: "Run tests" }).count()).toBe(0);
    });

    it("shows a CEL error in the editor at its line and column, with its message, and in the list", async () => {
      const { page } = run;
      await page.goto("/policies/new");
      const editor = page.getByRole("textbox", { name: "Policy (YAML)" });
      await editor.fill(BROKEN);
      await page.getByRole("button", { name: "Check" }).click();
      const problems = page.getByRole("list", { name: "Problems in Policy (YAML)" });
      await problems.waitFor();
      const listed = /line (\d+), column (\d+)/.exec(await problems.innerText());
      expect(listed?.slice(1)).toEqual(["12", "44"]);
      // underlined in the editor where the list says
      await expect
        .poll(() => underlinePosition(page, "policy-source"))
        .toEqual({ line: 12, column: 44, text: ")" });
      expect(await editor.getAttribute("aria-invalid")).toBe("true");
      // the message on hover
      await page.locator("#policy-source .cm-lintRange-error").hover();
      const tooltip = page.locator(".cm-tooltip-lint");
      await tooltip.waitFor();
      expect(await tooltip.innerText()).toContain("syntax error");
      // choosing the problem puts the cursor there; F8 from the keyboard goes to it too
      await problems.getByRole("button", { name: /line 12/ }).click();
      expect(await cursorLine(page, "policy-source")).toBe(12);
      await page.keyboard.press("Control+Home");
      expect(await cursorLine(page, "policy-source")).toBe(1);
      await page.keyboard.press("F8");
      expect(await cursorLine(page, "policy-source")).toBe(12);
      // fixing it clears the marks
      await editor.fill(BROKEN.replace("<= )", "<= 3"));
      await page.getByRole("button", { name: "Check" }).click();
      await page.getByRole("status").filter({ hasText: "The policy is valid." }).waitFor();
      expect(await page.locator("#policy-source .cm-lintRange-error").count()).toBe(0);
    });

    it("passes the accessibility check on the policy page (with results) and the editor, light and dark, with no request elsewhere and no console error", async () => {
      const { page, recorded } = run;
      for (const scheme of ["light", "dark"] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await page.goto("/policies/replica-limit");
        await page.getByRole("table", { name: "Test cases of replica-limit" }).waitFor();
        await page.getByRole("button", { name: "Run tests" }).click();
        await page.getByRole("status").filter({ hasText: "passed" }).waitFor();
        await page
          .locator("details")
          .first()
          .evaluate((d) => (d as HTMLDetailsElement).setAttribute("open", ""));
        expect(await accessibilityViolations(page), `${scheme} policy`).toEqual([]);
        await page.goto("/policies/new");
        await page.getByRole("textbox", { name: "Policy (YAML)" }).fill(BROKEN);
        await page.getByRole("button", { name: "Check" }).click();
        await page.getByRole("list", { name: "Problems in Policy (YAML)" }).waitFor();
        expect(await accessibilityViolations(page), `${scheme} editor`).toEqual([]);
      }
      expect(recorded.foreign).toEqual([]);
      expect(recorded.errors).toEqual([]);
    });
  },
);
