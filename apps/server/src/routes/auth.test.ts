// One test walks the whole route table: 401 without a valid token, 403 for every role that
// may not call a route, and neither for the roles that may.
import type { Role } from "@celgate/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_ROLES } from "../lib/route.js";
import { BACKENDS, setupApp, type TestApp } from "../test/harness.js";
import { ROUTES } from "./index.js";

const SAMPLE: Record<string, string> = {
  name: "owner-label",
  id: "ev_missing",
  n: "1",
  digest: `sha256:${"a".repeat(64)}`,
};
const concrete = (path: string) => path.replace(/\{(\w+)\}/g, (_, p: string) => SAMPLE[p] ?? "x");

const v1 = ROUTES.filter((r) => r.roles !== "public");

describe.each(BACKENDS)("authentication and authorisation on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
  });
  afterAll(() => t.close());

  it("covers every /v1 route of the table", () => {
    expect(v1.length).toBeGreaterThanOrEqual(24);
    expect(ROUTES.filter((r) => r.roles === "public").every((r) => !r.openapi.path.startsWith("/v1"))).toBe(
      true,
    );
  });

  it.each(v1.map((r) => [r.openapi.method.toUpperCase(), r.openapi.path, r] as const))(
    "%s %s",
    async (method, path, route) => {
      const url = concrete(path);
      const body = method === "POST" || method === "PUT" ? {} : undefined;
      const none = await t.call(method, url, { token: null, body });
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toContain("Bearer");
      expect(none.body).toMatchObject({ status: 401, requestId: expect.any(String) });
      expect((await t.call(method, url, { token: "cg_not-a-token", body })).status).toBe(401);
      expect(
        (await t.call(method, url, { token: null, body, headers: { authorization: "Basic abc" } })).status,
      ).toBe(401);
      for (const role of ALL_ROLES) {
        const res = await t.call(method, url, { token: t.tokens[role], body });
        if ((route.roles as readonly Role[]).includes(role)) {
          expect([401, 403], `${role} may ${method} ${path}`).not.toContain(res.status);
          expect(res.status, `${method} ${path} as ${role}: ${JSON.stringify(res.body)}`).toBeLessThan(500);
        } else {
          expect(res.status, `${role} may not ${method} ${path}`).toBe(403);
          expect(res.body.detail).toContain(role);
        }
      }
    },
  );

  it("grants what the interface promises", () => {
    const roles = (method: string, path: string) =>
      ROUTES.find((r) => r.openapi.method === method && r.openapi.path === path)?.roles;
    expect(roles("post", "/v1/tokens")).toEqual(["admin"]);
    expect(roles("get", "/v1/tokens")).toEqual(["admin"]);
    expect(roles("post", "/v1/policies")).toEqual(["admin", "author"]);
    expect(roles("post", "/v1/exceptions")).toEqual(["admin", "author"]);
    expect(roles("post", "/v1/evaluations")).toEqual(["admin", "evaluator"]);
    expect(roles("put", "/v1/images/{digest}")).toEqual(["admin", "evaluator"]);
    expect(roles("get", "/v1/evaluations")).toEqual(["admin", "author", "evaluator", "viewer"]);
  });

  it("refuses a revoked token and an expired one", async () => {
    const created = await t.call("POST", "/v1/tokens", { body: { name: "short-lived", role: "viewer" } });
    expect(created.status).toBe(201);
    const secret = created.body.token as string;
    expect((await t.call("GET", "/v1/policies", { token: secret })).status).toBe(200);
    expect((await t.call("DELETE", `/v1/tokens/${created.body.id}`)).status).toBe(200);
    // Revocation clears this instance's cache at once.
    expect((await t.call("GET", "/v1/policies", { token: secret })).status).toBe(401);
    const expired = await t.call("POST", "/v1/tokens", {
      body: { name: "expired", role: "viewer", expiresAt: new Date(Date.now() - 1000).toISOString() },
    });
    expect((await t.call("GET", "/v1/policies", { token: expired.body.token })).status).toBe(401);
  });
});
