// `__proto__` deep in evaluation data is data (docs/api.md, "Bodies"): through real HTTP on both
// databases, it takes part in the Idempotency-Key's body comparison and is kept in history.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, deploymentObject, setupApp, type TestApp } from "../../../test/harness.js";

/** A request whose one resource holds `spec.extra` as written (raw JSON, so `__proto__` stays a key). */
const body = (extra: string) =>
  JSON.stringify({
    resources: [{ ...deploymentObject("web", { owner: "team" }), spec: { replicas: 2 } }],
  }).replace('"spec":{', `"spec":{"extra":${extra},`);

describe.each(BACKENDS)("__proto__ as data on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
  });
  afterAll(async () => {
    await t.close();
  });

  it("refuses an Idempotency-Key reused with a body that differs only under a __proto__ key", async () => {
    // every request under one Idempotency-Key, with `data` as the object's extra field
    const withKey = (data: string) =>
      t.call("POST", "/v1/evaluations", { raw: body(data), headers: { "idempotency-key": "proto-1" } });
    const first = await withKey('{"__proto__":{"tier":"gold"}}');
    expect(first.status).toBe(201);
    const other = await withKey('{"__proto__":{"tier":"free"}}');
    expect(other.status, JSON.stringify(other.body)).toBe(422);
    expect(other.body.detail).toMatch(/already used with a different request body/);
    const none = await withKey("{}");
    expect(none.status).toBe(422);
    // the same body again is the same evaluation
    const again = await withKey('{"__proto__":{"tier":"gold"}}');
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(first.body.id);
  });

  it("keeps a __proto__ key of the input in history, apart from an input without it", async () => {
    const a = await t.call("POST", "/v1/evaluations", { raw: body('{"__proto__":{"tier":"kept"}}') });
    const b = await t.call("POST", "/v1/evaluations", { raw: body('{"tier":"kept"}') });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    const stored = await t.services.evaluations.inputsOf([a.body.id, b.body.id]);
    const extra = (id: string) =>
      JSON.stringify(
        (stored.get(id)?.input.resources?.[0] as { spec: { extra: unknown } } | undefined)?.spec.extra,
      );
    expect(extra(a.body.id)).toBe('{"__proto__":{"tier":"kept"}}');
    expect(extra(b.body.id)).toBe('{"tier":"kept"}');
    const rows = await t.database.db.execute(
      sql`select count(distinct input_hash)::int as n from evaluations where id in (${a.body.id}, ${b.body.id})`,
    );
    expect((rows as unknown as { rows: { n: number }[] }).rows[0]?.n).toBe(2);
  });
});
