/**
 * Signed decision receipts made here with node:crypto, as the service makes them: a trusted
 * key, the in-toto statement of an allow, and its DSSE envelope, for the verifier's and the
 * CLI's tests. The statement's constants and the signed bytes (DSSE's PAE) are spelt out here
 * rather than taken from @celgate/contracts, so that the verifier is checked against an
 * independent spelling of the format, not against its own.
 */
import { createPublicKey, type KeyObject, sign } from "node:crypto";
import { jwkThumbprint, type SigningJwk } from "@celgate/contracts";

/** The JWK of `key`'s public half as GET /v1/keys publishes it: its kid is its RFC 7638 thumbprint. */
export async function publicJwk(key: KeyObject): Promise<SigningJwk> {
  const x = createPublicKey(key).export({ format: "jwk" }).x as string;
  return { kty: "OKP", crv: "Ed25519", x, kid: await jwkThumbprint(x) };
}

/**
 * The statement of a receipt that allows: evaluation `ev_1`, evaluated and signed at
 * 2026-12-01T00:00:00.000Z, from `api`, one policy, one passing resource. `subjects` are its
 * `subject` as given (a test may give any); `predicateType` may name another predicate.
 */
export function decisionStatement(
  subjects: unknown[],
  predicateType = "https://celgate.dev/decision/v1",
): Record<string, unknown> {
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

/**
 * The DSSE envelope of `body` (as JSON, or the bytes `raw`) signed with `key` over DSSE's
 * pre-authentication encoding; `keyid` is left out unless given, `type` is the in-toto payload
 * type unless given.
 */
export function signedEnvelope(
  body: unknown,
  options: { key: KeyObject; keyid?: string; type?: string; raw?: Buffer },
): { payload: string; payloadType: string; signatures: { keyid?: string; sig: string }[] } {
  const payload = options.raw ?? Buffer.from(JSON.stringify(body));
  const type = options.type ?? "application/vnd.in-toto+json";
  const message = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${payload.length} `), payload]);
  const sig = sign(null, message, options.key).toString("base64");
  return {
    payload: payload.toString("base64"),
    payloadType: type,
    signatures: [{ ...(options.keyid === undefined ? {} : { keyid: options.keyid }), sig }],
  };
}
