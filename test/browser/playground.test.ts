// The playground evaluates in the browser with @celgate/core: once the page is loaded, every
// request (to the service or anywhere) is blocked, and the decisions must still be right.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accessibilityViolations, type BrowserRun, browserAvailable, startBrowserRun } from "./harness.js";

const manifest = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: ${replicas}
  template:
    spec:
      containers:
        - name: app
          image: registry.example/shop/api:2.0
`;

const POLICY = `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: at-most-five
spec:
  title: Deployments run at most five replicas
  severity: medium
  action: deny
  remediation: Lower spec.replicas.
  match:
    kinds: [Deployment]
  validations:
    - expression: "object.spec.?replicas.orValue(1) <= 5"
      message: more than five replicas
`;

describe.skipIf(!browserAvailable)("the playground with the network blocked", { timeout: 120_000 }, () => {
  let run: BrowserRun;
  const blocked: string[] = [];

  beforeAll(async () => {
    run = await startBrowserRun();
    const { page } = run;
    await page.goto("/playground");
    await page.getByRole("textbox", { name: /^Manifests/ }).waitFor();
    // From here on nothing leaves the page: not to the service, not anywhere.
    await page.context().route("**/*", (route) => {
      blocked.push(route.request().url());
      return route.abort("internetdisconnected");
    });
  }, 120_000);

  afterAll(async () => {
    await run?.close();
  });

  it("states on the page that nothing is sent", async () => {
    const note = await run.page.getByRole("note").innerText();
    expect(note).toMatch(/nothing you paste here is sent to the service/);
  });

  it("evaluates a pasted policy over pasted manifests and gets the right decision, offline", async () => {
    const { page } = run;
    await page.getByRole("checkbox", { name: /built-in library/ }).uncheck();
    await page.getByRole("textbox", { name: /^Policy/ }).fill(POLICY);
    await page.getByRole("textbox", { name: /^Manifests/ }).fill(manifest(8));
    const line = page.locator(".decision-line .badge");
    await expect.poll(() => line.innerText()).toBe("deny");
    const result = page.locator("li.result", { hasText: "at-most-five" });
    expect(await result.innerText()).toContain("more than five replicas");
    expect(await result.innerText()).toContain("Deployments run at most five replicas");

    await page.getByRole("textbox", { name: /^Manifests/ }).fill(manifest(3));
    await expect.poll(() => line.innerText()).toBe("allow");
    expect(blocked).toEqual([]);
  });

  it("uses the built-in library bundled into the page", async () => {
    const { page } = run;
    await page.getByRole("checkbox", { name: /built-in library/ }).check();
    await page.getByRole("textbox", { name: /^Policy/ }).fill("");
    // the library's pod-security policies fail a privileged container
    await page
      .getByRole("textbox", { name: /^Manifests/ })
      .fill(
        manifest(3).replace(
          "image: registry.example/shop/api:2.0",
          "image: registry.example/shop/api:2.0\n          securityContext:\n            privileged: true",
        ),
      );
    // The library already denies the unprivileged manifest (no limits, no digest), so the badge
    // alone does not show that the edited manifest was evaluated: wait for the privileged finding.
    const failing = () => page.locator("li.result-fail strong").allInnerTexts();
    await expect.poll(async () => (await failing()).some((name) => /privileged/.test(name))).toBe(true);
    expect(await page.locator(".decision-line .badge").innerText()).toBe("deny");
    expect(blocked).toEqual([]);
  });

  it("shows a policy's diagnostics at their line and column, and manifest errors too", async () => {
    const { page } = run;
    await page.getByRole("checkbox", { name: /built-in library/ }).uncheck();
    await page.getByRole("textbox", { name: /^Policy/ }).fill(POLICY.replace("<= 5", "<= "));
    const problems = page.getByRole("list", { name: /^Problems in Policy/ });
    await problems.waitFor();
    expect(await problems.innerText()).toMatch(/line 13, column 56: CEL syntax error/);
    // underlined in the editor at that line and column
    const underline = await page.evaluate(() => {
      const content = document.getElementById("pg-policy")!;
      const mark = content.querySelector(".cm-lintRange-error")!;
      const line = mark.closest(".cm-line")!;
      const before = document.createRange();
      before.setStart(line, 0);
      before.setEndBefore(mark);
      return [
        [...content.querySelectorAll(":scope > .cm-line")].indexOf(line) + 1,
        before.toString().length + 1,
      ];
    });
    expect(underline).toEqual([13, 56]);
    await page.getByRole("textbox", { name: /^Manifests/ }).fill("kind: [unclosed\n");
    const manifestProblems = page.getByRole("list", { name: /^Problems in Manifests/ });
    await manifestProblems.waitFor();
    expect(await manifestProblems.innerText()).toMatch(/line \d+/);
    expect(blocked).toEqual([]);
  });

  it("takes a dropped text file in place of the text, and refuses a binary one, keeping the text", async () => {
    const { page } = run;
    const editor = page.getByRole("textbox", { name: /^Manifests/ });
    /** Drops files (name and bytes) onto the manifests editor, as a file manager would. */
    const drop = (files: [string, number[]][]) =>
      editor.evaluate((el, files) => {
        const dt = new DataTransfer();
        for (const [name, bytes] of files) dt.items.add(new File([new Uint8Array(bytes)], name));
        el.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, files);
    const text = manifest(2);
    await drop([["good.yaml", [...new TextEncoder().encode(text)]]]);
    await expect.poll(() => editor.innerText()).toContain("replicas: 2");
    // a picture dropped by mistake: not UTF-8 text; the editor keeps what it had and says why
    const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0xff];
    await drop([["photo.png", png]]);
    const refusal = page.getByRole("alert").filter({ hasText: "photo.png" });
    await refusal.waitFor();
    expect(await refusal.innerText()).toMatch(/photo\.png was not loaded: it is not UTF-8 text/);
    expect(await editor.innerText()).toContain("replicas: 2");
    expect(await editor.innerText()).not.toContain("PNG");
    // text with NUL bytes is not a manifest either
    await drop([["nul.yaml", [0x61, 0x3a, 0x00, 0x62]]]);
    await page.getByRole("alert").filter({ hasText: "nul.yaml" }).waitFor();
    expect(await editor.innerText()).toContain("replicas: 2");
    // the next good file clears the message
    await drop([["again.yaml", [...new TextEncoder().encode(manifest(3))]]]);
    await expect.poll(() => editor.innerText()).toContain("replicas: 3");
    expect(await page.getByRole("alert").filter({ hasText: "was not loaded" }).count()).toBe(0);
    expect(run.recorded.errors).toEqual([]);
  });

  it("sent no request after loading, and logged no error", async () => {
    const violations = await accessibilityViolations(run.page);
    expect(violations).toEqual([]);
    expect(blocked).toEqual([]);
    expect(run.recorded.foreign).toEqual([]);
    expect(run.recorded.errors).toEqual([]);
    // what it loaded before the block: the page and its scripts, no API call
    expect(run.recorded.requests.filter((r) => r.includes("/v1/"))).toEqual([]);
  });
});
