import {
  type DsseEnvelope,
  DsseEnvelopeSchema,
  duplicateJsonKey,
  fromBase64,
  IN_TOTO_PAYLOAD_TYPE,
  type Jwks,
  jwkThumbprint,
  pae,
  type ReceiptStatement,
  ReceiptStatementSchema,
  type SigningJwk,
  SigningJwkSchema,
  SUBJECT_ANNOTATION,
} from "@celgate/contracts";
import { resourceDigest, resourceSubjectName } from "./canonical.js";

/**
 * Why a receipt did not pass. The first group makes a receipt invalid (it proves nothing);
 * the second says a valid receipt does not vouch for this deployment.
 */
export type ReceiptProblemCode =
  | "malformed"
  | "payload-type"
  | "no-keys"
  | "unknown-key"
  | "key-id"
  | "signature"
  | "statement"
  | "key-retired"
  | "denied"
  | "too-old"
  | "policy-set"
  | "policy-missing"
  | "subject-differs"
  | "subject-missing"
  | "not-in-receipt"
  | "other-evaluation";

/** The codes after which a receipt is invalid: it was not signed by a given key, or is not a celgate receipt. */
export const INVALID_RECEIPT_CODES: ReadonlySet<ReceiptProblemCode> = new Set([
  "malformed",
  "payload-type",
  "no-keys",
  "unknown-key",
  "key-id",
  "signature",
  "statement",
  "key-retired",
]);

export interface ReceiptProblem {
  code: ReceiptProblemCode;
  message: string;
  /** The subject (`kind/namespace/name`) a subject problem is about. */
  subject?: string;
}

export interface VerifyReceiptOptions {
  /**
   * The resource objects about to be deployed (parsed manifests; unpack `List`s first). They
   * must be exactly the receipt's resource subjects. Omitted: the subjects are not compared,
   * and the result says so (`subjectsCompared: false`).
   */
  manifests?: readonly unknown[];
  /** The public keys to trust: a JWKS (`GET /v1/keys`, pinned) or a list of Ed25519 JWKs with `kid`. */
  keys: Jwks | readonly SigningJwk[];
  /** Oldest acceptable decision, as an age in milliseconds from `now`. */
  maxAgeMs?: number;
  /** Default: the current time. */
  now?: Date;
  /** The expected policy-set digest (`sha256:...`). */
  policiesDigest?: string;
  /** Policies that must have been in the evaluated set. */
  requirePolicies?: readonly string[];
  /** The evaluation the receipt must be of (the `id` of the report it came in, say). */
  evaluationId?: string;
}

export interface ReceiptVerification {
  /** Signed by one of the keys and a celgate decision statement: the receipt is genuine. */
  valid: boolean;
  /** Valid, the decision is allow or warn, and every requested check passed. */
  ok: boolean;
  /** Every reason it is not ok, each naming what failed; empty when ok. */
  problems: ReceiptProblem[];
  /** The signed statement, once the signature verified. */
  statement?: ReceiptStatement;
  /** The key that verified it. */
  keyId?: string;
  /** False when no manifests were given to compare with the subjects. */
  subjectsCompared: boolean;
}

/** How long after a key's retirement a receipt it signed is still taken: the service's replicas switch keys within a minute. */
export const KEY_RETIREMENT_GRACE_MS = 60_000;

/** The keys given, read: the usable ones, how many there were, and those whose kid is not their own. */
interface TrustedKeys {
  /** The Ed25519 JWKs with a kid; others (RSA keys of a shared JWKS, say) verify nothing. */
  keys: SigningJwk[];
  given: number;
  /** Ed25519 keys whose kid is not the thumbprint of their public key: the set was edited. */
  misnamed: { kid: string; thumbprint: string }[];
}

/**
 * Reads the keys given and computes each Ed25519 key's id by the rule the service names its
 * keys by (jwkThumbprint, from the contracts both use). A kid that is not its key's own would
 * let one key pass for another, and every record naming the kid would then name the wrong key.
 */
async function readKeys(keys: VerifyReceiptOptions["keys"]): Promise<TrustedKeys> {
  const inner = (keys as Jwks | undefined)?.keys;
  const list: readonly unknown[] = Array.isArray(keys) ? keys : Array.isArray(inner) ? inner : [];
  const usable: SigningJwk[] = [];
  const misnamed: TrustedKeys["misnamed"] = [];
  for (const k of list) {
    const parsed = SigningJwkSchema.safeParse(k);
    if (!parsed.success) continue;
    usable.push(parsed.data);
    const thumbprint = await jwkThumbprint(parsed.data.x);
    if (parsed.data.kid !== thumbprint) misnamed.push({ kid: parsed.data.kid, thumbprint });
  }
  return { keys: usable, given: list.length, misnamed };
}

async function verifyWith(
  key: SigningJwk,
  signature: Uint8Array<ArrayBuffer>,
  message: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  const subtle = globalThis.crypto.subtle;
  const imported = await subtle.importKey(
    "jwk",
    { kty: "OKP", crv: "Ed25519", x: key.x },
    { name: "Ed25519" },
    false,
    ["verify"],
  );
  return subtle.verify({ name: "Ed25519" }, imported, signature, message);
}

/**
 * Checks the signature of the envelope, then what it says. Never throws on bad input: every
 * failure is a problem in the result. Uses Web Crypto (Node 20+, current browsers).
 */
async function checkSignature(
  envelope: DsseEnvelope,
  { keys, given, misnamed }: TrustedKeys,
): Promise<{ keyId: string; payload: Uint8Array } | ReceiptProblem> {
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE)
    return {
      code: "payload-type",
      message: `the payload type is ${JSON.stringify(envelope.payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}`,
    };
  const payload = fromBase64(envelope.payload);
  if (!payload)
    return {
      code: "malformed",
      message:
        "the envelope's payload is not base64 in its canonical spelling (one alphabet, no whitespace, unused bits zero)",
    };
  if (keys.length === 0)
    return {
      code: "no-keys",
      message:
        given === 0
          ? "no public key was given to verify with"
          : `none of the ${given} key(s) given is an Ed25519 JWK (kty OKP, crv Ed25519) with a kid`,
    };
  // fail closed: a key set that names a key wrongly was edited, and nothing else in it is sure
  if (misnamed.length > 0)
    return {
      code: "key-id",
      message: `the keys given are refused: ${misnamed
        .map(
          (m) =>
            `the key with kid ${JSON.stringify(m.kid)} is not that key (its public key's RFC 7638 thumbprint is ${m.thumbprint})`,
        )
        .join("; ")}; a key's kid must be its thumbprint, as GET /v1/keys publishes it`,
    };
  const message = pae(envelope.payloadType, payload);
  const named: string[] = [];
  for (const s of envelope.signatures) {
    const signature = fromBase64(s.sig);
    if (!signature) continue;
    const candidates = s.keyid === undefined ? keys : keys.filter((k) => k.kid === s.keyid);
    if (s.keyid !== undefined) named.push(s.keyid);
    for (const key of candidates) {
      try {
        if (await verifyWith(key, signature, message)) return { keyId: key.kid, payload };
      } catch {
        // a key Web Crypto refuses verifies nothing
      }
    }
  }
  const known = new Set(keys.map((k) => k.kid));
  if (named.length > 0 && named.every((kid) => !known.has(kid)))
    return {
      code: "unknown-key",
      message: `signed with key ${named.join(", ")}, which is not among the ${keys.length} trusted key(s) (${[...known].join(", ")})`,
    };
  return {
    code: "signature",
    message: "the signature does not verify: the receipt was changed after signing, or signed by another key",
  };
}

/** Compares the manifests with the receipt's resource subjects, naming each one that differs or is missing. */
async function compareSubjects(
  statement: ReceiptStatement,
  manifests: readonly unknown[],
): Promise<ReceiptProblem[]> {
  const problems: ReceiptProblem[] = [];
  const expected = new Map<string, string[]>();
  for (const s of statement.subject) {
    if (s.annotations?.[SUBJECT_ANNOTATION] !== "resource") continue;
    expected.set(s.name, [...(expected.get(s.name) ?? []), s.digest.sha256]);
  }
  for (const object of manifests) {
    const name = resourceSubjectName(object);
    const digest = await resourceDigest(object);
    const digests = expected.get(name);
    if (!digests) {
      problems.push({ code: "not-in-receipt", subject: name, message: `${name} is not in the receipt` });
      continue;
    }
    const at = digests.indexOf(digest);
    if (at < 0) {
      problems.push({
        code: "subject-differs",
        subject: name,
        message: `${name} differs from the evaluated one (sha256 ${digest}, the receipt has ${digests.join(", ")})`,
      });
      digests.shift();
    } else digests.splice(at, 1);
    if (digests.length === 0) expected.delete(name);
  }
  for (const [name, digests] of expected)
    for (const _ of digests)
      problems.push({
        code: "subject-missing",
        subject: name,
        message: `${name} is in the receipt but not among the manifests`,
      });
  return problems;
}

/**
 * Verifies a decision receipt (a DSSE envelope from `GET /v1/evaluations/{id}/receipt` or a
 * report's `receipt`) offline: the Ed25519 signature against the given keys, the statement,
 * the decision, and the optional checks (manifests equal to the subjects, age, policy set).
 * Never throws: every failure is a problem naming its reason.
 */
export async function verifyReceipt(
  envelope: unknown,
  options: VerifyReceiptOptions,
): Promise<ReceiptVerification> {
  const subjectsCompared = options.manifests !== undefined;
  const fail = (problem: ReceiptProblem): ReceiptVerification => ({
    valid: false,
    ok: false,
    problems: [problem],
    subjectsCompared,
  });
  const repeated = typeof envelope === "string" ? duplicateJsonKey(envelope) : null;
  if (repeated !== null && safeJson(envelope as string) !== undefined)
    return fail({
      code: "malformed",
      message: `the envelope repeats the key ${repeated}: JSON readers disagree on which one counts`,
    });
  const parsed = DsseEnvelopeSchema.safeParse(typeof envelope === "string" ? safeJson(envelope) : envelope);
  if (!parsed.success)
    return fail({
      code: "malformed",
      message: `not a DSSE envelope: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    });
  const trusted = await readKeys(options.keys);
  const signed = await checkSignature(parsed.data, trusted);
  if ("code" in signed) return fail(signed);
  let text: string;
  try {
    // fatal: bytes that are not UTF-8 are refused, never replaced; a byte-order mark is kept (and refused)
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(signed.payload);
  } catch {
    return fail({ code: "statement", message: "the signed payload is not UTF-8 text" });
  }
  const json = safeJson(text);
  if (json === undefined)
    return fail({ code: "statement", message: "the signed payload is not one JSON document" });
  const twice = duplicateJsonKey(text);
  if (twice !== null)
    return fail({
      code: "statement",
      message: `the signed payload repeats the key ${twice}: JSON readers disagree on which one counts`,
    });
  const statement = ReceiptStatementSchema.safeParse(json);
  if (!statement.success)
    return fail({
      code: "statement",
      message: `the signed payload is not a celgate decision statement: ${statement.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
        .join("; ")}`,
    });
  const s = statement.data;
  const p = s.predicate;
  const problems: ReceiptProblem[] = [];
  if (p.decision === "deny")
    problems.push({
      code: "denied",
      message: `the decision of evaluation ${p.evaluationId} is deny (${p.summary.fail} failed, ${p.summary.error} errors)`,
    });
  if (options.maxAgeMs !== undefined) {
    // the service's clock, not evaluatedAt, which a request may set (`now`)
    const at = Date.parse(p.signedAt);
    const now = (options.now ?? new Date()).getTime();
    if (!Number.isFinite(at) || now - at > options.maxAgeMs)
      problems.push({
        code: "too-old",
        message: `signed at ${p.signedAt}, longer ago than the maximum age of ${formatMs(options.maxAgeMs)}`,
      });
  }
  const key = trusted.keys.find((k) => k.kid === signed.keyId);
  if (key?.retiredAt !== undefined) {
    // other replicas may sign with a rotated key for up to a minute; later than that, whoever
    // signed held the retired private key (a copy from a backup, say). signedAt is the signer's
    // word, so one who backdates it is caught by a maximum age (--max-age).
    const signedAt = Date.parse(p.signedAt);
    const retired = Date.parse(key.retiredAt);
    if (!Number.isFinite(signedAt) || signedAt > retired + KEY_RETIREMENT_GRACE_MS)
      problems.push({
        code: "key-retired",
        message: `signed at ${p.signedAt} with key ${key.kid}, which was retired at ${key.retiredAt}`,
      });
  }
  if (options.evaluationId !== undefined && p.evaluationId !== options.evaluationId)
    problems.push({
      code: "other-evaluation",
      message: `the receipt is of evaluation ${p.evaluationId}, not ${options.evaluationId}`,
    });
  if (options.policiesDigest !== undefined && p.policySet.digest !== options.policiesDigest)
    problems.push({
      code: "policy-set",
      message: `the policy set evaluated is ${p.policySet.digest}, not the expected ${options.policiesDigest}`,
    });
  const evaluated = new Set(p.policySet.policies.map((x) => x.name));
  for (const name of options.requirePolicies ?? [])
    if (!evaluated.has(name))
      problems.push({
        code: "policy-missing",
        message: `policy ${name} was not in the evaluated policy set`,
      });
  if (options.manifests !== undefined) problems.push(...(await compareSubjects(s, options.manifests)));
  return {
    // signed by a trusted key, and not after the key was retired
    valid: !problems.some((problem) => INVALID_RECEIPT_CODES.has(problem.code)),
    ok: problems.length === 0,
    problems,
    statement: s,
    keyId: signed.keyId,
    subjectsCompared,
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `90000000` as `25h`, `90000` as `1m30s`: durations as they were given. */
function formatMs(ms: number): string {
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(ms / 1000));
  for (const [unit, seconds] of [
    ["d", 86_400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    const n = Math.floor(rest / seconds);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * seconds;
  }
  return parts.join("") || "0s";
}
