import type { ImageReference } from "./types.js";

/** The registry Docker assumes for names without one. */
export const DEFAULT_REGISTRY = "docker.io";
/** The tag Docker and Kubernetes pull when a reference has neither tag nor digest. */
export const DEFAULT_TAG = "latest";

// The grammar of github.com/distribution/reference (reference.go, regexp.go), written out again.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*):([0-9a-fA-F]{32,})$/;
const IMAGE_ID = /^[a-f0-9]{64}$/;
/** Encoded lengths of the digest algorithms the OCI image spec registers. */
const DIGEST_LENGTHS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
/** distribution/reference's NameTotalLengthMax: registry and repository together. */
const NAME_MAX = 255;
/** Longer input cannot be valid (name, tag and digest are all bounded); refuse before any regex. */
const INPUT_MAX = 512;

/**
 * Parses an image reference as Docker does (`ParseNormalizedNamed`): `nginx` is
 * `docker.io/library/nginx`, `index.docker.io` is `docker.io`, and the first path component is
 * a registry only when it contains `.` or `:`, is `localhost`, or has upper-case letters.
 * The registry is lower-cased (host names are case-insensitive). Never throws.
 *
 * @example parseImageReference("localhost:5000/a/b:tag")
 *   // {ref: "localhost:5000/a/b:tag", registry: "localhost:5000", repository: "a/b", tag: "tag", digest: null}
 */
export function parseImageReference(ref: string): ImageReference | { error: string } {
  if (typeof ref !== "string") return { error: "an image reference must be a string" };
  if (ref === "") return { error: "empty image reference" };
  if (ref.length > INPUT_MAX) return { error: `image reference is longer than ${INPUT_MAX} characters` };
  if (ref.trim() !== ref)
    return { error: `image reference ${quote(ref)} has leading or trailing whitespace` };

  let rest = ref;
  let digest: string | null = null;
  const at = rest.indexOf("@");
  if (at !== -1) {
    const checked = checkDigest(rest.slice(at + 1));
    if ("error" in checked) return { error: `invalid image reference ${quote(ref)}: ${checked.error}` };
    digest = checked.digest;
    rest = rest.slice(0, at);
  }

  let tag: string | null = null;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return { error: `invalid image reference ${quote(ref)}: invalid tag ${quote(tag)}` };
  }

  if (rest === "") return { error: `invalid image reference ${quote(ref)}: missing repository name` };
  if (IMAGE_ID.test(rest) && tag === null && digest === null) {
    return {
      error: `invalid image reference ${quote(ref)}: a 64-character hexadecimal image ID is not a name`,
    };
  }
  if (rest.length > NAME_MAX) {
    return { error: `invalid image reference ${quote(ref)}: name is longer than ${NAME_MAX} characters` };
  }

  let registry = DEFAULT_REGISTRY;
  let repository = rest;
  const slash = rest.indexOf("/");
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === "localhost" || first.toLowerCase() !== first) {
      registry = first;
      repository = rest.slice(slash + 1);
    }
  }
  if (!DOMAIN.test(registry)) {
    return { error: `invalid image reference ${quote(ref)}: invalid registry ${quote(registry)}` };
  }
  if (repository.toLowerCase() !== repository) {
    return { error: `invalid image reference ${quote(ref)}: repository name must be lowercase` };
  }
  if (!repository.split("/").every((component) => PATH_COMPONENT.test(component))) {
    return { error: `invalid image reference ${quote(ref)}: invalid repository name ${quote(repository)}` };
  }

  registry = registry.toLowerCase();
  if (registry === "index.docker.io") registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && !repository.includes("/")) repository = `library/${repository}`;
  return { ref, registry, repository, tag, digest };
}

/** True when `parseImageReference` failed. */
export function isReferenceError(value: ImageReference | { error: string }): value is { error: string } {
  return "error" in value;
}

/**
 * `registry/repository[:tag]`, without the digest: `nginx:1.27` gives `docker.io/library/nginx:1.27`.
 * A string that is not a valid reference gives null.
 */
export function normalisedName(ref: ImageReference): string;
export function normalisedName(ref: string): string | null;
export function normalisedName(ref: ImageReference | string): string | null {
  const parsed = typeof ref === "string" ? parseImageReference(ref) : ref;
  if ("error" in parsed) return null;
  const name = `${parsed.registry}/${parsed.repository}`;
  return parsed.tag === null ? name : `${name}:${parsed.tag}`;
}

/** The full normalised form, `registry/repository[:tag][@digest]`. */
export function formatReference(ref: Omit<ImageReference, "ref">): string {
  const name = `${ref.registry}/${ref.repository}`;
  return `${name}${ref.tag === null ? "" : `:${ref.tag}`}${ref.digest === null ? "" : `@${ref.digest}`}`;
}

/**
 * The key two references are compared by when at least one lacks a digest:
 * `registry/repository:tag`, with `latest` for a reference that has neither tag nor digest
 * (what Docker and Kubernetes pull). Null for a digest-only reference, which names no tag.
 */
export function tagKey(ref: ImageReference): string | null {
  if (ref.tag === null && ref.digest !== null) return null;
  return `${ref.registry}/${ref.repository}:${ref.tag ?? DEFAULT_TAG}`;
}

/**
 * The identity of the image a reference denotes: its digest when it has one, else its
 * `tagKey`. Two references with the same key are the same image; use it to dedupe.
 */
export function imageKey(ref: ImageReference): string {
  // tagKey is null only for a digest-only reference, which has a digest
  return ref.digest ?? (tagKey(ref) as string);
}

/** Validates a digest (`algorithm:hex`), checking the length of the registered algorithms. */
export function checkDigest(text: string): { digest: string } | { error: string } {
  const match = DIGEST.exec(text);
  if (!match) return { error: `invalid digest ${quote(text)}` };
  const algorithm = match[1] ?? "";
  const encoded = match[2] ?? "";
  const length = Object.hasOwn(DIGEST_LENGTHS, algorithm) ? DIGEST_LENGTHS[algorithm] : undefined;
  if (length === undefined) return { error: `unsupported digest algorithm ${quote(algorithm)}` };
  if (encoded.length !== length || !/^[a-f0-9]+$/.test(encoded)) {
    return { error: `a ${algorithm} digest is ${length} lower-case hexadecimal characters` };
  }
  return { digest: text };
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}
