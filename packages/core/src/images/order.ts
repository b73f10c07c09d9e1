import { canonicalJson } from "../util/sha256.js";
import { mergeImageFacts } from "./merge.js";
import { tagKey } from "./reference.js";
import type { ImageFacts } from "./types.js";

/**
 * Different entries for one image a caller may give (Trivy, Grype and cosign output of one
 * image make three): `checkImageFactsOrder` compares them in pairs, so thousands would cost
 * millions of merges.
 */
export const MAX_FACTS_PER_IMAGE = 8;

/** The fields of merged facts an evaluation reads (the reference fields come from the manifest's reference). */
const FIELDS = ["scan", "createdAt", "labels", "user", "signatures"] as const;

/** A field of image facts whose merged value can depend on the order of the entries. */
export type ImageFactsField = (typeof FIELDS)[number];

/**
 * Why a caller's own image facts are refused: their order would decide what an evaluation
 * sees (`conflict`), or one image has more different entries than are compared (`too-many`).
 */
export interface ImageFactsOrderProblem {
  kind: "conflict" | "too-many";
  /** The digest, or normalised `registry/repository:tag`, that the entries can both describe. */
  image: string;
  /**
   * Indices into the facts checked. `conflict`: the two entries that disagree, in input order;
   * `too-many`: the first entry for the image and the first one over the limit.
   */
  entries: [number, number];
  /** `conflict`: the fields whose merged value depends on the order; `too-many`: empty. */
  fields: ImageFactsField[];
  /** `too-many`: how many different entries describe the image; `conflict`: 2. */
  count: number;
  /** One sentence for the caller: the entries (as `name` calls them), the image, the fields. */
  message: string;
  /** What is wrong with `entries[1]`, for a caller that points at one entry (an API's error path). */
  detail: string;
}

export interface CheckImageFactsOrderOptions {
  /** How the message names entry `index` (a path such as `images[3]`, a file name). Default: `images[index]`. */
  name?: (index: number) => string;
  /** How the message names the facts as a whole (`images`, `--images`). Default: `images`. */
  what?: string;
}

/**
 * Checks that the order of a caller's own image facts cannot decide an evaluation, and returns
 * the first problem, or null. Facts matching one reference are merged in input order
 * (`ImageFactsIndex`, `mergeImageFacts`): the newest scan (the first on a tie), the first
 * `createdAt`, `labels` and `user`, one signature per signer and source (the first on a tie). Two
 * entries that can match the same reference (one digest, or one normalised name and tag) and
 * merge differently in the two orders make `[a, b]` and `[b, a]` two decisions: a `conflict`.
 * Entries that combine the same either way (a newer scan, a field only one gives, signatures of
 * other signers) pass; equal entries count once. More than `MAX_FACTS_PER_IMAGE` different
 * entries for one image is `too-many`. The one check of the CLI (`--images` files) and the
 * service (a request's inline `images`), so the same facts get the same answer. Never throws.
 */
export function checkImageFactsOrder(
  facts: readonly ImageFacts[],
  options: CheckImageFactsOrderOptions = {},
): ImageFactsOrderProblem | null {
  const name = options.name ?? ((i: number) => `images[${i}]`);
  const what = options.what ?? "images";
  const groups = new Map<string, number[]>();
  const add = (key: string, i: number) => {
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  };
  facts.forEach((f, i) => {
    if (f.digest !== null) add(f.digest, i);
    const tag = tagKey(f);
    if (tag !== null) add(tag, i);
  });
  for (const [image, all] of groups) {
    if (all.length < 2) continue; // one entry has no order
    // equal entries cannot disagree: one of each is compared, and pairs are few (or refused)
    const seen = new Set<string>();
    const group = all.filter((i) => {
      const view = mergedView(facts[i]!);
      if (seen.has(view)) return false;
      seen.add(view);
      return true;
    });
    if (group.length > MAX_FACTS_PER_IMAGE) {
      const over = group[MAX_FACTS_PER_IMAGE]!;
      return {
        kind: "too-many",
        image,
        entries: [group[0]!, over],
        fields: [],
        count: group.length,
        message: `${group.length} different entries of ${what} describe ${image} (at most ${MAX_FACTS_PER_IMAGE}; ${name(over)} is one too many): send one entry for the image`,
        detail: `one entry too many for ${image}`,
      };
    }
    for (let x = 0; x < group.length; x++)
      for (let y = x + 1; y < group.length; y++) {
        const i = group[x]!;
        const j = group[y]!;
        const fields = orderDependent(facts[i]!, facts[j]!);
        if (fields.length === 0) continue;
        const a = name(i);
        const b = name(j);
        const both = a === b ? `two entries of ${a}` : `${a} and ${b}`;
        return {
          kind: "conflict",
          image,
          entries: [i, j],
          fields,
          count: 2,
          message: `${both} both describe ${image} and disagree (${fields.join(", ")}): which one counts would depend on their order; send one entry for the image`,
          detail: `describes ${image} as ${a} does, disagreeing on ${fields.join(", ")}`,
        };
      }
  }
  return null;
}

/** The fields whose merged value differs between `[a, b]` and `[b, a]` (empty: the order does not matter). */
function orderDependent(a: ImageFacts, b: ImageFacts): ImageFactsField[] {
  const ab = mergeImageFacts(b, a);
  const ba = mergeImageFacts(a, b);
  return FIELDS.filter((k) => fieldView(ab, k) !== fieldView(ba, k));
}

/** What an evaluation reads of merged facts, for telling equal entries apart. */
function mergedView(f: ImageFacts): string {
  return canonicalJson(FIELDS.map((k) => fieldView(f, k)));
}

/** One field as text; signatures as a set (their order in the list decides nothing). */
function fieldView(f: ImageFacts, field: ImageFactsField): string {
  if (field === "signatures") return canonicalJson(f.signatures.map((s) => canonicalJson(s)).sort());
  return canonicalJson(f[field]);
}
