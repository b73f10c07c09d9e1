import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, deploymentYaml, type Json, setupApp, type TestApp } from "../../../test/harness.js";

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url), "utf8"));
const API = `sha256:${"1".repeat(64)}`;
const DB = `sha256:${"2".repeat(64)}`;
const NATIVE = `sha256:${"3".repeat(64)}`;

describe.each(BACKENDS)("image facts on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
  });
  afterAll(() => t.close());

  it("stores a Trivy report and reads it back normalised", async () => {
    const put = await t.call("PUT", `/v1/images/${API}`, {
      body: fixture("trivy-api.json"),
      token: t.tokens.evaluator,
    });
    expect(put.status).toBe(201);
    expect(put.body.facts).toMatchObject({
      registry: "registry.example",
      repository: "shop/api",
      digest: API,
      known: true,
      scan: { summary: { high: 1, low: 1 }, fixable: { high: 1, low: 0 } },
    });
    const again = await t.call("PUT", `/v1/images/${API}`, { body: fixture("trivy-api.json") });
    expect(again.status).toBe(200);
    const get = await t.call("GET", `/v1/images/${API}`, { token: t.tokens.viewer });
    expect(get.status).toBe(200);
    expect(get.body).toMatchObject({ digest: API, updatedBy: "admin (CELGATE_ADMIN_TOKEN)" });
  });

  it("stores a Grype report and native facts", async () => {
    const grype = await t.call("PUT", `/v1/images/${DB}`, { body: fixture("grype-db.json") });
    expect(grype.status).toBe(201);
    expect(grype.body.facts.scan.summary.critical).toBe(1);
    const native = await t.call("PUT", `/v1/images/${NATIVE}`, {
      body: {
        ref: "registry.example/shop/native:1",
        signatures: [{ verified: true, identity: "ci", issuer: "https://issuer" }],
      },
    });
    expect(native.status).toBe(201);
    expect(native.body.facts).toMatchObject({
      digest: NATIVE,
      tag: "1",
      scan: null,
      signatures: [{ verified: true }],
    });
  });

  it("finds stored facts by digest and by name and tag during evaluation", async () => {
    const byTag = await t.call("POST", "/v1/evaluations", {
      body: {
        manifests: deploymentYaml("t", { owner: "x", image: "registry.example/shop/api:2.0" }),
        dryRun: true,
      },
    });
    expect(byTag.body.results.find((r: Json) => r.policy === "images-scanned").outcome).toBe("pass");
    const byDigest = await t.call("POST", "/v1/evaluations", {
      body: {
        manifests: deploymentYaml("d", { owner: "x", image: `registry.example/shop/db@${DB}` }),
        dryRun: true,
      },
    });
    expect(byDigest.body.results.find((r: Json) => r.policy === "images-scanned").outcome).toBe("pass");
  });

  it("rejects facts for another digest, bad digests and non-facts", async () => {
    expect((await t.call("PUT", `/v1/images/${DB}`, { body: fixture("trivy-api.json") })).status).toBe(422);
    expect((await t.call("PUT", "/v1/images/latest", { body: fixture("trivy-api.json") })).status).toBe(400);
    expect((await t.call("PUT", `/v1/images/${NATIVE}`, { body: { hello: "world" } })).status).toBe(400);
    expect((await t.call("GET", `/v1/images/sha256:${"9".repeat(64)}`)).status).toBe(404);
  });
});
