// One test walks the whole route table: 401 without a valid token, 403 for every role that
// may not call a route, and neither for the roles that may.
import type { Role } from "@celgate/contracts";
import { parseRedactionPaths } from "@celgate/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_ROLES, honoPath } from "../lib/route.js";
import { BACKENDS, setupApp, type TestApp } from "../test/harness.js";
import { ECHO_POLICIES, expectNoSecret, manifestsYaml, REDACT_PATHS } from "../test/secrets.js";
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
  /** An admin token that was revoked, and one that has expired. */
  let revoked: string;
  let expired: string;
  beforeAll(async () => {
    t = await setupApp(backend, {
      services: { redaction: { paths: parseRedactionPaths(REDACT_PATHS).paths } },
    });
    const live = await t.services.tokens.create("test", { name: "revoked admin", role: "admin" });
    await t.services.tokens.revoke("test", live.id);
    revoked = live.token;
    expired = (
      await t.services.tokens.create("test", {
        name: "expired admin",
        role: "admin",
        expiresAt: new Date(Date.now() - 1000).toISOString(),
      })
    ).token;
  });
  afterAll(() => t.close());

  it("covers every /v1 route of the table", () => {
    expect(v1.length).toBeGreaterThanOrEqual(24);
    // the one public route under /v1: the receipt keys, which verifiers fetch without a token
    expect(
      ROUTES.filter((r) => r.roles === "public" && r.openapi.path.startsWith("/v1")).map(
        (r) => `${r.openapi.method} ${r.openapi.path}`,
      ),
    ).toEqual(["get /v1/keys"]);
  });

  // The walk below goes through the route table: a handler registered on the app some other
  // way would pass authentication (the /v1 middleware) but no role check. Every route the app
  // answers is the table's, or one of the public system routes outside /v1.
  it("answers no route that is not in the table it walks", () => {
    const table = new Set(ROUTES.map((r) => `${r.openapi.method.toUpperCase()} ${honoPath(r.openapi.path)}`));
    const registered = t.app.routes.filter((r) => r.method !== "ALL");
    expect(registered.length).toBeGreaterThanOrEqual(ROUTES.length);
    const outside = [...new Set(registered.map((r) => `${r.method} ${r.path}`))].filter((r) => !table.has(r));
    expect(outside.filter((r) => r.split(" ")[1]?.startsWith("/v1"))).toEqual([]);
    expect(outside).toEqual(expect.arrayContaining(["GET /openapi.json"]));
    for (const r of outside)
      expect(r, "a route outside the table").toMatch(/^GET \/(openapi\.json|docs|console|$)/);
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
      for (const token of ["cg_not-a-token", revoked, expired, ""])
        expect((await t.call(method, url, { token, body })).status, `token ${token}`).toBe(401);
      for (const authorization of [
        "Basic abc",
        `Basic ${t.tokens.admin}`,
        t.tokens.admin,
        `Bearer ${t.tokens.admin} ${t.tokens.admin}`,
        `Bearer ${t.tokens.admin},Bearer x`,
        `Token ${t.tokens.admin}`,
        "Bearer",
      ])
        expect(
          (await t.call(method, url, { token: null, body, headers: { authorization } })).status,
          `Authorization: ${authorization}`,
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

  // Hono answers HEAD wherever GET is, through the same middleware; OPTIONS has no route (405
  // with Allow). Neither may tell a caller without a valid token, or of a role the GET refuses,
  // more than the GET would.
  it.each(v1.filter((r) => r.openapi.method === "get").map((r) => [r.openapi.path, r] as const))(
    "HEAD and OPTIONS %s",
    async (path, route) => {
      const url = concrete(path);
      for (const token of [null, "cg_not-a-token", revoked, expired]) {
        expect((await t.request("HEAD", url, { token })).status, `HEAD ${token}`).toBe(401);
        expect((await t.request("OPTIONS", url, { token })).status, `OPTIONS ${token}`).toBe(401);
      }
      for (const role of ALL_ROLES) {
        const get = await t.request("GET", url, { token: t.tokens[role] });
        const head = await t.request("HEAD", url, { token: t.tokens[role] });
        expect(head.status, `HEAD ${path} as ${role}`).toBe(get.status);
        expect(await head.text()).toBe("");
        if (!(route.roles as readonly Role[]).includes(role)) expect(head.status).toBe(403);
        const options = await t.request("OPTIONS", url, { token: t.tokens[role] });
        expect(options.status, `OPTIONS ${path} as ${role}`).toBe(405);
        expect(options.headers.get("allow")).toContain("GET");
      }
    },
  );

  // A public GET (the receipt keys) is public for HEAD too: the same answer without a body.
  it.each(
    ROUTES.filter((r) => r.roles === "public" && r.openapi.method === "get").map((r) => r.openapi.path),
  )("HEAD of the public %s needs no token, as its GET", async (path) => {
    for (const token of [null, "cg_not-a-token"]) {
      const get = await t.request("GET", concrete(path), { token });
      const head = await t.request("HEAD", concrete(path), { token });
      expect(get.status, `GET ${path} with ${token}`).toBe(200);
      expect(head.status, `HEAD ${path} with ${token}`).toBe(200);
      expect(await head.text()).toBe("");
    }
  });

  // No method override: a header naming another method changes neither the route nor the
  // role check (a viewer's POST stays a POST, a GET never deletes).
  it("ignores method override headers", async () => {
    const overrides = ["x-http-method-override", "x-http-method", "x-method-override"];
    for (const header of overrides) {
      const asViewer = {
        token: t.tokens.viewer,
        headers: { [header]: "GET" },
        body: { name: "x", role: "admin" },
      };
      expect((await t.call("POST", "/v1/tokens", asViewer)).status, header).toBe(403);
      const read = await t.call("GET", "/v1/policies/owner-label", {
        token: t.tokens.viewer,
        headers: { [header]: "DELETE" },
      });
      expect(read.status, header).toBe(200);
      const deleted = await t.call("POST", "/v1/policies/owner-label", {
        headers: { [header]: "DELETE" },
        body: {},
      });
      expect(deleted.status, header).toBe(405);
    }
    expect((await t.call("GET", "/v1/policies/owner-label")).status).toBe(200);
  });

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

  // The role decision of docs/security.md ("Redaction"): no route returns stored inputs; reports
  // (masked) are for every role; replays (admin, author) run on redacted inputs and return
  // only outcomes. Walk every route a role may call, after a Secret was evaluated with a policy
  // echoing it: no answer holds the secret in any form.
  it("shows no stored secret to any role on any route", async () => {
    for (const doc of ECHO_POLICIES.split("---\n"))
      expect((await t.call("POST", "/v1/policies", { yaml: doc })).status).toBe(201);
    const evaluated = await t.request("POST", "/v1/evaluations", {
      body: { manifests: manifestsYaml() },
      token: t.tokens.evaluator,
    });
    const text = await evaluated.text();
    expect(evaluated.status).toBe(201);
    expectNoSecret(text, "POST /v1/evaluations");
    const id = JSON.parse(text).id as string;
    const values: Record<string, string> = { ...SAMPLE, id, name: "echo-secrets" };
    const reads = ROUTES.filter(
      (r) => r.openapi.method === "get" || (r.openapi.method === "post" && r.openapi.path === "/v1/replays"),
    );
    let checked = 0;
    for (const route of reads) {
      const url = route.openapi.path.replace(/\{(\w+)\}/g, (_, p: string) => values[p] ?? "x");
      const roles = route.roles === "public" ? ALL_ROLES : route.roles;
      for (const role of roles) {
        const res = await t.request(route.openapi.method.toUpperCase(), url, {
          token: t.tokens[role],
          ...(route.openapi.method === "post" ? { body: { evaluations: [id] } } : {}),
        });
        expect(res.status, `${route.openapi.method} ${url} as ${role}`).toBeLessThan(500);
        const body = await res.text();
        expectNoSecret(body, `${route.openapi.method.toUpperCase()} ${url} as ${role}`);
        // No route hands out stored inputs.
        expect(body).not.toMatch(/"(manifests|resources)":\s*[["]/);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
    expect(ROUTES.find((r) => r.openapi.path === "/v1/replays")?.roles).toEqual(["admin", "author"]);
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
