// verifyReceipt on envelopes signed here with node:crypto: the edges a service never produces
// (no key id, other predicates, odd key sets, repeated subjects). The receipts the real service
// makes are verified in test/receipts/verify.test.ts.
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalResourceJson } from "./canonical.js";
import { verifyReceipt } from "./verify.js";

const { privateKey } = generateKeyPairSync("ed25519");
const x = createPublicKey(privateKey).export({ format: "jwk" }).x as string;
const KEY = { kty: "OKP" as const, crv: "Ed25519" as const, x, kid: "k1" };

const cm = (name: string, value: string) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "shop" },
  data: { value },
});
const subject = (object: ReturnType<typeof cm>) => ({
  name: `ConfigMap/shop/${object.metadata.name}`,
  digest: { sha256: createHash("sha256").update(canonicalResourceJson(object)).digest("hex") },
  annotations: { "celgate.dev/subject": "resource" },
});

function statement(subjects: unknown[], predicateType = "https://celgate.dev/decision/v1") {
  return {
    _type: "https://in-toto.io/Statement/v1",
    subject: subjects,
    predicateType,
    predicate: {
      evaluationId: "ev_1",
      decision: "allow",
      evaluatedAt: "2026-12-01T00:00:00.000Z",
      signedAt: "2026-12-01T00:00:00.000Z",
      source: "api",
      policySet: { digest: `sha256:${"a".repeat(64)}`, policies: [{ name: "p", digest: "sha256:x" }] },
      exceptions: [],
      context: {},
      summary: { resources: 1, pass: 1, fail: 0, error: 0, skip: 0, waived: 0 },
    },
  };
}

function envelope(body: unknown, options: { keyid?: string; key?: KeyObject } = {}) {
  const payload = Buffer.from(JSON.stringify(body));
  const type = "application/vnd.in-toto+json";
  const message = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${payload.length} `), payload]);
  const sig = sign(null, message, options.key ?? privateKey).toString("base64");
  return {
    payload: payload.toString("base64"),
    payloadType: type,
    signatures: [{ ...(options.keyid === undefined ? {} : { keyid: options.keyid }), sig }],
  };
}

describe("verifyReceipt", () => {
  it("tries every key for a signature without a key id", async () => {
    const other = {
      ...KEY,
      kid: "k0",
      x: createPublicKey(generateKeyPairSync("ed25519").privateKey).export({ format: "jwk" }).x as string,
    };
    const v = await verifyReceipt(envelope(statement([subject(cm("a", "1"))])), { keys: [other, KEY] });
    expect(v).toMatchObject({ valid: true, ok: true, keyId: "k1", subjectsCompared: false });
  });

  it("matches repeated subjects one for one", async () => {
    const a = cm("a", "1");
    const body = statement([subject(a), subject(a)]);
    const keys = { keys: [KEY] };
    expect((await verifyReceipt(envelope(body, { keyid: "k1" }), { keys, manifests: [a, a] })).ok).toBe(true);
    const once = await verifyReceipt(envelope(body, { keyid: "k1" }), { keys, manifests: [a] });
    expect(once.problems).toEqual([
      expect.objectContaining({ code: "subject-missing", subject: "ConfigMap/shop/a" }),
    ]);
    const thrice = await verifyReceipt(envelope(body, { keyid: "k1" }), { keys, manifests: [a, a, a] });
    expect(thrice.problems.map((p) => p.code)).toEqual(["not-in-receipt"]);
  });

  it("ignores image subjects when comparing manifests", async () => {
    const a = cm("a", "1");
    const image = {
      name: "registry.example/x",
      digest: { sha256: "b".repeat(64) },
      annotations: { "celgate.dev/subject": "image" },
    };
    const v = await verifyReceipt(envelope(statement([subject(a), image]), { keyid: "k1" }), {
      keys: [KEY],
      manifests: [a],
    });
    expect(v.ok).toBe(true);
  });

  it("refuses a genuine signature over another predicate, naming the field", async () => {
    const v = await verifyReceipt(
      envelope(statement([subject(cm("a", "1"))], "https://slsa.dev/provenance/v1"), { keyid: "k1" }),
      {
        keys: [KEY],
      },
    );
    expect(v).toMatchObject({ valid: false, problems: [{ code: "statement" }] });
    expect(v.problems[0]?.message).toContain("predicateType");
  });

  it("never throws on nonsense: a missing envelope, keys that are not a key set", async () => {
    expect((await verifyReceipt(undefined, { keys: [KEY] })).problems[0]?.code).toBe("malformed");
    expect((await verifyReceipt("not json", { keys: [KEY] })).problems[0]?.code).toBe("malformed");
    const good = envelope(statement([subject(cm("a", "1"))]), { keyid: "k1" });
    // biome-ignore lint/suspicious/noExplicitAny: a caller without types may pass anything
    const odd = [{ keys: { a: 1 } }, { keys: "x" }, "keys", null] as any[];
    for (const keys of odd) expect((await verifyReceipt(good, { keys })).problems[0]?.code).toBe("no-keys");
    const rsa = await verifyReceipt(good, {
      keys: { keys: [{ kty: "RSA", n: "x", e: "AQAB", kid: "k1" }] } as never,
    });
    expect(rsa.problems[0]?.message).toContain("none of the 1 key(s) given is an Ed25519 JWK");
  });
});
