import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BACKENDS,
  deploymentYaml,
  exceptionYaml as exceptionDocument,
  type Json,
  setupApp,
  type TestApp,
} from "../../../test/harness.js";

const days = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString();
const exceptionYaml = (name: string, expires: string, namespaces = ["legacy"]) =>
  exceptionDocument(name, { expires, namespaces });

describe.each(BACKENDS)("exceptions on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
  });
  afterAll(() => t.close());

  it("creates, reads, replaces with If-Match and deletes", async () => {
    const created = await t.call("POST", "/v1/exceptions", {
      yaml: exceptionYaml("legacy", days(30)),
      token: t.tokens.author,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: "legacy",
      version: 1,
      expired: false,
      updatedBy: "test author",
    });
    expect((await t.call("POST", "/v1/exceptions", { yaml: exceptionYaml("legacy", days(30)) })).status).toBe(
      409,
    );
    const read = await t.call("GET", "/v1/exceptions/legacy", { token: t.tokens.viewer });
    expect(read.headers.get("etag")).toBe('"v1"');
    expect(
      (await t.call("PUT", "/v1/exceptions/legacy", { yaml: exceptionYaml("legacy", days(3)) })).status,
    ).toBe(428);
    expect(
      (
        await t.call("PUT", "/v1/exceptions/legacy", {
          yaml: exceptionYaml("legacy", days(3)),
          headers: { "if-match": '"v0"' },
        })
      ).status,
    ).toBe(412);
    const replaced = await t.call("PUT", "/v1/exceptions/legacy", {
      yaml: exceptionYaml("legacy", days(3)),
      headers: { "if-match": '"v1"' },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.version).toBe(2);
    expect((await t.call("DELETE", "/v1/exceptions/legacy")).status).toBe(204);
    expect((await t.call("GET", "/v1/exceptions/legacy")).status).toBe(404);
    const audit = await t.call("GET", "/v1/audit?targetKind=exception&targetName=legacy");
    expect(audit.body.items.map((a: Json) => a.action)).toEqual([
      "exception.delete",
      "exception.update",
      "exception.create",
    ]);
  });

  it("waives matching results in evaluations, visibly", async () => {
    await t.call("POST", "/v1/exceptions", { yaml: exceptionYaml("waive-legacy", days(30)) });
    const res = await t.call("POST", "/v1/evaluations", {
      body: {
        manifests: `${deploymentYaml("old", { namespace: "legacy" })}---\n${deploymentYaml("new", { namespace: "shop" })}`,
        dryRun: true,
      },
    });
    const owner = (name: string) =>
      res.body.results.find((r: Json) => r.policy === "owner-label" && r.resource.name === name);
    expect(owner("old")).toMatchObject({ outcome: "waived", exception: "waive-legacy" });
    expect(owner("new")).toMatchObject({ outcome: "fail", exception: null });
    await t.call("DELETE", "/v1/exceptions/waive-legacy");
    const after = await t.call("POST", "/v1/evaluations", {
      body: { manifests: deploymentYaml("old", { namespace: "legacy" }), dryRun: true },
    });
    expect(after.body.results.find((r: Json) => r.policy === "owner-label").outcome).toBe("fail");
  });

  it("lists those expiring within a duration", async () => {
    await t.call("POST", "/v1/exceptions", { yaml: exceptionYaml("soon", days(2)) });
    await t.call("POST", "/v1/exceptions", { yaml: exceptionYaml("later", days(20)) });
    await t.call("POST", "/v1/exceptions", { yaml: exceptionYaml("gone", days(-1)) });
    const week = await t.call("GET", "/v1/exceptions?expiring=7d", { token: t.tokens.viewer });
    expect(week.body.items.map((e: Json) => e.name)).toEqual(["soon"]);
    const month = await t.call("GET", "/v1/exceptions?expiring=30d");
    expect(month.body.items.map((e: Json) => e.name)).toEqual(["later", "soon"]);
    const all = await t.call("GET", "/v1/exceptions?policy=owner-label");
    expect(all.body.items.find((e: Json) => e.name === "gone").expired).toBe(true);
    expect((await t.call("GET", "/v1/exceptions?expiring=soon")).status).toBe(400);
  });

  it("rejects documents that are not exceptions", async () => {
    const bad = await t.call("POST", "/v1/exceptions", { yaml: exceptionYaml("bad", "not-a-date") });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0]).toMatchObject({ path: "spec.expires", line: expect.any(Number) });
  });
});
