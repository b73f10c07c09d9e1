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

  it("keeps the scan when signatures are pushed after it (scan, push, sign, push), and both when rescanned", async () => {
    const digest = `sha256:${"5".repeat(64)}`;
    const image = `registry.example/shop/signed@${digest}`;
    const scan = (scannedAt: string, scanner: string) => ({ scanner, scannedAt, vulnerabilities: [] });
    const signature = {
      verified: true,
      identity: "ci@example",
      issuer: "https://token.example",
      source: null,
      verifiedAt: null,
    };
    expect(
      (
        await t.call("PUT", `/v1/images/${digest}`, {
          body: { ref: image, scan: scan("2026-11-01T00:00:00Z", "first") },
        })
      ).status,
    ).toBe(201);
    const signed = await t.call("POST", "/v1/images", { body: { ref: image, signatures: [signature] } });
    expect(signed.body.images).toEqual([{ key: digest, ref: image, digest, created: false }]);
    let stored = (await t.call("GET", `/v1/images/${digest}`)).body.facts;
    expect(stored.scan?.scanner).toBe("first");
    expect(stored.signatures).toEqual([signature]);
    // an older scan pushed late does not replace a newer one; a newer one does
    await t.call("PUT", `/v1/images/${digest}`, {
      body: { ref: image, scan: scan("2026-10-01T00:00:00Z", "old") },
    });
    expect((await t.call("GET", `/v1/images/${digest}`)).body.facts.scan.scanner).toBe("first");
    await t.call("POST", "/v1/images", {
      body: { ref: image, scan: scan("2026-11-02T00:00:00Z", "second") },
    });
    stored = (await t.call("GET", `/v1/images/${digest}`)).body.facts;
    expect(stored.scan.scanner).toBe("second");
    expect(stored.signatures).toEqual([signature]);
    const evaluated = await t.call("POST", "/v1/evaluations", {
      body: { manifests: deploymentYaml("signed", { owner: "x", image }), dryRun: true },
    });
    expect(evaluated.body.results.find((r: Json) => r.policy === "images-scanned").outcome).toBe("pass");
  });

  it("keeps signatures per signer and verification source; a newer check of the same replaces the older", async () => {
    const digest = `sha256:${"6".repeat(64)}`;
    const image = `registry.example/shop/verified@${digest}`;
    const signer = { identity: "ci@example", issuer: "https://token.example" };
    const push = async (...signatures: object[]) => {
      const r = await t.call("POST", "/v1/images", { body: { ref: image, signatures } });
      expect(r.status).toBe(200);
      return (await t.call("GET", `/v1/images/${digest}`)).body.facts.signatures as Json[];
    };
    const byCosign = { ...signer, verified: true, source: "cosign", verifiedAt: "2026-11-01T00:00:00Z" };
    const byController = {
      ...signer,
      verified: true,
      source: "policy-controller",
      verifiedAt: "2026-11-01T00:00:00Z",
    };
    await push(byCosign);
    // the same signer, checked by another source: both kept
    expect(await push(byController)).toEqual([byController, byCosign]);
    // a later check by the controller replaces its earlier one only
    const revoked = { ...byController, verified: false, verifiedAt: "2026-11-03T00:00:00Z" };
    expect(await push(revoked)).toEqual([revoked, byCosign]);
    // an older check pushed late replaces nothing
    expect(await push({ ...byCosign, verified: false, verifiedAt: "2026-10-01T00:00:00Z" })).toEqual([
      revoked,
      byCosign,
    ]);
  });

  it("rejects facts for another digest, bad digests and non-facts", async () => {
    expect((await t.call("PUT", `/v1/images/${DB}`, { body: fixture("trivy-api.json") })).status).toBe(422);
    expect((await t.call("PUT", "/v1/images/latest", { body: fixture("trivy-api.json") })).status).toBe(400);
    expect((await t.call("PUT", `/v1/images/${NATIVE}`, { body: { hello: "world" } })).status).toBe(400);
    expect((await t.call("GET", `/v1/images/sha256:${"9".repeat(64)}`)).status).toBe(404);
  });

  it("stores a Trivy report of a tag (no digest) under its name and tag, which evaluations find", async () => {
    const report = fixture("trivy-api.json");
    report.ArtifactName = "registry.example/shop/tagged:3.1";
    report.Metadata = { RepoTags: ["registry.example/shop/tagged:3.1"] };
    const first = await t.call("POST", "/v1/images", { body: report, token: t.tokens.evaluator });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toEqual({
      images: [
        {
          key: "registry.example/shop/tagged:3.1",
          ref: "registry.example/shop/tagged:3.1",
          digest: null,
          created: true,
        },
      ],
    });
    const again = await t.call("POST", "/v1/images", { body: report });
    expect(again.body.images[0]).toMatchObject({ key: "registry.example/shop/tagged:3.1", created: false });
    const evaluated = await t.call("POST", "/v1/evaluations", {
      body: {
        manifests: deploymentYaml("tagged", { owner: "x", image: "registry.example/shop/tagged:3.1" }),
        dryRun: true,
      },
    });
    expect(evaluated.body.results.find((r: Json) => r.policy === "images-scanned").outcome).toBe("pass");
    // A report that carries a digest is stored under it, as PUT would.
    const withDigest = await t.call("POST", "/v1/images", { body: fixture("trivy-api.json") });
    expect(withDigest.body.images).toEqual([
      { key: API, ref: expect.stringContaining("registry.example/shop/api"), digest: API, created: false },
    ]);
  });

  it("stores a list of native facts, each under its own key", async () => {
    const digest = `sha256:${"4".repeat(64)}`;
    const res = await t.call("POST", "/v1/images", {
      body: [
        { ref: `registry.example/shop/one@${digest}` },
        { ref: "nginx:1.27", scan: { scanner: "t", scannedAt: "2026-01-01T00:00:00Z", vulnerabilities: [] } },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.images.map((i: Json) => i.key)).toEqual([digest, "docker.io/library/nginx:1.27"]);
    expect((await t.call("GET", `/v1/images/${digest}`)).body.facts).toMatchObject({ digest, known: true });
    expect((await t.call("POST", "/v1/images", { body: { hello: "world" } })).status).toBe(400);
    // Without tag or digest, Kubernetes pulls latest: that is the key, and what a bare reference finds.
    const untagged = await t.call("POST", "/v1/images", {
      body: { ref: "registry.example/shop/bare", scan: { scanner: "t", vulnerabilities: [] } },
    });
    expect(untagged.body.images[0].key).toBe("registry.example/shop/bare:latest");
    const bare = await t.call("POST", "/v1/evaluations", {
      body: {
        manifests: deploymentYaml("bare", { owner: "x", image: "registry.example/shop/bare" }),
        dryRun: true,
      },
    });
    expect(bare.body.results.find((r: Json) => r.policy === "images-scanned").outcome).toBe("pass");
  });
});
