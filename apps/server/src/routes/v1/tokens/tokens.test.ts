import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, deploymentObject, type Json, setupApp, type TestApp } from "../../../test/harness.js";

describe.each(BACKENDS)("tokens on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
  });
  afterAll(() => t.close());

  it("creates a token shown once, lists without secrets, revokes", async () => {
    const created = await t.call("POST", "/v1/tokens", { body: { name: "ci", role: "evaluator" } });
    expect(created.status).toBe(201);
    expect(created.headers.get("cache-control")).toBe("no-store");
    expect(created.body).toMatchObject({
      name: "ci",
      role: "evaluator",
      createdBy: "admin (CELGATE_ADMIN_TOKEN)",
      revokedAt: null,
    });
    expect(created.body.token).toMatch(/^cg_[A-Za-z0-9_-]{43}$/);
    const ok = await t.call("POST", "/v1/evaluations", {
      token: created.body.token,
      body: { resources: [deploymentObject("ci", { owner: "x" })], dryRun: true },
    });
    expect(ok.status).toBe(200);
    const list = await t.call("GET", "/v1/tokens?limit=500");
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    const listed = list.body.items.find((x: Json) => x.id === created.body.id);
    expect(listed.lastUsedAt).not.toBeNull();
    expect(listed).not.toHaveProperty("hash");
    const revoked = await t.call("DELETE", `/v1/tokens/${created.body.id}`);
    expect(revoked.body.revokedAt).not.toBeNull();
    expect((await t.call("DELETE", "/v1/tokens/tok_nope")).status).toBe(404);
    const audit = await t.call("GET", `/v1/audit?targetKind=token&targetName=${created.body.id}`);
    expect(audit.body.items.map((a: Json) => a.action)).toEqual(["token.revoke", "token.create"]);
  });

  it("stores only hashes", async () => {
    const created = await t.call("POST", "/v1/tokens", { body: { name: "hashed", role: "viewer" } });
    const { sql } = await import("drizzle-orm");
    const rows = await t.database.db.execute(sql`select hash from tokens where id = ${created.body.id}`);
    const hash = (rows as unknown as { rows: { hash: string }[] }).rows[0]!.hash;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(created.body.token);
  });

  it("refuses to revoke the last live admin token and bad requests", async () => {
    const tokens = await t.call("GET", "/v1/tokens?limit=500");
    const admins = tokens.body.items.filter((x: Json) => x.role === "admin" && !x.revokedAt);
    expect(admins).toHaveLength(1);
    expect((await t.call("DELETE", `/v1/tokens/${admins[0].id}`)).status).toBe(409);
    expect((await t.call("POST", "/v1/tokens", { body: { name: "x", role: "root" } })).status).toBe(400);
    expect(
      (await t.call("POST", "/v1/tokens", { body: { name: "x", role: "viewer", extra: true } })).status,
    ).toBe(400);
  });

  it("refuses a name that would read as another actor in history and audit", async () => {
    for (const name of ["alice\u200b", "adm\u202enimi", "ci\u0007", "a\u2028b", "\ufeffbot"]) {
      const res = await t.call("POST", "/v1/tokens", { body: { name, role: "viewer" } });
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect(JSON.stringify(res.body)).toContain("no control, bidirectional or invisible characters");
    }
    // names in any script (and emoji without joiners) are names
    for (const name of ["שלום", "مرحبا", "日本のCI", "deploy 🚀"])
      expect((await t.call("POST", "/v1/tokens", { body: { name, role: "viewer" } })).status).toBe(201);
  });
});
