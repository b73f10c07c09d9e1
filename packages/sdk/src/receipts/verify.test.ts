// verifyReceipt on envelopes signed here with node:crypto: the edges a service never produces
// (no key id, other predicates, odd key sets, repeated subjects). The receipts the real service
// makes are verified in test/receipts/verify.test.ts.
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { jwkThumbprint } from "@celgate/contracts";
import { describe, expect, it } from "vitest";
import { decisionStatement, publicJwk, signedEnvelope } from "../testing/receipts.js";
import { canonicalResourceJson } from "./canonical.js";
import { verifyReceipt } from "./verify.js";

const publicX = (key: KeyObject) => createPublicKey(key).export({ format: "jwk" }).x as string;

const { privateKey } = generateKeyPairSync("ed25519");
const KEY = await publicJwk(privateKey);
const K1 = KEY.kid;

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

/** Signed with the trusted key unless another is given. */
const envelope = (
  body: unknown,
  options: { keyid?: string; key?: KeyObject; type?: string; raw?: Buffer } = {},
) => signedEnvelope(body, { ...options, key: options.key ?? privateKey });

describe("verifyReceipt", () => {
  it("tries every key for a signature without a key id", async () => {
    const other = await publicJwk(generateKeyPairSync("ed25519").privateKey);
    const v = await verifyReceipt(envelope(decisionStatement([subject(cm("a", "1"))])), {
      keys: [other, KEY],
    });
    expect(v).toMatchObject({ valid: true, ok: true, keyId: K1, subjectsCompared: false });
  });

  it("matches repeated subjects one for one", async () => {
    const a = cm("a", "1");
    const body = decisionStatement([subject(a), subject(a)]);
    const keys = { keys: [KEY] };
    expect((await verifyReceipt(envelope(body, { keyid: K1 }), { keys, manifests: [a, a] })).ok).toBe(true);
    const once = await verifyReceipt(envelope(body, { keyid: K1 }), { keys, manifests: [a] });
    expect(once.problems).toEqual([
      expect.objectContaining({ code: "subject-missing", subject: "ConfigMap/shop/a" }),
    ]);
    const thrice = await verifyReceipt(envelope(body, { keyid: K1 }), { keys, manifests: [a, a, a] });
    expect(thrice.problems.map((p) => p.code)).toEqual(["not-in-receipt"]);
  });

  it("ignores image subjects when comparing manifests", async () => {
    const a = cm("a", "1");
    const image = {
      name: "registry.example/x",
      digest: { sha256: "b".repeat(64) },
      annotations: { "celgate.dev/subject": "image" },
    };
    const v = await verifyReceipt(envelope(decisionStatement([subject(a), image]), { keyid: K1 }), {
      keys: [KEY],
      manifests: [a],
    });
    expect(v.ok).toBe(true);
  });

  it("refuses a genuine signature over another predicate, naming the field", async () => {
    const v = await verifyReceipt(
      envelope(decisionStatement([subject(cm("a", "1"))], "https://slsa.dev/provenance/v1"), { keyid: K1 }),
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
    const good = envelope(decisionStatement([subject(cm("a", "1"))]), { keyid: K1 });
    // biome-ignore lint/suspicious/noExplicitAny: a caller without types may pass anything
    const odd = [{ keys: { a: 1 } }, { keys: "x" }, "keys", null] as any[];
    for (const keys of odd) expect((await verifyReceipt(good, { keys })).problems[0]?.code).toBe("no-keys");
    const rsa = await verifyReceipt(good, {
      keys: { keys: [{ kty: "RSA", n: "x", e: "AQAB", kid: K1 }] } as never,
    });
    expect(rsa.problems[0]?.message).toContain("none of the 1 key(s) given is an Ed25519 JWK");
  });

  describe("forged, altered and ambiguous receipts", () => {
    const good = () => envelope(decisionStatement([subject(cm("a", "1"))]), { keyid: K1 });
    const code = async (e: unknown, options: Partial<Parameters<typeof verifyReceipt>[1]> = {}) => {
      const v = await verifyReceipt(e, { keys: [KEY], ...options });
      return v.problems[0]?.code ?? (v.ok ? "ok" : "not ok");
    };

    it("refuses another payload type, even one the key signed", async () => {
      expect(await code({ ...good(), payloadType: "application/json" })).toBe("payload-type");
      const signedAsJson = envelope(decisionStatement([subject(cm("a", "1"))]), {
        keyid: K1,
        type: "application/json",
      });
      expect(await code(signedAsJson)).toBe("payload-type");
    });

    it("refuses a signature by another key, also under the trusted key's id", async () => {
      const other = generateKeyPairSync("ed25519").privateKey;
      expect(
        await code(envelope(decisionStatement([subject(cm("a", "1"))]), { keyid: K1, key: other })),
      ).toBe("signature");
      expect(
        await code(envelope(decisionStatement([subject(cm("a", "1"))]), { keyid: "k9", key: other })),
      ).toBe("unknown-key");
      // another key under the trusted key's id: refused before any signature is checked
      expect(await code(good(), { keys: [{ ...KEY, x: publicX(other) }] })).toBe("key-id");
    });

    it("refuses a key set that gives one key another key's kid, naming the kid", async () => {
      // key B published under key A's kid: without the check, B's receipts would say A signed them
      const b = generateKeyPairSync("ed25519").privateKey;
      const bAsA = { ...KEY, x: publicX(b) };
      const byB = envelope(decisionStatement([subject(cm("a", "1"))]), { keyid: K1, key: b });
      const v = await verifyReceipt(byB, { keys: { keys: [bAsA] } });
      expect(v).toMatchObject({ valid: false, ok: false, problems: [{ code: "key-id" }] });
      expect(v.keyId).toBeUndefined();
      expect(v.problems[0]!.message).toContain(`the key with kid "${K1}" is not that key`);
      expect(v.problems[0]!.message).toContain(`thumbprint is ${await jwkThumbprint(publicX(b))}`);
      // without a key id in the signature, too
      const anonymous = envelope(decisionStatement([subject(cm("a", "1"))]), { key: b });
      expect(await code(anonymous, { keys: [bAsA] })).toBe("key-id");
    });

    it("refuses the whole set when one key is misnamed, even beside the key that signed", async () => {
      const stray = { ...(await publicJwk(generateKeyPairSync("ed25519").privateKey)), kid: "prod-2026" };
      const v = await verifyReceipt(good(), { keys: [KEY, stray] });
      expect(v).toMatchObject({ valid: false, problems: [{ code: "key-id" }] });
      expect(v.problems[0]!.message).toContain('kid "prod-2026"');
      // a key given twice under its own kid is fine
      expect(await code(good(), { keys: [KEY, { ...KEY }] })).toBe("ok");
    });

    it("verifies with a rotated key kept in the set, and refuses once it is removed", async () => {
      const next = generateKeyPairSync("ed25519").privateKey;
      const nextKey = await publicJwk(next);
      expect(await code(good(), { keys: [KEY, nextKey] })).toBe("ok");
      expect(await code(good(), { keys: [nextKey] })).toBe("unknown-key");
    });

    it("refuses a receipt signed more than a minute after its key was retired, and takes one signed before", async () => {
      // the statement is signed at 2026-12-01T00:00:00Z
      const retiredAfter = { ...KEY, retiredAt: "2026-12-01T00:00:30.000Z" };
      expect(await code(good(), { keys: [retiredAfter] })).toBe("ok");
      const retiredBefore = { ...KEY, retiredAt: "2026-11-30T23:58:00.000Z" };
      const v = await verifyReceipt(good(), { keys: [retiredBefore] });
      expect(v.valid).toBe(false);
      expect(v.problems.map((p) => p.code)).toEqual(["key-retired"]);
      expect(v.problems[0]!.message).toContain(
        `signed at 2026-12-01T00:00:00.000Z with key ${K1}, which was retired at`,
      );
      // within the minute other replicas may still sign with it
      expect(await code(good(), { keys: [{ ...KEY, retiredAt: "2026-11-30T23:59:30.000Z" }] })).toBe("ok");
    });

    it("refuses a payload or an envelope that repeats a key", async () => {
      const body = JSON.stringify(decisionStatement([subject(cm("a", "1"))]));
      // a genuine signature over a statement that says deny to one reader and allow to another
      const twice = body.replace('"decision":"allow"', '"decision":"deny","decision":"allow"');
      const v = await verifyReceipt(envelope(null, { keyid: K1, raw: Buffer.from(twice) }), {
        keys: [KEY],
      });
      expect(v).toMatchObject({ valid: false, problems: [{ code: "statement" }] });
      expect(v.problems[0]?.message).toContain("repeats the key predicate.decision");
      const escaped = body.replace('"_type"', '"\\u005ftype":"x","_type"');
      expect(await code(envelope(null, { keyid: K1, raw: Buffer.from(escaped) }))).toBe("statement");
      const text = JSON.stringify(good());
      expect(await code(text)).toBe("ok");
      expect(await code(text.replace('"payloadType"', '"payloadType":"text/plain","payloadType"'))).toBe(
        "malformed",
      );
      expect(await code(`${text} {}`)).toBe("malformed"); // trailing data
    });

    it("refuses a payload that is not UTF-8, or carries a byte-order mark", async () => {
      const body = Buffer.from(JSON.stringify(decisionStatement([subject(cm("a", "1"))])));
      const latin = Buffer.from(body.toString("utf8").replace('"ev_1"', '"ev_\u00e9"'), "latin1");
      expect(await code(envelope(null, { keyid: K1, raw: latin }))).toBe("statement");
      const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]);
      expect(await code(envelope(null, { keyid: K1, raw: bom }))).toBe("statement");
    });

    it("takes base64 or base64url, each in its one spelling", async () => {
      const e = good();
      const url = e.payload.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
      expect(await code({ ...e, payload: url })).toBe("ok");
      expect(await code({ ...e, payload: e.payload.replace(/=+$/, "") })).toBe("ok");
      // the same bytes spelt otherwise: padding bits set, two alphabets, whitespace
      const last = e.payload.replace(/=+$/, "");
      expect(e.payload.length - last.length, "the fixture's payload needs padding").toBeGreaterThan(0);
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      const bumped = `${last.slice(0, -1)}${alphabet[alphabet.indexOf(last.at(-1) as string) + 1]}`;
      expect(await code({ ...e, payload: `${bumped}${e.payload.slice(last.length)}` })).toBe("malformed");
      if (/[+/]/.test(e.payload))
        expect(await code({ ...e, payload: e.payload.replace(/\+/, "-") })).toBe("malformed");
      expect(await code({ ...e, payload: `${e.payload.slice(0, 8)}\n${e.payload.slice(8)}` })).toBe(
        "malformed",
      );
    });

    it("refuses a receipt of another evaluation when one is expected", async () => {
      expect(await code(good(), { evaluationId: "ev_1" })).toBe("ok");
      const v = await verifyReceipt(good(), { keys: [KEY], evaluationId: "ev_2" });
      expect(v).toMatchObject({ valid: true, ok: false, problems: [{ code: "other-evaluation" }] });
    });
  });
});
