import { emptyFacts, timestampMillis } from "./facts.js";
import { tagKey } from "./reference.js";
import type { ImageFacts, ImageReference, ScanFacts, SignatureFacts } from "./types.js";

/**
 * Image facts from every supplier, looked up by the references manifests use. Build it once
 * per evaluation; lookups are map reads.
 */
export class ImageFactsIndex {
  private readonly byDigest = new Map<string, ImageFacts[]>();
  private readonly byTag = new Map<string, ImageFacts[]>();
  /** How many facts were indexed. */
  readonly size: number;

  constructor(facts: readonly ImageFacts[]) {
    this.size = facts.length;
    for (const item of facts) {
      if (item.digest !== null) append(this.byDigest, item.digest, item);
      const key = tagKey(item);
      if (key !== null) append(this.byTag, key, item);
    }
  }

  /**
   * Everything known about the image `ref` names. Facts match by digest when both sides have
   * one, else by normalised registry, repository and tag (`nginx:1.27` is
   * `docker.io/library/nginx:1.27`; no tag means `latest`). Several matches are merged: the
   * scan with the newest `scannedAt`, every signature, and the first of the other fields
   * (digest matches first, then input order). No match gives `emptyFacts(ref)`. The result
   * carries `ref`'s reference fields, not the supplier's. Never throws.
   *
   * The result shares `scan` with the index: treat it as read-only (`withoutVulnerabilities`
   * makes copies).
   */
  lookup(ref: ImageReference): ImageFacts {
    const matches = new Set<ImageFacts>(ref.digest !== null ? this.byDigest.get(ref.digest) : undefined);
    const key = tagKey(ref);
    if (key !== null) {
      for (const item of this.byTag.get(key) ?? []) {
        // Two digests that differ are two images, whatever the tags say (the tag moved).
        if (ref.digest !== null && item.digest !== null) continue;
        matches.add(item);
      }
    }
    const base = emptyFacts(ref);
    if (matches.size === 0) return base;
    const matched = [...matches];
    return {
      ...base,
      known: true,
      scan: newestScan(matched),
      signatures: mergeSignatures(matched),
      createdAt: first(matched, (m) => m.createdAt),
      labels: first(matched, (m) => m.labels),
      user: first(matched, (m) => m.user),
    };
  }
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function first<T>(facts: readonly ImageFacts[], pick: (facts: ImageFacts) => T | null): T | null {
  for (const item of facts) {
    const value = pick(item);
    if (value !== null) return value;
  }
  return null;
}

/** The scan with the newest `scannedAt`; an undated scan only when no scan is dated. Ties: the first. */
function newestScan(facts: readonly ImageFacts[]): ScanFacts | null {
  let best: ScanFacts | null = null;
  let bestTime = Number.NEGATIVE_INFINITY;
  for (const { scan } of facts) {
    if (scan === null) continue;
    const time = timestampMillis(scan.scannedAt) ?? Number.NEGATIVE_INFINITY;
    if (best === null || time > bestTime) {
      best = scan;
      bestTime = time;
    }
  }
  return best;
}

/** Every supplier's signatures, in order, without exact repeats (the same output given twice). */
function mergeSignatures(facts: readonly ImageFacts[]): SignatureFacts[] {
  const seen = new Set<string>();
  const out: SignatureFacts[] = [];
  for (const item of facts) {
    for (const signature of item.signatures) {
      const key = JSON.stringify([signature.verified, signature.identity, signature.issuer]);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ ...signature });
    }
  }
  return out;
}
