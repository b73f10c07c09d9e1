// Bidirectional controls and invisible characters in what callers store, in Chromium against the
// real service (PGlite, real HTTP): on every page that shows such text, each character is a marked
// token naming its code point (`⟨U+202E⟩`), none is left raw in the rendered text (inputs and
// editors keep the raw value), a "Trojan source" title reads in its stored order, and Hebrew,
// Arabic and emoji (joiners, skin tones and flag tags included) are shown unchanged and unmarked.
import type { Page } from "playwright-core";
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

/** Reads "allowdeny" with the override acting; stored, it is "allow" + RLO + "yned". */
const TROJAN = "allow\u202Eyned";
/** Every bidi embedding, override and isolate, the zero-width characters and the separators. */
const CONTROLS =
  "x\u202Aa\u202Bb\u202Cc\u202Dd\u2066e\u2067f\u2068g\u2069h\u200Bi\u200Cj\u200Ek\u200Fl\u2060m\u00ADn\uFEFFo\u2028p\u2029q\u061Cr\rs";
const HEBREW = "שלום";
const ARABIC = "مرحبا";
/** Words written with a joiner: a Persian non-joiner, a Hindi conjunct's half form. */
const PERSIAN = "می\u200Cخواهم";
const HINDI = "क्\u200Dष";
/** A ZWJ sequence with a skin tone, a flag joined by ZWJ with a selector, and a tag-sequence flag. */
const EMOJI = "👩🏽‍💻 🏳️‍🌈 🏴󠁧󠁢󠁳󠁣󠁴󠁿";
const SCRIPTS = `${HEBREW} ${ARABIC} ${EMOJI}`;
/** Looks like "webapp". */
const LOOKALIKE = "web\u200Bapp";

/**
 * The raw characters the console must never leave in rendered text (a regular expression's
 * source, for the page). U+200D is not here: the emoji need it; that it is kept only there is
 * checked through the markers.
 */
const RAW = String.raw`[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B\u200C\u200E\u200F\u2028-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]`;

/**
 * A document as YAML the service parses: JSON, a subset of YAML, with every non-ASCII character
 * of the Basic Multilingual Plane escaped, so that YAML's own rules on line separators and byte
 * order marks never touch the test's strings (astral characters, the emoji, stay as they are).
 */
const yamlOf = (doc: unknown) =>
  JSON.stringify(doc).replace(
    /[\u007F-\uD7FF\uE000-\uFFFF]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );

const POLICY = {
  apiVersion: "celgate.dev/v1",
  kind: "Policy",
  metadata: { name: "bidi-policy", labels: { practice: `bidi${TROJAN}` } },
  spec: {
    title: `Title ${TROJAN} ${SCRIPTS}`,
    description: `Description ${CONTROLS}`,
    remediation: `Remediation ${TROJAN} ${SCRIPTS}`,
    severity: "high",
    action: "deny",
    match: { kinds: ["Deployment"] },
    validations: [
      {
        expression: "false",
        // written as a CEL escape: an expression holding the override itself is refused
        // (cel-hidden-character); the message it makes holds it
        messageExpression: `"message allow\\u202Eyned ${HEBREW} " + object.metadata.name`,
        fieldPath: "spec.\u2067x\u2069",
      },
    ],
  },
};

const EXCEPTION = {
  apiVersion: "celgate.dev/v1",
  kind: "PolicyException",
  metadata: { name: "bidi-exception" },
  spec: {
    policies: ["bidi-policy"],
    match: { names: ["nothing-matches"] },
    reason: `Reason ${TROJAN} ${CONTROLS} ${SCRIPTS}`,
    owner: "team\u200B",
    expires: new Date(Date.now() + 2 * 86_400_000).toISOString(),
  },
};

const deployment = (name: string, namespace: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace },
  spec: {
    template: { spec: { containers: [{ name: "app", image: "registry.example/shop/web\u200B:1.0" }] } },
  },
});

const DIGEST = `sha256:${"c3".repeat(32)}`;

interface Seen {
  /** Text nodes outside inputs and editors holding a raw character, with the element around them. */
  raw: string[];
  /** The code points of the marked tokens shown. */
  marked: string[];
  /** `main`'s text as rendered. */
  text: string;
}

/** What the page shows, read from the DOM: raw characters left, tokens, and the text. */
async function seen(page: Page): Promise<Seen> {
  return page.evaluate((source) => {
    const raw = new RegExp(source, "u");
    const out: string[] = [];
    const editable = "input, textarea, [contenteditable='true'], .cm-editor, script, style";
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest(editable)) continue;
      if (raw.test(n.nodeValue ?? ""))
        out.push(`<${el.localName}> ${JSON.stringify(n.nodeValue).slice(0, 120)}`);
    }
    // what a tooltip or a screen reader says is shown text too
    for (const el of document.body.querySelectorAll("*")) {
      if (el.closest(editable)) continue;
      for (const name of ["title", "aria-label", "placeholder", "alt"]) {
        const v = el.getAttribute(name);
        if (v && raw.test(v)) out.push(`<${el.localName} ${name}> ${JSON.stringify(v).slice(0, 120)}`);
      }
    }
    const main = document.querySelector("main") as HTMLElement;
    return {
      raw: out,
      marked: [...main.querySelectorAll(".invisible-char")].map((e) => e.textContent ?? ""),
      text: main.innerText,
    };
  }, RAW);
}

/** Goes to `path` and waits until nothing is loading. */
async function open(page: Page, path: string, ready: string): Promise<Seen> {
  await page.goto(path);
  await page.locator("main").getByText(ready, { exact: false }).first().waitFor();
  await expect.poll(() => page.getByRole("status").filter({ hasText: "Loading" }).count()).toBe(0);
  return seen(page);
}

describe.skipIf(!browserAvailable)("invisible characters in the console", { timeout: 120_000 }, () => {
  let run: BrowserRun;
  let admin: CelgateClient;
  let evaluation: string;

  beforeAll(async () => {
    run = await startBrowserRun();
    admin = createClient({ baseUrl: run.baseUrl, token: ADMIN_TOKEN });
    await admin.policies.create(yamlOf(POLICY));
    await admin.exceptions.create(yamlOf(EXCEPTION));
    // a token's name may hold no such character (the service refuses it: two actors that read
    // alike would be one), so the token pages show the scripts only
    await admin.tokens.create({ name: `ci ${HEBREW}`, role: "viewer" });
    await admin.images.push({
      ref: `registry.example/shop/web@${DIGEST}`,
      digest: DIGEST,
      user: `root${TROJAN}`,
      scan: {
        scanner: "trivy\u200B",
        scannedAt: new Date(Date.now() - 20 * 86_400_000).toISOString(),
        vulnerabilities: [
          {
            id: "CVE-2026-0001",
            severity: "high",
            package: `open\u2066ssl\u2069`,
            installedVersion: "1.0",
            fixedVersion: "1.1",
          },
        ],
      },
    });
    const report = await admin.evaluate({
      manifests: `${yamlOf(deployment(LOOKALIKE, "shop"))}\n---\n${yamlOf(deployment(`${TROJAN}-${HEBREW}`, "shop\u2067x\u2069"))}`,
      context: { cluster: "prod\u200F", deployed: true, [`env${TROJAN}`]: `value ${CONTROLS} ${SCRIPTS}` },
    });
    evaluation = report.id!;
    expect(report.decision).toBe("deny");
    await signIn(run.page, ADMIN_TOKEN);
  }, 120_000);

  afterAll(async () => {
    await run?.close();
  });

  it("marks each invisible character on every page and leaves none raw; scripts and emoji unchanged", async () => {
    const { page } = run;
    const problems: string[] = [];
    // [path, text shown once the data is there, tokens that must be shown, whether the page
    // shows the Hebrew, Arabic and emoji]
    const pages: [string, string, string[], boolean][] = [
      ["/", "Exceptions expiring", ["⟨U+202E⟩", "⟨U+200B⟩"], false],
      ["/history", "env", ["⟨U+202E⟩", "⟨U+202A⟩", "⟨U+2028⟩", "⟨U+000D⟩", "⟨U+FEFF⟩"], true],
      [`/evaluations/${evaluation}`, "message", ["⟨U+202E⟩", "⟨U+200B⟩", "⟨U+2067⟩", "⟨U+2069⟩"], true],
      ["/policies", "bidi-policy", ["⟨U+202E⟩"], true],
      [
        "/policies/bidi-policy",
        "Remediation",
        ["⟨U+202E⟩", "⟨U+202A⟩", "⟨U+2029⟩", "⟨U+061C⟩", "⟨U+00AD⟩"],
        true,
      ],
      ["/exceptions", "bidi-exception", ["⟨U+202E⟩", "⟨U+2066⟩", "⟨U+200C⟩"], true],
      ["/inventory", "Deployment", ["⟨U+200F⟩", "⟨U+200B⟩", "⟨U+202E⟩", "⟨U+2067⟩"], false],
      ["/images", "registry.example", ["⟨U+200B⟩"], false],
      [
        `/images?digest=${encodeURIComponent(DIGEST)}`,
        "CVE-2026-0001",
        ["⟨U+202E⟩", "⟨U+200B⟩", "⟨U+2066⟩"],
        false,
      ],
      ["/tokens", "Revoke", [], false],
      ["/audit", "token", [], false],
      ["/policies/bidi-policy/edit", "Policy (YAML)", [], false],
    ];
    for (const [path, ready, tokens, scripts] of pages) {
      const s = await open(page, path, ready);
      problems.push(...s.raw.map((r) => `${path}: raw ${r}`));
      for (const t of tokens) if (!s.marked.includes(t)) problems.push(`${path}: no ${t} marker`);
      // the joiners, selectors, skin tones and tags of the emoji are never marked
      for (const t of s.marked)
        if (/^⟨U\+(200D|FE0F|1F3FD|E00[0-7][0-9A-F])⟩$/.test(t))
          problems.push(`${path}: emoji part marked ${t}`);
      if (scripts)
        for (const x of [HEBREW, ARABIC, ...EMOJI.split(" ")])
          if (!s.text.includes(x)) problems.push(`${path}: ${x} is not shown as it is`);
    }
    expect(problems).toEqual([]);
    const before = (await admin.policies.get("bidi-policy")).document;
    expect((before.spec as { title: string }).title).toBe(POLICY.spec.title);
    // the editor draws them as tokens too (CodeMirror decorations), and holds the stored text,
    // raw: saving it unchanged stores the same document
    expect(
      await page.locator(".cm-editor .invisible-char").filter({ hasText: "⟨U+202E⟩" }).count(),
    ).toBeGreaterThan(0);
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL((url) => url.pathname === "/policies/bidi-policy");
    const stored = await admin.policies.get("bidi-policy");
    expect(stored.version).toBe(2);
    expect(stored.document).toEqual(before);
    expect(run.recorded.errors).toEqual([]);
  });

  it("marks a stray zero-width joiner or non-joiner in the source editor by the read-only pages' rule, and saves the text unchanged", async () => {
    const { page } = run;
    // the joiners read-only pages keep: inside a Persian and a Hindi word, inside an emoji; and
    // those they mark: inside a Latin YAML key and a Latin word, after an Arabic word, doubled
    const kept = `Persian ${PERSIAN} Hindi ${HINDI} ${EMOJI}`;
    const source = [
      "apiVersion: celgate.dev/v1",
      "kind: Policy",
      "metadata:",
      "  name: joiner-policy",
      "  labels:",
      "    practice: joiners",
      "spec:",
      `  title: ${kept}`,
      `  description: "stray a\u200Db and ${ARABIC}\u200D then x\u200C\u200Cy"`,
      "  severity: low",
      "  action: warn",
      "  match:",
      "    kinds: [Deployment]",
      "  params:",
      "    web\u200Capp: yes",
      "  validations:",
      '    - expression: "true"',
      "      message: ok",
    ].join("\n");
    await page.goto("/policies/new");
    const editor = page.getByRole("textbox", { name: /^Policy \(YAML\)/ });
    await editor.fill(source);
    const tokens = () =>
      page
        .locator(".cm-editor .invisible-char")
        .evaluateAll((els) =>
          els.map((e) => [
            e.textContent,
            e.getAttribute("title"),
            e.closest(".cm-line")?.textContent?.trim(),
          ]),
        );
    await expect.poll(async () => (await tokens()).length).toBeGreaterThan(0);
    expect(await tokens()).toEqual([
      ["⟨U+200D⟩", "U+200D ZERO WIDTH JOINER", expect.stringContaining("stray a⟨U+200D⟩b")],
      ["⟨U+200D⟩", "U+200D ZERO WIDTH JOINER", expect.stringContaining(`${ARABIC}⟨U+200D⟩ then`)],
      ["⟨U+200C⟩", "U+200C ZERO WIDTH NON-JOINER", expect.stringContaining("x⟨U+200C⟩⟨U+200C⟩y")],
      ["⟨U+200C⟩", "U+200C ZERO WIDTH NON-JOINER", expect.stringContaining("x⟨U+200C⟩⟨U+200C⟩y")],
      ["⟨U+200C⟩", "U+200C ZERO WIDTH NON-JOINER", "web⟨U+200C⟩app: yes"],
    ]);
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL((url) => url.pathname === "/policies/joiner-policy");
    const stored = (await admin.policies.get("joiner-policy")).document as {
      spec: { title: string; description: string; params: Record<string, string> };
    };
    expect(stored.spec.title).toBe(kept);
    expect(stored.spec.description).toBe(`stray a\u200Db and ${ARABIC}\u200D then x\u200C\u200Cy`);
    expect(Object.keys(stored.spec.params)).toEqual(["web\u200Capp"]);
    await admin.policies.remove("joiner-policy");
    expect(run.recorded.errors).toEqual([]);
  });

  it("shows a Trojan-source title in its stored order, the override as a token", async () => {
    const { page } = run;
    await open(page, "/policies/bidi-policy", "Remediation");
    const lead = page.locator("main p.lead");
    expect(await lead.innerText()).toContain("Title allow⟨U+202E⟩yned");
    const marker = lead.locator(".invisible-char").first();
    expect(await marker.getAttribute("title")).toBe("U+202E RIGHT-TO-LEFT OVERRIDE");
    expect(await marker.getAttribute("aria-label")).toBe("U+202E RIGHT-TO-LEFT OVERRIDE");
    // laid out left to right as stored: with the override acting, "yned" would be drawn reversed
    const xs = await lead.evaluate((el) => {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const at = (n.nodeValue ?? "").indexOf("yned");
        if (at < 0) continue;
        return [0, 1, 2, 3].map((i) => {
          const r = document.createRange();
          r.setStart(n, at + i);
          r.setEnd(n, at + i + 1);
          return r.getBoundingClientRect().left;
        });
      }
      return [];
    });
    expect(xs).toHaveLength(4);
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    // two names that look alike look different
    await open(page, `/evaluations/${evaluation}`, "message");
    expect(await page.getByRole("region", { name: "Deployment shop/web⟨U+200B⟩app" }).count()).toBe(1);
  });

  it("marks them in the findings a policy change opens and in a replay's outcomes", async () => {
    const { page } = run;
    // a new policy the deployed objects fail: re-evaluation opens a finding for each
    await admin.policies.create(
      yamlOf({
        ...POLICY,
        metadata: { name: "bidi-second", labels: {} },
        spec: { ...POLICY.spec, title: "second" },
      }),
    );
    await expect
      .poll(async () => (await admin.findings.list({ policy: "bidi-second" })).items.length, {
        timeout: 60_000,
      })
      .toBe(2);
    const findings = await open(page, "/findings", "bidi-second");
    expect(findings.raw).toEqual([]);
    for (const t of ["⟨U+200F⟩", "⟨U+200B⟩", "⟨U+202E⟩", "⟨U+2067⟩"]) expect(findings.marked).toContain(t);
    expect(findings.text).toContain(HEBREW);

    // a candidate that passes: every outcome of bidi-policy would change
    await page.goto(`/replay?evaluations=${evaluation}`);
    const editor = page.getByRole("textbox", { name: /^Candidate policies/ });
    await editor.fill(
      yamlOf({ ...POLICY, spec: { ...POLICY.spec, validations: [{ expression: "true", message: "ok" }] } }),
    );
    await page.getByRole("button", { name: "Run replay" }).click();
    const outcomes = page.getByRole("table", { name: "Outcomes that would change" });
    await outcomes.waitFor();
    const replay = await seen(page);
    expect(replay.raw).toEqual([]);
    expect(await outcomes.innerText()).toContain("Deployment shop/web⟨U+200B⟩app");
    expect(await outcomes.innerText()).toContain(
      `Deployment shop⟨U+2067⟩x⟨U+2069⟩/allow⟨U+202E⟩yned-${HEBREW}`,
    );
  });

  it("passes the accessibility check with markers on the page", async () => {
    const { page } = run;
    for (const path of ["/policies/bidi-policy", `/evaluations/${evaluation}`, "/exceptions"]) {
      await open(page, path, "⟨U+202E⟩");
      expect(await accessibilityViolations(page), path).toEqual([]);
    }
  });
});
