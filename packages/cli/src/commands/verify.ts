import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  duplicateJsonKey,
  INVALID_RECEIPT_CODES,
  jwkThumbprint,
  parseDuration,
  type ReceiptVerification,
  type SigningJwk,
  verifyReceipt,
} from "@celgate/sdk";
import { parseFlags } from "../args.js";
import { EXIT, InputError } from "../errors.js";
import { readOneInput } from "../inputs/files.js";
import { writeOutput } from "../output.js";
import { loadManifests } from "./check.js";

export const VERIFY_HELP = `Usage: celgate verify RECEIPT [MANIFEST...] --key FILE|URL [options]

Checks a signed decision receipt offline (docs/receipts.md): its Ed25519 signature against
the keys you trust, that the manifests (files or folders, - for stdin) are exactly the
resources it names, and that the decision allowed them. RECEIPT is the DSSE envelope written
by "celgate check --server --receipt FILE" or returned by GET /v1/evaluations/{id}/receipt
(a report holding a "receipt" works too).

Exit codes: 0 the receipt is valid and allows these manifests; 1 the receipt is valid, but its
decision is deny, a manifest differs from or is missing in it, or a check below failed; 2 usage
or input error, or a receipt that is not valid (changed after signing, signed by a key you do
not trust, or not a celgate receipt), or keys refused because one's kid is not its RFC 7638
thumbprint (a hand-edited key file).

Options:
  -k, --key FILE|URL          keys to trust (repeatable): a JWKS saved from GET /v1/keys, one
                              JWK, a PEM public key, or the http(s) URL of a JWKS. Pin a file:
                              a URL trusts whatever the service answers today
      --max-age DURATION      refuse a decision signed longer ago than this: 30m, 24h, 7d
      --policies-digest D     the policy-set digest the decision must have used (sha256:...)
      --require-policy NAME   a policy that must have been in the evaluated set (repeatable)
  -o, --format FORMAT         text (default) | json
  -h, --help                  show this help
`;

const FLAGS = {
  key: { type: "string", short: "k", multiple: true },
  "max-age": { type: "string" },
  "policies-digest": { type: "string" },
  "require-policy": { type: "string", multiple: true },
  format: { type: "string", short: "o" },
  help: { type: "boolean", short: "h" },
} as const;

/** Per key URL, the body included. */
const KEY_FETCH_TIMEOUT_MS = 10_000;
/** The longest key set read from a URL: a JWKS is a few hundred bytes. */
const KEY_FETCH_MAX_BYTES = 1024 * 1024;

/** Runs `celgate verify`; returns the exit code. Throws InputError for usage and input problems. */
export async function verifyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, FLAGS, "verify");
  if (values.help) {
    process.stdout.write(VERIFY_HELP);
    return EXIT.allowed;
  }
  const [receiptPath, ...manifestPaths] = positionals;
  if (receiptPath === undefined) throw new InputError("verify: no receipt given (see celgate verify --help)");
  if (!values.key?.length)
    throw new InputError(
      "verify: no --key given: a receipt is only worth the key you trust (see celgate verify --help)",
    );
  const format = values.format ?? "text";
  if (format !== "text" && format !== "json")
    throw new InputError(`--format ${JSON.stringify(format)}: expected one of text, json`);
  let maxAgeMs: number | undefined;
  if (values["max-age"] !== undefined) {
    try {
      maxAgeMs = parseDuration(values["max-age"]);
    } catch {
      throw new InputError(
        `--max-age ${JSON.stringify(values["max-age"])}: expected a duration such as 30m, 24h or 7d`,
      );
    }
  }
  const digest = values["policies-digest"];
  if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest))
    throw new InputError(`--policies-digest ${JSON.stringify(digest)}: expected sha256: and 64 hex digits`);

  const { envelope, reportId } = readReceipt(receiptPath);
  const keys: SigningJwk[] = [];
  for (const source of values.key) keys.push(...(await loadKeys(source)));
  const manifests = manifestPaths.length > 0 ? loadManifests(manifestPaths).map((r) => r.object) : undefined;

  const result = await verifyReceipt(envelope, {
    keys,
    ...(manifests ? { manifests } : {}),
    ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
    ...(digest !== undefined ? { policiesDigest: digest } : {}),
    ...(values["require-policy"] ? { requirePolicies: values["require-policy"] } : {}),
    // a report holding a receipt: the receipt must be this report's, not another's pasted in
    ...(reportId !== undefined ? { evaluationId: reportId } : {}),
  });
  writeOutput(
    format === "json" ? `${JSON.stringify(jsonResult(result))}\n` : textResult(result, receiptPath),
    undefined,
  );
  if (!result.valid) return EXIT.input;
  return result.ok ? EXIT.allowed : EXIT.denied;
}

/**
 * The envelope in a receipt file, or in a report's `receipt` (with the report's id). Throws
 * InputError when there is none, or when the file repeats a key in an object: JSON.parse keeps
 * the last, other readers the first, and a receipt must mean one thing.
 */
function readReceipt(path: string): { envelope: unknown; reportId?: string } {
  // one file: a folder would give its first *.json (or nothing) as the receipt
  const file = readOneInput(path, path, "RECEIPT is one file");
  let value: unknown;
  try {
    value = JSON.parse(file.text);
  } catch (error) {
    throw new InputError(
      `${path}: not JSON (a receipt is a DSSE envelope in JSON): ${(error as Error).message}`,
    );
  }
  const repeated = duplicateJsonKey(file.text);
  if (repeated !== null)
    throw new InputError(
      `${path}: the key ${repeated} occurs twice in one object; JSON readers disagree on which counts, so the receipt is refused`,
    );
  if (value && typeof value === "object" && "receipt" in value && !("payload" in value)) {
    const report = value as { receipt?: unknown; id?: unknown };
    if (report.receipt === undefined || report.receipt === null)
      throw new InputError(`${path}: the report holds no receipt`);
    if (typeof report.id !== "string")
      throw new InputError(`${path}: the report holding the receipt has no id to check it against`);
    return { envelope: report.receipt, reportId: report.id };
  }
  return { envelope: value };
}

/**
 * The trusted keys of one --key: a JWKS or JWK file, a PEM public key, or a JWKS URL. Throws
 * InputError naming the source when it cannot be read or holds no Ed25519 public key.
 */
async function loadKeys(source: string): Promise<SigningJwk[]> {
  let text: string;
  if (/^https?:\/\//i.test(source)) {
    text = await fetchKeys(source);
  } else {
    try {
      text = readFileSync(source, "utf8");
    } catch (error) {
      throw new InputError(
        `--key ${source}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  }
  if (text.trimStart().startsWith("-----BEGIN")) return [await pemKey(source, text)];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InputError(`--key ${source}: neither a PEM public key nor JSON (a JWKS or a JWK)`);
  }
  const list = Array.isArray((value as { keys?: unknown })?.keys)
    ? ((value as { keys: unknown[] }).keys as unknown[])
    : [value];
  const keys: SigningJwk[] = [];
  for (const k of list) {
    const jwk = k as Partial<Record<keyof SigningJwk | "d", unknown>>;
    if (jwk?.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") continue;
    if (jwk.d !== undefined)
      throw new InputError(`--key ${source}: holds a private key; give the public key only (GET /v1/keys)`);
    if (jwk.kid !== undefined && typeof jwk.kid !== "string")
      throw new InputError(`--key ${source}: a key's kid is ${JSON.stringify(jwk.kid)}, not a string`);
    const kid = jwk.kid ?? (await jwkThumbprint(jwk.x));
    // a retired key's retiredAt is what refuses receipts signed with it after its retirement
    // (a copy of the private key from a backup, say): kept, never dropped, and refused unread
    if (jwk.retiredAt !== undefined && (typeof jwk.retiredAt !== "string" || !isTime(jwk.retiredAt)))
      throw new InputError(
        `--key ${source}: the key ${kid} has a retiredAt that is not an RFC 3339 time (${JSON.stringify(jwk.retiredAt)}); the file was edited`,
      );
    keys.push({
      kty: "OKP",
      crv: "Ed25519",
      x: jwk.x,
      kid,
      ...(typeof jwk.retiredAt === "string" ? { retiredAt: jwk.retiredAt } : {}),
    });
  }
  if (keys.length === 0)
    throw new InputError(`--key ${source}: holds no Ed25519 public key (kty OKP, crv Ed25519)`);
  return keys;
}

/**
 * The text of a key URL. Throws InputError when it cannot be fetched within
 * KEY_FETCH_TIMEOUT_MS (the body included), answers other than 2xx, redirects (the keys you
 * trust come from the URL you named, not from wherever it points, perhaps over plain http) or
 * is longer than KEY_FETCH_MAX_BYTES (read no further).
 */
async function fetchKeys(source: string): Promise<string> {
  const signal = AbortSignal.timeout(KEY_FETCH_TIMEOUT_MS);
  const failed = (error: unknown) => {
    const e = error as { message?: unknown; cause?: { message?: unknown } };
    const reason = typeof e?.cause?.message === "string" ? `${e.message}: ${e.cause.message}` : e?.message;
    return new InputError(`--key ${source}: cannot fetch the keys: ${String(reason)}`);
  };
  let response: Response;
  try {
    response = await fetch(source, { headers: { accept: "application/json" }, signal, redirect: "error" });
  } catch (error) {
    throw failed(error);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new InputError(`--key ${source}: HTTP ${response.status} fetching the keys`);
  }
  const tooLong = new InputError(
    `--key ${source}: the answer is longer than ${KEY_FETCH_MAX_BYTES} bytes; not a key set`,
  );
  if (Number(response.headers.get("content-length")) > KEY_FETCH_MAX_BYTES) {
    await response.body?.cancel().catch(() => {});
    throw tooLong;
  }
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    const reader = response.body?.getReader();
    for (;;) {
      const next = await reader?.read();
      if (!next || next.done) break;
      length += next.value.byteLength;
      if (length > KEY_FETCH_MAX_BYTES) {
        await reader?.cancel().catch(() => {});
        throw tooLong;
      }
      chunks.push(next.value);
    }
  } catch (error) {
    if (error === tooLong) throw error;
    throw failed(error);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** An RFC 3339 date-time with a zone (`2026-12-01T00:00:00Z`), as GET /v1/keys writes retiredAt. */
function isTime(text: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) &&
    Number.isFinite(Date.parse(text))
  );
}

async function pemKey(source: string, pem: string): Promise<SigningJwk> {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem))
    throw new InputError(`--key ${source}: a private key; give the public key only (openssl pkey -pubout)`);
  let x: unknown;
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== "ed25519")
      throw new InputError(
        `--key ${source}: an ${key.asymmetricKeyType} key; receipts are signed with Ed25519`,
      );
    x = key.export({ format: "jwk" }).x;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`--key ${source}: not a PEM public key (${(error as Error).message})`);
  }
  if (typeof x !== "string") throw new InputError(`--key ${source}: not an Ed25519 public key`);
  return { kty: "OKP", crv: "Ed25519", x, kid: await jwkThumbprint(x) };
}

/** One line per finding, the verdict first. */
function textResult(result: ReceiptVerification, path: string): string {
  const lines: string[] = [];
  const p = result.statement?.predicate;
  if (!result.valid) lines.push(`INVALID receipt ${path}`);
  else if (result.ok) lines.push(`VALID receipt ${path}: ${p?.decision} for these manifests`);
  else lines.push(`VALID receipt ${path}, but it does not allow these manifests`);
  if (p) {
    lines.push(
      `  evaluation ${p.evaluationId} at ${p.evaluatedAt} (${p.source}), decision ${p.decision}, signed ${p.signedAt}`,
    );
    lines.push(
      `  policy set ${p.policySet.digest} (${p.policySet.policies.length} policies), key ${result.keyId}`,
    );
    const context = Object.entries(p.context)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ");
    if (context) lines.push(`  context ${context}`);
  }
  for (const problem of result.problems)
    lines.push(`  ${INVALID_RECEIPT_CODES.has(problem.code) ? "invalid" : "mismatch"}: ${problem.message}`);
  if (result.valid && !result.subjectsCompared)
    lines.push("  note: no manifests given, so the resources were not compared with the receipt's subjects");
  return `${lines.join("\n")}\n`;
}

function jsonResult(result: ReceiptVerification) {
  return {
    valid: result.valid,
    ok: result.ok,
    keyId: result.keyId ?? null,
    subjectsCompared: result.subjectsCompared,
    problems: result.problems,
    predicate: result.statement?.predicate ?? null,
    subjects: result.statement?.subject ?? [],
  };
}
