// Signed decision receipts on both databases, checked with an independent implementation:
// the DSSE pre-authentication encoding and the key id are written here from the published
// specifications (DSSE protocol.md, RFC 7638) and the signature is checked with node:crypto,
// never with celgate's own verifier.
import { createHash, createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture } from "../../../../../../test/support/fixtures.js";
import {
  admissionReview,
  BACKENDS,
  deploymentObject,
  deploymentYaml,
  type Json,
  setupApp,
  type TestApp,
} from "../../../test/harness.js";

const DIGEST = `sha256:${"d".repeat(64)}`;
const IMAGE = `registry.example/shop/web@${DIGEST}`;
const scanned = {
  ref: IMAGE,
  scan: { scanner: "trivy 0.58.0", scannedAt: "2026-11-20T10:00:00Z", vulnerabilities: [] },
};
const ALLOWED = deploymentYaml("web", { owner: "shop", image: IMAGE });

/** DSSE v1 PAE, from the specification: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body. */
function independentPae(type: string, body: Buffer): Buffer {
  const t = Buffer.from(type, "utf8");
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${t.length} `, "ascii"),
    t,
    Buffer.from(` ${body.length} `, "ascii"),
    body,
  ]);
}

/** RFC 7638 thumbprint of an OKP key: SHA-256 of {"crv","kty","x"} in that order, base64url. */
const thumbprint = (x: string) =>
  createHash("sha256")
    .update(JSON.stringify({ crv: "Ed25519", kty: "OKP", x }))
    .digest("base64url");

/** Verifies an envelope against a JWKS without celgate's code; returns the statement or throws why not. */
function independentVerify(envelope: Json, jwks: Json): Json {
  expect(envelope.payloadType).toBe("application/vnd.in-toto+json");
  const body = Buffer.from(envelope.payload, "base64");
  const [signature] = envelope.signatures;
  const jwk = jwks.keys.find((k: Json) => k.kid === signature.keyid);
  if (!jwk) throw new Error(`no key ${signature.keyid}`);
  const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: jwk.x }, format: "jwk" });
  const ok = verify(
    null,
    independentPae(envelope.payloadType, body),
    key,
    Buffer.from(signature.sig, "base64"),
  );
  if (!ok) throw new Error("signature does not verify");
  return JSON.parse(body.toString("utf8"));
}

describe.each(BACKENDS)("signed decision receipts on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
  });
  afterAll(() => t.close());

  it("publishes the keys without a token, each named by its RFC 7638 thumbprint", async () => {
    const res = await t.call("GET", "/v1/keys", { token: null });
    expect(res.status).toBe(200);
    expect(res.body.keys.length).toBeGreaterThanOrEqual(1);
    for (const k of res.body.keys) {
      expect(k).toMatchObject({ kty: "OKP", crv: "Ed25519", use: "sig", alg: "EdDSA" });
      expect(k.kid).toBe(thumbprint(k.x));
      expect(k).not.toHaveProperty("d");
    }
  });

  it("signs a recorded evaluation: the report carries the receipt, the receipt route returns it, an independent verifier accepts it", async () => {
    const res = await t.request("POST", "/v1/evaluations", {
      token: t.tokens.evaluator,
      body: {
        manifests: ALLOWED,
        images: [scanned],
        context: { environment: "prod", cluster: "eu-1", commit: "abc123" },
      },
    });
    const text = await res.text();
    expect(res.status, text).toBe(201);
    const report = JSON.parse(text);
    expect(report.decision).toBe("allow");
    expect(report.receipt).toBeDefined();
    // the answer's text (the receipt's JSON made by hand, appended) is what JSON.stringify gives
    expect(text).toBe(JSON.stringify(report));
    expect(text.endsWith(`,"receipt":${JSON.stringify(report.receipt)}}`)).toBe(true);

    const receipt = await t.request("GET", `/v1/evaluations/${report.id}/receipt`, {
      token: t.tokens.viewer,
    });
    expect(receipt.status).toBe(200);
    expect(receipt.headers.get("content-type")).toBe("application/vnd.dsse.envelope.v1+json");
    const envelope = await receipt.json();
    expect(envelope).toEqual(report.receipt);
    expect((await t.call("GET", `/v1/evaluations/${report.id}`)).body.receipt).toEqual(envelope);

    const jwks = (await t.call("GET", "/v1/keys", { token: null })).body;
    const statement = independentVerify(envelope, jwks);
    expect(statement._type).toBe("https://in-toto.io/Statement/v1");
    expect(statement.predicateType).toBe("https://celgate.dev/decision/v1");
    expect(statement.predicate).toMatchObject({
      evaluationId: report.id,
      decision: "allow",
      evaluatedAt: report.evaluatedAt,
      source: "api",
      context: { environment: "prod", cluster: "eu-1", commit: "abc123" },
      summary: report.summary,
      exceptions: [],
    });
    expect(statement.predicate.policySet.digest).toBe(report.policySet.digest);
    expect(statement.predicate.policySet.policies.map((p: Json) => p.name).sort()).toEqual([
      "images-scanned",
      "min-replicas",
      "owner-label",
    ]);
    expect(statement.predicate.policySet.policies[0]).toMatchObject({
      version: 1,
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    expect(statement.subject).toEqual([
      {
        name: "Deployment/shop/web",
        digest: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
        annotations: { "celgate.dev/subject": "resource", apiVersion: "apps/v1" },
      },
      {
        name: "registry.example/shop/web",
        digest: { sha256: "d".repeat(64) },
        annotations: { "celgate.dev/subject": "image" },
      },
    ]);
  });

  it("names the test vector's resource by the vector's digest", async () => {
    const res = await t.call("POST", "/v1/evaluations", {
      body: { manifests: readFileSync(fixture("receipts", "manifest.yaml"), "utf8") },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const statement = independentVerify(res.body.receipt, (await t.call("GET", "/v1/keys")).body);
    expect(statement.subject[0]).toMatchObject({
      name: "Deployment/shop/web",
      digest: { sha256: readFileSync(fixture("receipts", "canonical.sha256"), "utf8").trim() },
    });
  });

  it("signs denials, CLI evaluations and admission reviews; a dry run and a replayed request add none", async () => {
    const denied = await t.call("POST", "/v1/evaluations", {
      body: { manifests: deploymentYaml("api") },
      headers: { "x-celgate-source": "cli", "idempotency-key": "receipts-1" },
    });
    expect(denied.status).toBe(201);
    const jwks = (await t.call("GET", "/v1/keys")).body;
    const statement = independentVerify(denied.body.receipt, jwks);
    expect(statement.predicate).toMatchObject({ decision: "deny", source: "cli" });
    const again = await t.call("POST", "/v1/evaluations", {
      body: { manifests: deploymentYaml("api") },
      headers: { "x-celgate-source": "cli", "idempotency-key": "receipts-1" },
    });
    expect(again.body.receipt).toEqual(denied.body.receipt);

    const dry = await t.call("POST", "/v1/evaluations", { body: { manifests: ALLOWED, dryRun: true } });
    expect(dry.status).toBe(200);
    expect(dry.body.receipt).toBeUndefined();

    const review = await t.call("POST", "/v1/admission", {
      body: admissionReview("uid-receipts-1", deploymentObject("adm", { owner: "shop" })),
    });
    expect(review.status).toBe(200);
    const id = review.body.response.auditAnnotations["celgate.dev/evaluation"];
    const receipt = await t.call("GET", `/v1/evaluations/${id}/receipt`);
    expect(receipt.status).toBe(200);
    expect(independentVerify(receipt.body, jwks).predicate).toMatchObject({
      evaluationId: id,
      source: "admission",
    });
  });

  it("describes the routes in the OpenAPI document: the keys without security, the receipt as a DSSE envelope", async () => {
    const { body } = await t.call("GET", "/openapi.json", { token: null });
    expect(body.paths["/v1/keys"].get.security).toBeUndefined();
    expect(body.paths["/v1/keys:rotate"].post.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(body.paths["/v1/evaluations/{id}/receipt"].get.responses["200"].content)).toEqual([
      "application/vnd.dsse.envelope.v1+json",
    ]);
    expect(body.components.schemas).toHaveProperty("DsseEnvelope");
    expect(body.components.schemas).toHaveProperty("Jwks");
  });

  it("answers 404 for the receipt of an unknown evaluation", async () => {
    const res = await t.call("GET", "/v1/evaluations/ev_missing/receipt");
    expect(res.status).toBe(404);
    expect(res.body.detail).toContain("ev_missing");
  });

  it("rotates: new receipts use the new key, the old key stays published and old receipts still verify", async () => {
    const before = await t.call("POST", "/v1/evaluations", {
      body: { manifests: ALLOWED, images: [scanned] },
    });
    const oldKid = before.body.receipt.signatures[0].keyid;
    const rotated = await t.call("POST", "/v1/keys:rotate", { token: t.tokens.admin });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(201);
    expect(rotated.body).toEqual({ kid: expect.any(String), previous: oldKid });
    expect(rotated.body.kid).not.toBe(oldKid);

    const after = await t.call("POST", "/v1/evaluations", {
      body: { manifests: ALLOWED, images: [scanned] },
    });
    expect(after.body.receipt.signatures[0].keyid).toBe(rotated.body.kid);
    const jwks = (await t.call("GET", "/v1/keys", { token: null })).body;
    expect(jwks.keys.map((k: Json) => k.kid)).toEqual(expect.arrayContaining([oldKid, rotated.body.kid]));
    // the old key says when it was retired (a receipt it signs later is refused); the new one does not
    const oldKey = jwks.keys.find((k: Json) => k.kid === oldKid);
    const newKey = jwks.keys.find((k: Json) => k.kid === rotated.body.kid);
    expect(Date.parse(oldKey.retiredAt)).toBeGreaterThanOrEqual(Date.parse(before.body.evaluatedAt));
    expect(Date.parse(oldKey.retiredAt)).toBeLessThanOrEqual(Date.now() + 1000);
    expect(newKey.retiredAt).toBeUndefined();
    expect(independentVerify(before.body.receipt, jwks).predicate.evaluationId).toBe(before.body.id);
    expect(independentVerify(after.body.receipt, jwks).predicate.evaluationId).toBe(after.body.id);

    const audit = await t.call("GET", "/v1/audit?targetKind=signing-key");
    expect(audit.body.items[0]).toMatchObject({
      action: "signing-key.rotate",
      targetName: rotated.body.kid,
      detail: { previous: oldKid },
    });
    expect((await t.call("POST", "/v1/keys:rotate", { token: t.tokens.evaluator })).status).toBe(403);
  });

  it("signs with the key of CELGATE_SIGNING_KEY when given, and refuses to rotate it", async () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const x = createPublicKey(privateKey).export({ format: "jwk" }).x as string;
    const own = await setupApp(backend, { services: { signing: { key: privateKey } } });
    try {
      const res = await own.call("POST", "/v1/evaluations", {
        body: { manifests: ALLOWED, images: [scanned] },
      });
      expect(res.body.receipt.signatures[0].keyid).toBe(thumbprint(x));
      const jwks = (await own.call("GET", "/v1/keys", { token: null })).body;
      expect(jwks.keys).toEqual([
        { kty: "OKP", crv: "Ed25519", x, kid: thumbprint(x), use: "sig", alg: "EdDSA" },
      ]);
      expect(independentVerify(res.body.receipt, jwks).predicate.decision).toBe("allow");
      const rotate = await own.call("POST", "/v1/keys:rotate");
      expect(rotate.status).toBe(409);
      expect(rotate.body.detail).toContain("CELGATE_SIGNING_KEY");
    } finally {
      await own.close();
    }
  });
});
