import { z } from "zod";
import { EvaluationSourceSchema } from "./common.js";
import { toBase64 } from "./dsse.js";
import { DecisionSchema, SummarySchema } from "./report.js";

// Signed decision receipts (docs/receipts.md): an in-toto Statement v1 whose predicate is a
// celgate decision, in a DSSE envelope signed with Ed25519. The service signs, the SDK and the
// CLI verify; both take the formats and the pre-authentication encoding from here.

/** The in-toto Statement type (https://github.com/in-toto/attestation, v1). */
export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
/** The payload type of an in-toto statement in a DSSE envelope. */
export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
/** The predicate type of a celgate decision; a new version gets a new URI. */
export const DECISION_PREDICATE_TYPE = "https://celgate.dev/decision/v1";
/** The subject annotation that says what a subject is: `resource` or `image`. */
export const SUBJECT_ANNOTATION = "celgate.dev/subject";

/** An in-toto ResourceDescriptor as a receipt uses it: a name, a sha256 digest, what it is. */
export const ReceiptSubjectSchema = z.object({
  name: z.string(),
  digest: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }).catchall(z.string()),
  annotations: z.record(z.string(), z.unknown()).optional(),
});
export type ReceiptSubject = z.infer<typeof ReceiptSubjectSchema>;

/** The predicate of `https://celgate.dev/decision/v1`: what was decided, by what, for whom. */
export const DecisionPredicateSchema = z
  .object({
    /** The recorded evaluation (`GET /v1/evaluations/{id}`). */
    evaluationId: z.string(),
    decision: DecisionSchema,
    /** The clock the policies saw: the service's, or the request's `now` when it gave one. */
    evaluatedAt: z.string(),
    /** When the service signed the decision, by its own clock: what a maximum age is measured from. */
    signedAt: z.string(),
    /** How the evaluation came: api, cli (`check --server`) or admission. */
    source: EvaluationSourceSchema,
    policySet: z.object({
      /** The report's policySet.digest: engine version and every policy document evaluated. */
      digest: z.string(),
      /** Each policy of the set, by name, stored version (policies from the API) and document digest. */
      policies: z.array(
        z.object({ name: z.string(), version: z.number().int().optional(), digest: z.string() }),
      ),
    }),
    /** Each exception that waived a result: its name, the policy and the resource (subject name). */
    exceptions: z.array(z.object({ name: z.string(), policy: z.string(), resource: z.string() })),
    /** The caller's context as given (environment, cluster, commit, ...). */
    context: z.record(z.string(), z.unknown()),
    summary: SummarySchema,
  })
  .meta({ id: "DecisionPredicate" });
export type DecisionPredicate = z.infer<typeof DecisionPredicateSchema>;

/** The statement a receipt signs. */
export const ReceiptStatementSchema = z
  .object({
    _type: z.literal(STATEMENT_TYPE),
    subject: z.array(ReceiptSubjectSchema).min(1),
    predicateType: z.literal(DECISION_PREDICATE_TYPE),
    predicate: DecisionPredicateSchema,
  })
  .meta({ id: "ReceiptStatement" });
export type ReceiptStatement = z.infer<typeof ReceiptStatementSchema>;

/** A public signing key as a JWK (RFC 8037 OKP, Ed25519). */
export const SigningJwkSchema = z
  .object({
    kty: z.literal("OKP"),
    crv: z.literal("Ed25519"),
    x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "a base64url Ed25519 public key (43 characters)"),
    kid: z.string().min(1),
    use: z.literal("sig").optional(),
    alg: z.literal("EdDSA").optional(),
    /**
     * celgate's member: when the service stopped signing with this key (a rotation). A receipt
     * it signed more than a minute later was not signed by the service, and is refused.
     */
    retiredAt: z.iso.datetime({ offset: true }).optional(),
  })
  .meta({ id: "SigningJwk" });
export type SigningJwk = z.infer<typeof SigningJwkSchema>;

/** `GET /v1/keys`: every public key receipts were or are signed with. */
export const JwksSchema = z.object({ keys: z.array(SigningJwkSchema) }).meta({ id: "Jwks" });
export type Jwks = z.infer<typeof JwksSchema>;

/** `POST /v1/keys:rotate`: the new key, and the one it replaces (still published). */
export const KeyRotationSchema = z
  .object({ kid: z.string(), previous: z.string().nullable() })
  .meta({ id: "KeyRotation" });
export type KeyRotation = z.infer<typeof KeyRotationSchema>;

/**
 * The RFC 7638 thumbprint input of an Ed25519 JWK: its required members in lexicographic
 * order, no whitespace. Its SHA-256, base64url, is the key id. Throws nothing.
 */
function jwkThumbprintInput(x: string): string {
  return `{"crv":"Ed25519","kty":"OKP","x":"${x}"}`;
}

/**
 * The key id celgate gives an Ed25519 public key (its JWK `x`): the RFC 7638 thumbprint,
 * base64url SHA-256 of jwkThumbprintInput, without padding. The one rule the service names its
 * keys by and the verifiers check a key's `kid` against. Uses Web Crypto (Node 20+, browsers).
 */
export async function jwkThumbprint(x: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(jwkThumbprintInput(x)),
  );
  return toBase64(new Uint8Array(digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
