// The SDK's verifyReceipt over receipts made by the real service, on PGlite and on PostgreSQL:
// a genuine receipt verifies, and each kind of tampering or mismatch fails naming its reason.
// The same scenarios run on both databases and must end the same way.
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BACKENDS,
  deploymentYaml,
  type Json,
  setupApp,
  type TestApp,
} from "../../apps/server/src/test/harness.js";
import { parseManifests } from "../../packages/core/src/index.js";
import { jwkThumbprint, type ReceiptVerification, verifyReceipt } from "../../packages/sdk/src/index.js";

const IMAGE = `registry.example/shop/web@sha256:${"e".repeat(64)}`;
const scanned = (ref: string) => ({
  ref,
  scan: { scanner: "trivy 0.58.0", scannedAt: "2026-11-20T10:00:00Z", vulnerabilities: [] },
});
const WEB = deploymentYaml("web", { owner: "shop", image: IMAGE });
const API = deploymentYaml("api", { owner: "shop", image: IMAGE });
const objects = (yaml: string) => parseManifests(yaml, "m.yaml").resources.map((r) => r.object);

/** Replaces one byte of base64 data (decoded), re-encoded the same way. */
function flipByte(base64: string, at: number): string {
  const bytes = Buffer.from(base64, "base64");
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  return bytes.toString("base64");
}

/** What a scenario ended with, compared across the databases. */
const outcomes = new Map<string, Record<string, string>>();
const summary = (v: ReceiptVerification) =>
  `${v.valid ? "valid" : "invalid"} ${v.ok ? "ok" : "not-ok"} ${v.problems.map((p) => p.code).join(",")}`;

describe.each(BACKENDS)("verifyReceipt on receipts from %s", (backend) => {
  let t: TestApp;
  let jwks: Json;
  let allowed: Json;
  const seen: Record<string, string> = {};
  const record = (name: string, v: ReceiptVerification) => {
    seen[name] = summary(v);
    return v;
  };
  beforeAll(async () => {
    t = await setupApp(backend);
    const res = await t.call("POST", "/v1/evaluations", {
      body: { manifests: `${WEB}---\n${API}`, images: [scanned(IMAGE)], context: { environment: "prod" } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    allowed = res.body;
    jwks = (await t.call("GET", "/v1/keys", { token: null })).body;
  });
  afterAll(async () => {
    outcomes.set(backend, seen);
    await t.close();
  });

  it("verifies a genuine receipt against the manifests it was made from", async () => {
    const v = record(
      "genuine",
      await verifyReceipt(allowed.receipt, { manifests: objects(`${WEB}---\n${API}`), keys: jwks }),
    );
    expect(v).toMatchObject({ valid: true, ok: true, problems: [], subjectsCompared: true });
    expect(v.keyId).toBe(allowed.receipt.signatures[0].keyid);
    expect(v.statement?.predicate).toMatchObject({ evaluationId: allowed.id, decision: "allow" });
    // the envelope as text (a file read by a deploy tool) works the same
    expect((await verifyReceipt(JSON.stringify(allowed.receipt), { keys: jwks.keys })).ok).toBe(true);
  });

  it("names a manifest changed by one byte, one missing and one that was not evaluated", async () => {
    const changed = record(
      "manifest-changed",
      await verifyReceipt(allowed.receipt, {
        manifests: objects(`${WEB.replace("replicas: 2", "replicas: 3")}---\n${API}`),
        keys: jwks,
      }),
    );
    expect(changed).toMatchObject({ valid: true, ok: false });
    expect(changed.problems).toEqual([
      expect.objectContaining({ code: "subject-differs", subject: "Deployment/shop/web" }),
    ]);
    expect(changed.problems[0]?.message).toContain("Deployment/shop/web differs");

    const missing = record(
      "manifest-missing",
      await verifyReceipt(allowed.receipt, { manifests: objects(WEB), keys: jwks }),
    );
    expect(missing.problems).toEqual([
      expect.objectContaining({
        code: "subject-missing",
        subject: "Deployment/shop/api",
        message: "Deployment/shop/api is in the receipt but not among the manifests",
      }),
    ]);
    const extra = record(
      "manifest-extra",
      await verifyReceipt(allowed.receipt, {
        manifests: objects(`${WEB}---\n${API}---\n${deploymentYaml("db", { owner: "shop" })}`),
        keys: jwks,
      }),
    );
    expect(extra.problems).toEqual([
      expect.objectContaining({
        code: "not-in-receipt",
        message: "Deployment/shop/db is not in the receipt",
      }),
    ]);
  });

  it("refuses an envelope or a signature changed by one byte", async () => {
    const payload = record(
      "payload-changed",
      await verifyReceipt(
        { ...allowed.receipt, payload: flipByte(allowed.receipt.payload, 40) },
        { keys: jwks },
      ),
    );
    expect(payload).toMatchObject({ valid: false, ok: false, problems: [{ code: "signature" }] });
    expect(payload.problems[0]?.message).toContain("does not verify");
    const [sig] = allowed.receipt.signatures;
    const signature = record(
      "signature-changed",
      await verifyReceipt(
        { ...allowed.receipt, signatures: [{ ...sig, sig: flipByte(sig.sig, 5) }] },
        { keys: jwks },
      ),
    );
    expect(signature).toMatchObject({ valid: false, problems: [{ code: "signature" }] });
    const type = record(
      "payload-type-changed",
      await verifyReceipt({ ...allowed.receipt, payloadType: "application/json" }, { keys: jwks }),
    );
    expect(type.problems[0]).toMatchObject({ code: "payload-type" });
    const junk = record("not-an-envelope", await verifyReceipt({ payload: 1 }, { keys: jwks }));
    expect(junk.problems[0]).toMatchObject({ code: "malformed" });
    expect(junk.problems[0]?.message).toContain("not a DSSE envelope");
  });

  it("refuses a receipt checked with another key", async () => {
    const other = createPublicKey(generateKeyPairSync("ed25519").privateKey).export({ format: "jwk" })
      .x as string;
    const unknown = record(
      "another-key",
      await verifyReceipt(allowed.receipt, {
        keys: [{ kty: "OKP", crv: "Ed25519", x: other, kid: await jwkThumbprint(other) }],
      }),
    );
    expect(unknown).toMatchObject({ valid: false, problems: [{ code: "unknown-key" }] });
    expect(unknown.problems[0]?.message).toContain(allowed.receipt.signatures[0].keyid);
    // the right key id with the wrong key material: a forged JWKS, refused for the kid it misuses
    const forged = record(
      "forged-key",
      await verifyReceipt(allowed.receipt, {
        keys: [{ kty: "OKP", crv: "Ed25519", x: other, kid: allowed.receipt.signatures[0].keyid }],
      }),
    );
    expect(forged).toMatchObject({ valid: false, problems: [{ code: "key-id" }] });
    expect(forged.problems[0]?.message).toContain(`kid "${allowed.receipt.signatures[0].keyid}"`);
    expect((await verifyReceipt(allowed.receipt, { keys: { keys: [] } })).problems[0]?.code).toBe("no-keys");
  });

  it("says a valid receipt of a denied decision does not allow", async () => {
    const res = await t.call("POST", "/v1/evaluations", { body: { manifests: deploymentYaml("bad") } });
    const v = record(
      "denied",
      await verifyReceipt(res.body.receipt, { manifests: objects(deploymentYaml("bad")), keys: jwks }),
    );
    expect(v).toMatchObject({ valid: true, ok: false, problems: [{ code: "denied" }] });
    expect(v.problems[0]?.message).toContain(`evaluation ${res.body.id} is deny`);
  });

  it("checks the age, the policy-set digest and required policies", async () => {
    const signedAt = await verifyReceipt(allowed.receipt, { keys: jwks }).then(
      (v) => v.statement!.predicate.signedAt,
    );
    const future = new Date(Date.parse(signedAt) + 25 * 3_600_000);
    const old = record(
      "too-old",
      await verifyReceipt(allowed.receipt, { keys: jwks, maxAgeMs: 86_400_000, now: future }),
    );
    expect(old.problems.map((p) => p.code)).toEqual(["too-old"]);
    expect(old.problems[0]?.message).toBe(`signed at ${signedAt}, longer ago than the maximum age of 1d`);
    // the age counts from the service's clock: a request's own clock (\`now\`) moves evaluatedAt only
    const backdated = await t.call("POST", "/v1/evaluations", {
      body: { manifests: WEB, images: [scanned(IMAGE)], now: "2020-01-01T00:00:00Z" },
    });
    expect(backdated.body.evaluatedAt).toBe("2020-01-01T00:00:00.000Z");
    expect((await verifyReceipt(backdated.body.receipt, { keys: jwks, maxAgeMs: 3_600_000 })).ok).toBe(true);
    expect(
      (
        await verifyReceipt(allowed.receipt, {
          keys: jwks,
          maxAgeMs: 86_400_000,
          now: new Date(signedAt),
        })
      ).ok,
    ).toBe(true);
    const digest = record(
      "policy-set",
      await verifyReceipt(allowed.receipt, { keys: jwks, policiesDigest: `sha256:${"0".repeat(64)}` }),
    );
    expect(digest.problems[0]?.message).toContain(allowed.policySet.digest);
    expect(
      (await verifyReceipt(allowed.receipt, { keys: jwks, policiesDigest: allowed.policySet.digest })).ok,
    ).toBe(true);
    const required = record(
      "policy-missing",
      await verifyReceipt(allowed.receipt, {
        keys: jwks,
        requirePolicies: ["owner-label", "no-such-policy"],
      }),
    );
    expect(required.problems).toEqual([
      { code: "policy-missing", message: "policy no-such-policy was not in the evaluated policy set" },
    ]);
  });

  it("keeps a receipt verifiable after the key is rotated", async () => {
    expect((await t.call("POST", "/v1/keys:rotate")).status).toBe(201);
    const after = (await t.call("GET", "/v1/keys", { token: null })).body;
    expect(after.keys).toHaveLength(2);
    record(
      "after-rotation",
      await verifyReceipt(allowed.receipt, { manifests: objects(`${WEB}---\n${API}`), keys: after }),
    );
    expect(seen["after-rotation"]).toBe("valid ok ");
    // a new receipt is signed by the new key, which the old pinned set does not hold
    const fresh = await t.call("POST", "/v1/evaluations", {
      body: { manifests: WEB, images: [scanned(IMAGE)] },
    });
    expect((await verifyReceipt(fresh.body.receipt, { keys: jwks })).problems[0]?.code).toBe("unknown-key");
    expect((await verifyReceipt(fresh.body.receipt, { manifests: objects(WEB), keys: after })).ok).toBe(true);
  });
});

describe("receipts from PGlite and from PostgreSQL", () => {
  it.skipIf(BACKENDS.length < 2)("verify the same way, scenario by scenario", () => {
    const [a, b] = [outcomes.get("pglite"), outcomes.get("postgres")];
    expect(Object.keys(a ?? {}).length).toBeGreaterThanOrEqual(12);
    expect(b).toEqual(a);
  });
});
