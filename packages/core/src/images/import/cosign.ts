import { z } from "zod";
import { normaliseFacts } from "../facts.js";
import { checkDigest, formatReference, parseImageReference } from "../reference.js";
import type { ImageFacts, ImageReference, SignatureFacts } from "../types.js";
import { boundedList, type DiagnosticSink, field, isRecord, LIMITS, type PathSegment } from "./common.js";

/** Fulcio's certificate extension for the OIDC issuer (1.3.6.1.4.1.57264.1.1, deprecated form). */
const FULCIO_ISSUER_OID = "1.3.6.1.4.1.57264.1.1";

/** The `source` of signatures read from `cosign verify` output. */
export const COSIGN_SOURCE = "cosign";

const entrySchema = z.object({
  critical: z.object({
    identity: z.object({ "docker-reference": z.string() }),
    image: z.object({ "docker-manifest-digest": z.string() }),
  }),
  optional: z.unknown().optional(),
});

/** True for the JSON `cosign verify` prints: a list of simple-signing payloads. */
export function isCosignVerifyOutput(input: unknown): input is unknown[] {
  if (!Array.isArray(input) || input.length === 0) return false;
  const first: unknown = input[0];
  return isRecord(first) && isRecord(first.critical) && "identity" in first.critical;
}

/**
 * Reads `cosign verify` output: every entry is a signature cosign has verified, so each becomes
 * `{verified: true, identity, issuer, source: "cosign"}` (identity and issuer from the keyless
 * certificate; null for key-based signatures; the output does not say when it was verified).
 * Entries for the same image are one image's facts. Never throws.
 */
export function importCosignVerifyOutput(
  input: readonly unknown[],
  path: readonly PathSegment[],
  sink: DiagnosticSink,
): ImageFacts[] {
  const byImage = new Map<string, { reference: ImageReference; signatures: SignatureFacts[] }>();
  boundedList(input, LIMITS.signatures, path, sink, "signatures").forEach((item, index) => {
    const at = [...path, index];
    const entry = entrySchema.safeParse(item);
    if (!entry.success) {
      sink.addZodIssues(entry.error, at);
      return;
    }
    const { critical, optional } = entry.data;
    const digest = critical.image["docker-manifest-digest"];
    const checked = checkDigest(digest);
    if ("error" in checked) {
      sink.add("image-reference", checked.error, [...at, "critical", "image", "docker-manifest-digest"]);
      return;
    }
    const name = parseImageReference(critical.identity["docker-reference"]);
    if ("error" in name) {
      sink.add("image-reference", name.error, [...at, "critical", "identity", "docker-reference"]);
      return;
    }
    const reference = { ...name, digest };
    const key = formatReference(reference);
    const signature: SignatureFacts = {
      verified: true,
      identity: text(field(optional, "Subject")),
      issuer: text(field(optional, "Issuer")) ?? text(field(optional, FULCIO_ISSUER_OID)),
      source: COSIGN_SOURCE,
      verifiedAt: null,
    };
    const found = byImage.get(key);
    if (found) found.signatures.push(signature);
    else byImage.set(key, { reference: { ...reference, ref: key }, signatures: [signature] });
  });
  return [...byImage.values()].map(({ reference, signatures }) =>
    normaliseFacts({ known: true, signatures }, reference),
  );
}

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}
