import { timestampMillis } from "./facts.js";
import type { ImageFacts, ScanFacts, SignatureFacts } from "./types.js";

/**
 * The one way facts about the same image combine, wherever they meet: several `--images` files
 * of a `celgate check`, a push over what the service has stored, inline facts over stored ones.
 * `update` is the more authoritative word (the later push, the caller's own facts); `base` what
 * was known before. Rules:
 * - a scan replaces another only when it is newer (`scannedAt`); a dated scan beats an undated
 *   one; on a tie (or both undated) `update`'s wins;
 * - signatures are kept per (identity, issuer, verified): `update`'s first, then those of `base`
 *   it does not repeat, so no push of one signature erases another;
 * - `createdAt`, `labels` and `user` come from `update` where it has them, else from `base`;
 * - the reference fields come from `update` (its digest, or `base`'s when it has none);
 *   `known` when either is.
 * No kind of fact that `update` does not carry is erased. Returns a new object; never throws.
 */
export function mergeImageFacts(base: ImageFacts, update: ImageFacts): ImageFacts {
  return {
    ref: update.ref,
    registry: update.registry,
    repository: update.repository,
    tag: update.tag ?? base.tag,
    digest: update.digest ?? base.digest,
    known: base.known || update.known,
    scan: newerScan(base.scan, update.scan),
    signatures: mergeSignatures(update.signatures, base.signatures),
    createdAt: update.createdAt ?? base.createdAt,
    labels: update.labels ?? base.labels,
    user: update.user ?? base.user,
  };
}

/** `update` unless `base` is strictly newer (or dated where `update` is not). */
function newerScan(base: ScanFacts | null, update: ScanFacts | null): ScanFacts | null {
  if (update === null) return base;
  if (base === null) return update;
  const was = timestampMillis(base.scannedAt) ?? Number.NEGATIVE_INFINITY;
  const now = timestampMillis(update.scannedAt) ?? Number.NEGATIVE_INFINITY;
  return was > now ? base : update;
}

/** Every signature once per (identity, issuer, verified), `first`'s before `then`'s. Copies. */
function mergeSignatures(
  first: readonly SignatureFacts[],
  then: readonly SignatureFacts[],
): SignatureFacts[] {
  const seen = new Set<string>();
  const out: SignatureFacts[] = [];
  for (const signature of [...first, ...then]) {
    const key = JSON.stringify([signature.identity, signature.issuer, signature.verified]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...signature });
  }
  return out;
}
