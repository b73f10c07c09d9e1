import { emptyFacts } from "./facts.js";
import { mergeImageFacts } from "./merge.js";
import { tagKey } from "./reference.js";
import type { ImageFacts, ImageReference } from "./types.js";

/**
 * Image facts from every supplier, looked up by the references manifests use. Build it once
 * per evaluation; lookups are map reads.
 */
export class ImageFactsIndex {
  private readonly byDigest = new Map<string, ImageFacts[]>();
  private readonly byTag = new Map<string, ImageFacts[]>();
  /** How many facts were indexed. */
  readonly size: number;
  readonly #facts: readonly ImageFacts[];
  /** Facts some lookup matched. */
  readonly #used = new Set<ImageFacts>();

  constructor(facts: readonly ImageFacts[]) {
    this.size = facts.length;
    this.#facts = facts;
    for (const item of facts) {
      if (item.digest !== null) append(this.byDigest, item.digest, item);
      const key = tagKey(item);
      if (key !== null) append(this.byTag, key, item);
    }
  }

  /**
   * Everything known about the image `ref` names. Facts match by digest when both sides have
   * one, else by normalised registry, repository and tag (`nginx:1.27` is
   * `docker.io/library/nginx:1.27`; no tag means `latest`). Several matches are merged with
   * `mergeImageFacts`, the first the most authoritative (digest matches first, then input
   * order): the newest scan (of the digest when one is scanned, else of the tag), every
   * signature, the first of the other fields. No match gives
   * `emptyFacts(ref)`. The result carries `ref`'s reference fields, not the supplier's. Never
   * throws.
   *
   * The result shares `scan` with the index: treat it as read-only (`withoutVulnerabilities`
   * makes copies).
   */
  lookup(ref: ImageReference): ImageFacts {
    const byDigest = ref.digest !== null ? this.byDigest.get(ref.digest) : undefined;
    const matches = new Set<ImageFacts>(byDigest);
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
    for (const item of matched) this.#used.add(item);
    const merged = fold(matched);
    // A scan of the pinned digest outranks any scan of its tag, however new: a tag scanned
    // today may name another build (the tag moved), while the manifest runs the digest it pins.
    const digestScan = byDigest ? fold(byDigest).scan : null;
    return {
      ...base,
      known: true,
      scan: digestScan ?? merged.scan,
      signatures: merged.signatures,
      createdAt: merged.createdAt,
      labels: merged.labels,
      user: merged.user,
    };
  }

  /** The facts no lookup has matched so far, in input order: facts for images nothing uses. */
  unused(): ImageFacts[] {
    return this.#facts.filter((item) => !this.#used.has(item));
  }
}

/** `matches` (at least one) merged from the least authoritative to the most: the first has the last word. */
function fold(matches: readonly ImageFacts[]): ImageFacts {
  return matches.reduceRight<ImageFacts | null>(
    (acc, item) => (acc === null ? mergeImageFacts(item, item) : mergeImageFacts(acc, item)),
    null,
  ) as ImageFacts;
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
