// The playground evaluates in the browser with @celgate/core, in a worker: once the page is
// loaded, every request (to the service or anywhere) is blocked but the worker's own script, and
// the decisions must still be right.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPlayground } from "../../apps/web/src/lib/playground-run.js";
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
    // The one exception is the evaluation's worker script, fetched again for each new worker: a
    // browser serves it from its cache (immutable) when offline, but routing here turns the
    // cache off. It is a GET of the console's own code, carrying nothing pasted.
    await page.context().route("**/*", (route) => {
      const request = route.request();
      const url = new URL(request.url());
      if (
        url.origin === new URL(run.baseUrl).origin &&
        request.method() === "GET" &&
        /^\/assets\/playground\.worker-[\w-]+\.js$/.test(url.pathname) &&
        url.search === ""
      )
        return route.continue();
      blocked.push(request.url());
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

  it("refuses a 50 MB paste or drop before the editor takes it, naming its size and the limit", async () => {
    const { page } = run;
    const editor = page.getByRole("textbox", { name: /^Manifests/ });
    await editor.fill(manifest(4));
    // one line of 50,000,000 characters: before, the tab froze for about 15 s taking it
    const took = await editor.evaluate((el) => {
      const started = performance.now();
      const dt = new DataTransfer();
      dt.setData("text/plain", "a".repeat(50_000_000));
      el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
      return performance.now() - started;
    });
    const pasted = page.getByRole("alert").filter({ hasText: "The text was not taken" });
    await pasted.waitFor();
    expect(await pasted.innerText()).toBe(
      `The text was not taken: it would be ${(manifest(4).length + 50_000_000).toLocaleString("en-US")} characters, over the limit of 33,554,432 (32 MiB); split it into smaller files.`,
    );
    expect(took).toBeLessThan(2_000);
    expect(await editor.innerText()).toContain("replicas: 4");
    // a dropped file is refused by its size, before it is read
    await editor.evaluate((el) => {
      const dt = new DataTransfer();
      dt.items.add(new File(["b".repeat(40_000_000)], "huge.yaml"));
      el.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    const dropped = page.getByRole("alert").filter({ hasText: "huge.yaml" });
    await dropped.waitFor();
    expect(await dropped.innerText()).toBe(
      "huge.yaml was not loaded: it is 40,000,000 bytes, over the limit of 33,554,432 (32 MiB) bytes; split it into smaller files",
    );
    expect(await editor.innerText()).toContain("replicas: 4");
  });

  it("ends an evaluation that runs past its time limit, and says so", async () => {
    const { page } = run;
    await page.getByRole("textbox", { name: /^Policy/ }).fill("");
    await page.getByRole("checkbox", { name: /built-in library/ }).check();
    const editor = page.getByRole("textbox", { name: /^Manifests/ });
    // 10,000 deployments (2 MB): several seconds even in a warm worker, past the limit of one
    const bundle = Array.from({ length: 10_000 }, (_, i) =>
      manifest(2).replace("name: api", `name: big-${i}`),
    ).join("---\n");
    await editor.fill("");
    await page.getByText("No resource to evaluate").waitFor({ timeout: 30_000 });
    await page.getByLabel(/Stop an evaluation after/).fill("1");
    await editor.evaluate((el, text) => {
      const dt = new DataTransfer();
      dt.setData("text/plain", text);
      el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
    }, bundle);
    const stopped = page.locator(".grid-2 [role=alert]");
    await stopped.waitFor({ timeout: 30_000 });
    expect(await stopped.innerText()).toMatch(/^The evaluation was stopped after 1 s, its time limit/);
    expect(await page.getByRole("status").filter({ hasText: "Evaluating" }).count()).toBe(0);
    // a new input starts again, under the limit now raised
    await page.getByLabel(/Stop an evaluation after/).fill("60");
    await editor.fill(manifest(3));
    await expect
      .poll(() => page.locator(".decision-line").innerText(), { timeout: 30_000 })
      .toMatch(/allow|deny|warn/);
    expect(await stopped.count()).toBe(0);
    expect(await page.locator(".decision-line").innerText()).toContain("1 resources");
  });

  it("evaluates in a worker: the page keeps drawing while a large input is evaluated, and the report is the engine's", async () => {
    const { page } = run;
    await page.getByRole("textbox", { name: /^Policy/ }).fill("");
    await page.getByRole("checkbox", { name: /built-in library/ }).check();
    // 3,000 deployments against the library: a second or more of evaluation
    const bundle = Array.from({ length: 3000 }, (_, i) =>
      manifest(2).replace("name: api", `name: api-${i}`),
    ).join("---\n");
    const editor = page.getByRole("textbox", { name: /^Manifests/ });
    await editor.fill("");
    await expect.poll(() => page.locator(".decision-line").count()).toBe(0);
    // every frame drawn, and whether the page said it was evaluating then
    await page.evaluate(() => {
      const frames: [number, boolean][] = [];
      (window as unknown as { frames_: typeof frames }).frames_ = frames;
      const tick = (t: number) => {
        const status = document.querySelector('[role="status"]')?.textContent ?? "";
        frames.push([t, status.startsWith("Evaluating")]);
        if (frames.length < 100_000) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await editor.evaluate((el, text) => {
      const dt = new DataTransfer();
      dt.setData("text/plain", text);
      el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
    }, bundle);
    // while the page says it is evaluating, a worker of the playground's runs it
    await page.getByRole("status").filter({ hasText: "Evaluating" }).waitFor({ timeout: 30_000 });
    await expect
      .poll(() => page.workers().some((w) => w.url().includes("playground.worker")), { timeout: 30_000 })
      .toBe(true);
    await page.locator(".decision-line").waitFor({ timeout: 120_000 });
    const frames = await page.evaluate(() => (window as unknown as { frames_: [number, boolean][] }).frames_);
    const evaluating = frames.filter(([, busy]) => busy).map(([t]) => t);
    // the page kept drawing meanwhile: on the page's own thread, this evaluation would hold every
    // frame for its whole length; the bound is loose, for a machine busy with other work
    expect(evaluating.length).toBeGreaterThan(5);
    const gaps = evaluating.slice(1).map((t, i) => t - evaluating[i]!);
    expect(Math.max(...gaps)).toBeLessThan(1000);
    // the same report as the engine gives on the page's thread, as the playground did before
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download JSON" }).click(),
    ]);
    const shown = JSON.parse(await readFile((await download.path())!, "utf8"));
    const expected = runPlayground({ manifests: bundle, policy: "", images: "", useLibrary: true }).report!;
    expect(shown.results.length).toBe(expected.results.length);
    expect({ ...shown, evaluatedAt: "" }).toEqual({ ...expected, evaluatedAt: "" });
    expect(blocked).toEqual([]);
    // back to a small report, for the checks after
    await editor.fill(manifest(3));
    await expect
      .poll(() => page.locator(".decision-line").innerText(), { timeout: 30_000 })
      .toContain("1 resources");
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
