// The web console's static files at `/` and the API reference's own script at /docs, through
// the real app over PGlite: client routes fall back to the page, the API's paths are never
// shadowed, and the service works the same with no console built.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../app.js";
import { openPglite } from "../../db/client.js";
import { loadConfig } from "../../env.js";
import { createLogger } from "../../lib/logger.js";
import { startServer } from "../../server.js";
import { FIXTURE_POLICY_DIR, setupApp, type TestApp } from "../../test/harness.js";
import { CONSOLE_CSP, findReferenceScript, RESERVED_PREFIXES } from "./console.js";

const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head></html>';

let t: TestApp;
let dir: string;
let withConsole: App;
let withoutConsole: App;
beforeAll(async () => {
  t = await setupApp("pglite");
  dir = mkdtempSync(join(tmpdir(), "celgate-console-"));
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), INDEX);
  writeFileSync(join(dir, "assets", "index-abc123.js"), "console.log('celgate')");
  writeFileSync(join(dir, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  withConsole = createApp({ services: t.services, bodyLimit: 1 << 20, consoleDir: dir });
  withoutConsole = createApp({ services: t.services, bodyLimit: 1 << 20, consoleDir: join(dir, "missing") });
});
afterAll(async () => {
  await t?.database.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = () => ({ authorization: `Bearer ${t.tokens.viewer}` });

describe("the console at /", () => {
  it("serves the page, with a same-origin CSP and revalidation", async () => {
    const res = await withConsole.request("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).not.toMatch(/https?:|\*/);
    expect(await res.text()).toBe(INDEX);
  });

  it("answers client routes with the page and hashed assets with a year of caching", async () => {
    for (const path of ["/history", "/evaluations/abc", "/policies/x/versions"]) {
      const res = await withConsole.request(path);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toBe(INDEX);
    }
    const asset = await withConsole.request("/assets/index-abc123.js");
    expect(asset.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const etag = asset.headers.get("etag")!;
    expect(
      (await withConsole.request("/assets/index-abc123.js", { headers: { "if-none-match": etag } })).status,
    ).toBe(304);
    expect((await withConsole.request("/favicon.svg")).headers.get("cache-control")).toBe("no-cache");
    const head = await withConsole.request("/", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("answers a missing asset or file with 404, not the page", async () => {
    for (const path of ["/assets/index-old.js", "/robots.txt", "/../package.json"]) {
      const res = await withConsole.request(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
  });

  it("sends the page with headers that forbid framing, sniffing and referrers", async () => {
    for (const path of ["/", "/history", "/assets/index-abc123.js"]) {
      const res = await withConsole.request(path);
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("referrer-policy"), path).toBe("no-referrer");
      expect(res.headers.get("content-security-policy"), path).toMatch(/frame-ancestors 'none'/);
    }
    // no inline script and no eval: the CSP names no 'unsafe-inline' or 'unsafe-eval' for scripts
    const script = CONSOLE_CSP.split("; ").find((d) => d.startsWith("script-src"));
    expect(script).toBe("script-src 'self'");
  });

  it("answers a probe for a path outside the console with 404, never the page", async () => {
    for (const path of [
      "/..%2f..%2fetc/passwd",
      "/..%2F..%2Fpackage.json",
      "/a%5c..%5c..%5cetc%5cpasswd",
      "/a%00b",
      "/history%00",
      "/a%0d%0aSet-Cookie:x=1",
      "/a%20b",
      "//evil.example/x",
      "/history//x",
      `/${"a".repeat(600)}`,
      // a mistyped API path is the API's 404, not the page
      "/V1/policies",
      "/v1%2fpolicies",
      "/Docs",
    ]) {
      const res = await withConsole.request(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type"), path).toBe("application/problem+json");
      expect(await res.text(), path).not.toContain("<html");
    }
  });

  it("answers a client route with the page only when a browser navigates to it", async () => {
    const page = (headers: Record<string, string>) => withConsole.request("/history", { headers });
    expect((await page({ "sec-fetch-mode": "navigate", accept: "text/html" })).status).toBe(200);
    expect((await page({ accept: "text/html,application/xhtml+xml,*/*;q=0.8" })).status).toBe(200);
    expect((await page({ accept: "*/*" })).status).toBe(200);
    // a script's fetch or import of a path the build does not have
    expect((await page({ "sec-fetch-mode": "cors", accept: "*/*" })).status).toBe(404);
    expect((await page({ "sec-fetch-mode": "no-cors" })).status).toBe(404);
    // an API client that asked for JSON at a mistyped path
    const json = await page({ accept: "application/json" });
    expect(json.status).toBe(404);
    expect(json.headers.get("content-type")).toBe("application/problem+json");
  });

  it("never shadows the API or the service's own pages", async () => {
    expect(RESERVED_PREFIXES).toEqual(["/v1", "/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"]);
    for (const app of [withConsole, withoutConsole]) {
      expect((await app.request("/healthz")).status).toBe(200);
      expect((await app.request("/metrics")).status).toBe(200);
      expect((await app.request("/openapi.json")).headers.get("content-type")).toMatch(/json/);
      expect((await app.request("/v1/policies", { headers: auth() })).status).toBe(200);
      const unknown = await app.request("/v1/no-such-route", { headers: auth() });
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get("content-type")).toBe("application/problem+json");
      // unauthenticated API calls are still refused, not answered with the page
      expect((await app.request("/v1/evaluations")).status).toBe(401);
      expect((await app.request("/docs/nothing")).status).toBe(404);
    }
  });

  it("works without a built console: / is a 404 saying so, the API answers", async () => {
    const res = await withoutConsole.request("/");
    expect(res.status).toBe(404);
    expect((await withoutConsole.request("/history")).status).toBe(404);
    expect((await withoutConsole.request("/v1/policies", { headers: auth() })).status).toBe(200);
  });
});

describe("a service started without a built console", () => {
  it("starts, is ready and answers the API; / is a 404", async () => {
    const database = await openPglite("memory://");
    const server = await startServer(
      loadConfig({
        HOST: "127.0.0.1",
        PORT: "0",
        CELGATE_ADMIN_TOKEN: "console-test-admin-token-0123",
        CELGATE_POLICY_DIR: FIXTURE_POLICY_DIR,
        CELGATE_CONSOLE_DIR: join(dir, "not-built"),
        CELGATE_EVALUATOR_THREADS: "0",
      }),
      { database, logger: createLogger("silent"), print: () => {} },
    );
    try {
      const base = `http://127.0.0.1:${server.port}`;
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const res = await fetch(`${base}/v1/policies`, {
        headers: { authorization: "Bearer console-test-admin-token-0123" },
      });
      expect(res.status).toBe(200);
      expect((await fetch(`${base}/`)).status).toBe(404);
    } finally {
      await server.close();
      await database.close();
    }
  });
});

describe("the API reference at /docs", () => {
  it("loads its script from this origin, with the default web fonts off", async () => {
    const script = findReferenceScript();
    expect(script, "@scalar/api-reference's browser script").not.toBeNull();
    const page = await withoutConsole.request("/docs");
    expect(page.status).toBe(200);
    const html = await page.text();
    const sources = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]);
    expect(sources).toEqual([`/docs/assets/api-reference-${script!.version}.js`]);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toMatch(/"withDefaultFonts": false/);
    expect(page.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
    expect(page.headers.get("content-security-policy")).not.toMatch(/https?:/);
    const js = await withoutConsole.request(sources[0]!);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(js.headers.get("cache-control")).toMatch(/immutable/);
    expect((await js.text()).length).toBeGreaterThan(100_000);
  });
});
