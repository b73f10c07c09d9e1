import { z } from "zod";
import { normaliseFacts, type SignatureInput, type VulnerabilityInput } from "../facts.js";
import { formatReference, parseImageReference } from "../reference.js";
import type { ImageFacts, ImageReference } from "../types.js";
import {
  boundedList,
  type DiagnosticSink,
  isRecord,
  LIMITS,
  type PathSegment,
  readLabels,
} from "./common.js";

export const IMAGE_FACTS_API_VERSION = "celgate.dev/v1";
export const IMAGE_FACTS_KIND = "ImageFacts";

// YAML turns `user: 1000` and `installedVersion: 3.0` into numbers; take them as text.
const text = z.union([z.string(), z.number(), z.boolean()]).transform(String);
// YAML turns unquoted timestamps into dates; facts.ts accepts both.
const time = z.union([z.string(), z.date()]);
const count = z.number().int().nonnegative();
const counts = z.object({
  critical: count.optional(),
  high: count.optional(),
  medium: count.optional(),
  low: count.optional(),
  unknown: count.optional(),
});

const vulnerabilitySchema = z.object({
  id: z.union([z.string().min(1), z.number()]).transform(String),
  severity: z.string().nullish(),
  package: text.nullish(),
  installedVersion: text.nullish(),
  fixedVersion: text.nullish(),
});

const signatureSchema = z.object({
  verified: z.boolean(),
  identity: text.nullish(),
  issuer: text.nullish(),
  source: text.nullish(),
  verifiedAt: time.nullish(),
});

const scanSchema = z.object({
  scanner: text.nullish(),
  scannedAt: time.nullish(),
  summary: counts.nullish(),
  fixable: counts.nullish(),
  // Lists are checked element by element below, so one bad entry costs only itself.
  vulnerabilities: z.unknown().optional(),
});

const imageSchema = z.object({
  ref: z.string({ error: "ref (the image reference) is required" }),
  registry: z.string().nullish(),
  repository: z.string().nullish(),
  tag: z.string().nullish(),
  digest: z.string().nullish(),
  known: z.boolean().nullish(),
  scan: scanSchema.nullish(),
  signatures: z.unknown().optional(),
  createdAt: time.nullish(),
  labels: z.unknown().optional(),
  user: text.nullish(),
});

const IMAGE_KEYS = new Set(Object.keys(imageSchema.shape));
const SCAN_KEYS = new Set(Object.keys(scanSchema.shape));
const DOCUMENT_KEYS = new Set(["apiVersion", "kind", "metadata", "images"]);

/** True for `{apiVersion: celgate.dev/v1, kind: ImageFacts, ...}` (or a near miss of it). */
export function isNativeDocument(input: unknown): input is Record<string, unknown> {
  return isRecord(input) && input.kind === IMAGE_FACTS_KIND;
}

/** True for a single native image object: it has a `ref` and no scanner's top-level keys. */
export function isNativeImage(input: unknown): input is Record<string, unknown> {
  return isRecord(input) && typeof input.ref === "string";
}

/** Reads a `kind: ImageFacts` document. Problems become diagnostics in `sink`; never throws. */
export function importNativeDocument(input: Record<string, unknown>, sink: DiagnosticSink): ImageFacts[] {
  if (input.apiVersion !== IMAGE_FACTS_API_VERSION) {
    sink.add(
      "schema",
      `apiVersion must be ${IMAGE_FACTS_API_VERSION}, found ${JSON.stringify(input.apiVersion ?? null)}`,
      ["apiVersion"],
    );
    return [];
  }
  sink.unknownKeys(input, DOCUMENT_KEYS, []);
  if (!Array.isArray(input.images)) {
    sink.add("schema", "images must be a list of image facts", ["images"]);
    return [];
  }
  return importNativeList(input.images, ["images"], sink);
}

/** Reads a list of native image objects; a bad entry is skipped with diagnostics. */
export function importNativeList(
  input: readonly unknown[],
  path: readonly PathSegment[],
  sink: DiagnosticSink,
): ImageFacts[] {
  const out: ImageFacts[] = [];
  boundedList(input, LIMITS.images, path, sink, "images").forEach((item, index) => {
    const facts = importNativeImage(item, [...path, index], sink);
    if (facts) out.push(facts);
  });
  return out;
}

/** Reads one native image object, or returns null (with diagnostics) when it is unusable. */
export function importNativeImage(
  input: unknown,
  path: readonly PathSegment[],
  sink: DiagnosticSink,
): ImageFacts | null {
  if (!isRecord(input)) {
    sink.add("schema", "an image must be a mapping with at least `ref`", path);
    return null;
  }
  const parsed = imageSchema.safeParse(input);
  if (!parsed.success) {
    sink.addZodIssues(parsed.error, path);
    return null;
  }
  const image = parsed.data;
  sink.unknownKeys(input, IMAGE_KEYS, path);
  if (image.scan) sink.unknownKeys(input.scan, SCAN_KEYS, [...path, "scan"]);

  const reference = resolveReference(image, path, sink);
  if (reference === null) return null;

  const vulnerabilities: VulnerabilityInput[] = [];
  const vulnerabilitiesPath = [...path, "scan", "vulnerabilities"];
  const items = boundedList(
    image.scan?.vulnerabilities,
    LIMITS.vulnerabilities,
    vulnerabilitiesPath,
    sink,
    "vulnerabilities",
  );
  items.forEach((item, index) => {
    const result = vulnerabilitySchema.safeParse(item);
    if (result.success) vulnerabilities.push(result.data);
    else sink.addZodIssues(result.error, [...vulnerabilitiesPath, index]);
  });

  const signatures: SignatureInput[] = [];
  const signaturesPath = [...path, "signatures"];
  boundedList(image.signatures, LIMITS.signatures, signaturesPath, sink, "signatures").forEach(
    (item, index) => {
      const result = signatureSchema.safeParse(item);
      if (result.success) {
        const { verified, identity, issuer, source, verifiedAt } = result.data;
        signatures.push({
          verified,
          identity: identity ?? null,
          issuer: issuer ?? null,
          source: source ?? null,
          verifiedAt: verifiedAt ?? null,
        });
      } else sink.addZodIssues(result.error, [...signaturesPath, index]);
    },
  );

  const labels = readLabels(image.labels, [...path, "labels"], sink);
  const scan = image.scan ? { ...image.scan, vulnerabilities } : null;
  return normaliseFacts(
    {
      known: image.known ?? null,
      scan,
      signatures,
      createdAt: image.createdAt ?? null,
      labels,
      user: image.user ?? null,
    },
    reference,
  );
}

interface ReferenceFields {
  ref: string;
  registry?: string | null | undefined;
  repository?: string | null | undefined;
  tag?: string | null | undefined;
  digest?: string | null | undefined;
}

/**
 * The reference from `ref`. Separate `tag` / `digest` fields may add what `ref` lacks (a
 * supplier that resolved the digest); where they contradict `ref`, `ref` wins, with a warning.
 */
function resolveReference(
  image: ReferenceFields,
  path: readonly PathSegment[],
  sink: DiagnosticSink,
): ImageReference | null {
  const parsed = parseImageReference(image.ref);
  if ("error" in parsed) {
    sink.add("image-reference", parsed.error, [...path, "ref"]);
    return null;
  }
  let reference: ImageReference = parsed;

  if (image.registry != null || image.repository != null) {
    const named = parseImageReference(
      `${image.registry ?? parsed.registry}/${image.repository ?? parsed.repository}`,
    );
    if ("error" in named || named.registry !== parsed.registry || named.repository !== parsed.repository) {
      sink.add(
        "schema",
        `registry/repository do not match ref ${JSON.stringify(image.ref)}; ref is used`,
        [...path, image.registry != null ? "registry" : "repository"],
        "warning",
      );
    }
  }

  for (const key of ["tag", "digest"] as const) {
    const value = image[key];
    if (value == null || value === reference[key]) continue;
    if (reference[key] !== null) {
      sink.add(
        "schema",
        `${key} ${JSON.stringify(value)} contradicts ref ${JSON.stringify(image.ref)}; ref is used`,
        [...path, key],
        "warning",
      );
      continue;
    }
    const combined = parseImageReference(formatReference({ ...reference, [key]: value }));
    if ("error" in combined)
      sink.add("image-reference", `invalid ${key} ${JSON.stringify(value)}`, [...path, key]);
    else reference = { ...combined, ref: image.ref };
  }
  return reference;
}
