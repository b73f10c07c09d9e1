import { timestampMillis } from "./facts.js";
import type { ImageFacts, ScanFacts, SignatureFacts } from "./types.js";

/**
 * The one way facts about the same image combine, wherever they meet: several `--images` files
 * of a `celgate check`, a push over what the service has stored, inline facts over stored ones.
 * `update` is the more authoritative word (the later push, the caller's own facts); `base` what
 * was known before. Rules:
 * - a scan replaces another only when it is newer (`scannedAt`); a dated scan beats an undated
 *   one; on a tie (or both undated) `update`'s wins;
 * - signatures are kept per signer and verification source (identity, issuer, source): two
 *   checks of one signer by different sources are both kept; of two from the same signer and
 *   source the newer (`verifiedAt`) is kept, a dated one beats an undated one, and on a tie
 *   `update`'s wins (so a later verdict replaces an earlier one). `update`'s come first, then
 *   those of `base` it does not replace, so no push of one signature erases another;
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

/**
 * One signature per (identity, issuer, source): the newer of `update`'s and `base`'s, `update`'s
 * on a tie (and the first of repeats within one list); the kept ones in `update`'s order, then
 * `base`'s. Copies.
 */
function mergeSignatures(
  update: readonly SignatureFacts[],
  base: readonly SignatureFacts[],
): SignatureFacts[] {
  const all = [...update, ...base];
  const kept = new Map<string, SignatureFacts>();
  for (const signature of all) {
    const key = signatureKey(signature);
    const current = kept.get(key);
    if (!current || isNewer(signature, current)) kept.set(key, signature);
  }
  const out: SignatureFacts[] = [];
  for (const signature of all) {
    const key = signatureKey(signature);
    if (kept.get(key) !== signature) continue;
    kept.delete(key); // the same object may be in both lists
    out.push({ ...signature });
  }
  return out;
}

/** The signer and the verification source of a signature (stored facts from before `source` have none). */
function signatureKey(s: SignatureFacts): string {
  return JSON.stringify([s.identity, s.issuer, s.source ?? null]);
}

/** Whether `a` was verified strictly later than `b` (dated beats undated). */
function isNewer(a: SignatureFacts, b: SignatureFacts): boolean {
  const at = timestampMillis(a.verifiedAt ?? null) ?? Number.NEGATIVE_INFINITY;
  const bt = timestampMillis(b.verifiedAt ?? null) ?? Number.NEGATIVE_INFINITY;
  return at > bt;
}
