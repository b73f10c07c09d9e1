// An exception's `expires` is stored in a timestamp column: a time the engine reads but the
// database cannot hold, or holds but a driver reads back as another time, is refused with a
// 422 naming spec.expires, never a 500, on both databases.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, exceptionYaml, setupApp, type TestApp } from "../../../test/harness.js";

describe.each(BACKENDS)("exception expiry range on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
  });
  afterAll(() => t.close());

  it.each([
    ["+275760-09-13T00:00:00Z", "the last time JavaScript has"],
    ["+010000-01-01T00:00:00Z", "a five-digit year"],
    ["-000001-01-01T00:00:00Z", "a year before 1 AD"],
    ["0050-01-01T00:00:00Z", "a two-digit year (PGlite reads it back as 1950)"],
    ["1969-12-31T23:59:59Z", "before 1970"],
  ])("refuses expires %s (%s) on create and replace, naming the field", async (expires) => {
    const created = await t.call("POST", "/v1/exceptions", {
      yaml: exceptionYaml("far", { expires: JSON.stringify(expires) }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(422);
    expect(created.body.errors).toEqual([expect.objectContaining({ path: "spec.expires" })]);
    expect(created.body.detail).toContain("spec.expires");
    expect((await t.call("GET", "/v1/exceptions/far")).status).toBe(404);

    expect((await t.call("POST", "/v1/exceptions", { yaml: exceptionYaml("kept") })).status).toBe(201);
    const replaced = await t.call("PUT", "/v1/exceptions/kept", {
      yaml: exceptionYaml("kept", { expires: JSON.stringify(expires) }),
      headers: { "if-match": '"v1"' },
    });
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(422);
    expect(replaced.body.errors).toEqual([expect.objectContaining({ path: "spec.expires" })]);
    const kept = await t.call("GET", "/v1/exceptions/kept");
    expect(kept.body).toMatchObject({ version: 1, expires: "2099-01-01T00:00:00.000Z" });
    expect((await t.call("DELETE", "/v1/exceptions/kept", { headers: { "if-match": '"v1"' } })).status).toBe(
      204,
    );
  });

  it("keeps the first and last times of the range as written", async () => {
    for (const [name, expires] of [
      ["first", "1970-01-01T00:00:00.000Z"],
      ["last", "9999-12-31T23:59:59.999Z"],
    ] as const) {
      const created = await t.call("POST", "/v1/exceptions", {
        yaml: exceptionYaml(name, { expires: JSON.stringify(expires) }),
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect((await t.call("GET", `/v1/exceptions/${name}`)).body.expires).toBe(expires);
    }
  });
});
