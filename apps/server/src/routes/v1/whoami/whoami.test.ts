import { ROLES } from "@celgate/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTION_ROLES } from "../../../lib/route.js";
import { BACKENDS, setupApp, type TestApp } from "../../../test/harness.js";
import { ROUTES } from "../../index.js";

describe("the actions of GET /v1/whoami", () => {
  it("are the role lists the routes declare, each route's list being one of them", () => {
    const lists = Object.values(ACTION_ROLES);
    for (const r of ROUTES) {
      if (r.roles === "public") continue;
      // the same array, not an equal copy: a route with its own list would not be reported
      expect(lists, `${r.openapi.method} ${r.openapi.path}`).toContain(r.roles);
    }
  });
});

describe.each(BACKENDS)("GET /v1/whoami on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
  });
  afterAll(() => t.close());

  const expected = {
    admin: ["read", "evaluate", "validate", "author", "admin"],
    author: ["read", "validate", "author"],
    evaluator: ["read", "evaluate", "validate"],
    viewer: ["read"],
  } as const;

  it.each(ROLES)("names a %s token, its role and what it may do", async (role) => {
    const r = await t.call("GET", "/v1/whoami", { token: t.tokens[role] });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      id: expect.stringMatching(/^tok_/),
      name: role === "admin" ? "admin (CELGATE_ADMIN_TOKEN)" : `test ${role}`,
      role,
      actions: expected[role],
    });
  });

  it("names the token by its id, as GET /v1/tokens lists it, telling apart two tokens of one name", async () => {
    const one = await t.call("POST", "/v1/tokens", { body: { name: "twin", role: "viewer" } });
    const two = await t.call("POST", "/v1/tokens", { body: { name: "twin", role: "viewer" } });
    expect(one.body.id).not.toBe(two.body.id);
    for (const created of [one.body, two.body]) {
      const r = await t.call("GET", "/v1/whoami", { token: created.token });
      expect(r.body).toEqual({ id: created.id, name: "twin", role: "viewer", actions: ["read"] });
    }
    // the token of CELGATE_ADMIN_TOKEN is a stored token with a fixed id, listed and revocable like any
    const admin = await t.call("GET", "/v1/whoami");
    expect(admin.body.id).toBe("tok_env_admin");
    const listed = await t.call("GET", "/v1/tokens?limit=500");
    const ids = listed.body.items.map((x: { id: string }) => x.id);
    for (const role of ROLES) {
      const { body } = await t.call("GET", "/v1/whoami", { token: t.tokens[role] });
      expect(ids).toContain(body.id);
    }
    // and the id is the one to revoke: its whoami is refused from then on
    expect((await t.call("DELETE", `/v1/tokens/${two.body.id}`)).status).toBe(200);
    expect((await t.call("GET", "/v1/whoami", { token: two.body.token })).status).toBe(401);
    expect((await t.call("GET", "/v1/whoami", { token: one.body.token })).body.id).toBe(one.body.id);
  });

  it("agrees with what the routes let each role do", async () => {
    for (const role of ROLES) {
      const { body } = await t.call("GET", "/v1/whoami", { token: t.tokens[role] });
      // admin-only, author-only and evaluate routes answer 403 exactly when the action is missing
      const tokens = await t.call("GET", "/v1/tokens", { token: t.tokens[role] });
      expect(tokens.status === 403, `${role} tokens`).toBe(!body.actions.includes("admin"));
      const replay = await t.call("POST", "/v1/replays", { token: t.tokens[role], body: { limit: 0 } });
      expect(replay.status === 403, `${role} replay`).toBe(!body.actions.includes("author"));
      const push = await t.call("POST", "/v1/images", { token: t.tokens[role], body: [] });
      expect(push.status === 403, `${role} push`).toBe(!body.actions.includes("evaluate"));
      const validate = await t.call("POST", "/v1/policies:validate", { token: t.tokens[role], body: [] });
      expect(validate.status === 403, `${role} validate`).toBe(!body.actions.includes("validate"));
    }
  });

  it("refuses a missing or unknown token with 401", async () => {
    expect((await t.call("GET", "/v1/whoami", { token: "not-a-token-at-all" })).status).toBe(401);
    expect((await t.call("GET", "/v1/whoami", { token: null })).status).toBe(401);
  });
});
