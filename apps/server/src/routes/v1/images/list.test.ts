import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, setupApp, type TestApp } from "../../../test/harness.js";

const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;
const DAY = 86_400_000;

/** Native facts of `digest` in repository `repo`, scanned `ageDays` ago (no scan when null). */
function facts(digest: string, repo: string, ageDays: number | null, critical = 0) {
  return {
    ref: `registry.example/${repo}@${digest}`,
    digest,
    ...(ageDays === null
      ? {}
      : {
          scan: {
            scanner: "trivy",
            scannedAt: new Date(Date.now() - ageDays * DAY).toISOString(),
            vulnerabilities: Array.from({ length: critical }, (_, i) => ({
              id: `CVE-2026-${1000 + i}`,
              severity: "critical",
              package: "openssl",
            })),
          },
        }),
    signatures: [{ verified: true, identity: "ci", issuer: "https://issuer" }],
  };
}

describe.each(BACKENDS)("GET /v1/images on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
    const push = await t.call("POST", "/v1/images", {
      body: [
        facts(digestOf(1), "shop/web", 1, 2),
        facts(digestOf(2), "shop/web", 30),
        facts(digestOf(3), "shop/api", null),
      ],
    });
    expect(push.status).toBe(200);
  });
  afterAll(() => t.close());

  it("lists every stored image in brief, by key, for any role", async () => {
    const r = await t.call("GET", "/v1/images", { token: t.tokens.viewer });
    expect(r.status).toBe(200);
    expect(r.body.items.map((i: { key: string }) => i.key)).toEqual([digestOf(1), digestOf(2), digestOf(3)]);
    const [fresh, old, unscanned] = r.body.items;
    expect(fresh).toMatchObject({
      digest: digestOf(1),
      ref: `registry.example/shop/web@${digestOf(1)}`,
      scanner: "trivy",
      summary: { critical: 2, high: 0, medium: 0, low: 0, unknown: 0 },
      signatures: 1,
      verifiedSignatures: 1,
      updatedBy: "admin (CELGATE_ADMIN_TOKEN)",
    });
    expect(fresh.scanAgeSeconds).toBeGreaterThanOrEqual(86_400);
    expect(fresh.scanAgeSeconds).toBeLessThan(2 * 86_400);
    expect(old.scanAgeSeconds).toBeGreaterThanOrEqual(30 * 86_400);
    expect(unscanned).toMatchObject({ scannedAt: null, scanAgeSeconds: null, summary: null, scanner: null });
  });

  it("?stale= returns images scanned longer ago than that, or never", async () => {
    const week = await t.call("GET", "/v1/images?stale=7d");
    expect(week.body.items.map((i: { key: string }) => i.key)).toEqual([digestOf(2), digestOf(3)]);
    const hour = await t.call("GET", "/v1/images?stale=1h");
    expect(hour.body.items).toHaveLength(3);
    const year = await t.call("GET", "/v1/images?stale=365d");
    expect(year.body.items.map((i: { key: string }) => i.key)).toEqual([digestOf(3)]);
  });

  it("?repository= narrows to one registry/repository", async () => {
    const r = await t.call("GET", "/v1/images?repository=registry.example/shop/api");
    expect(r.body.items.map((i: { key: string }) => i.key)).toEqual([digestOf(3)]);
  });

  it("pages with a cursor, and refuses bad options", async () => {
    const first = await t.call("GET", "/v1/images?limit=2");
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await t.call("GET", `/v1/images?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((i: { key: string }) => i.key)).toEqual([digestOf(3)]);
    expect(second.body.nextCursor).toBeNull();
    expect((await t.call("GET", "/v1/images?stale=week")).status).toBe(400);
    expect((await t.call("GET", "/v1/images?cursor=nonsense")).status).toBe(400);
    expect((await t.call("GET", "/v1/images?digest=x")).status).toBe(400);
    expect((await t.call("GET", "/v1/images", { token: "wrong-token" })).status).toBe(401);
  });
});
