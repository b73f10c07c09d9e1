import { z } from "zod";
import { normaliseFacts, type VulnerabilityInput } from "../facts.js";
import { formatReference, parseImageReference } from "../reference.js";
import type { ImageFacts, ImageReference } from "../types.js";
import { boundedList, type DiagnosticSink, field, isRecord, LIMITS, readLabels } from "./common.js";

const text = z.union([z.string(), z.number()]).transform(String);
// Lists are read element by element (bounded) rather than by zod, which would walk them whole.
const list = z.custom<unknown[]>((value) => Array.isArray(value), { message: "expected a list" });

const reportSchema = z.object({
  SchemaVersion: z.union([z.number(), z.string()]),
  Trivy: z.object({ Version: text.nullish() }).nullish(),
  CreatedAt: z.string().nullish(),
  ArtifactName: z.string().nullish(),
  ArtifactType: z.string().nullish(),
  Metadata: z
    .object({
      ImageID: z.string().nullish(),
      RepoTags: list.nullish(),
      RepoDigests: list.nullish(),
      ImageConfig: z
        .object({
          created: z.string().nullish(),
          config: z.object({ User: text.nullish(), Labels: z.unknown().optional() }).nullish(),
        })
        .nullish(),
    })
    .nullish(),
  Results: list.nullish(),
});

const resultSchema = z.object({
  Target: z.string().nullish(),
  Class: z.string().nullish(),
  Vulnerabilities: list.nullish(),
  Misconfigurations: list.nullish(),
});

const vulnerabilitySchema = z.object({
  VulnerabilityID: z.string().min(1),
  PkgName: text.nullish(),
  InstalledVersion: text.nullish(),
  FixedVersion: text.nullish(),
  Severity: z.string().nullish(),
});

/** True for what looks like a Trivy JSON report (`trivy image --format json`). */
export function isTrivyReport(input: unknown): input is Record<string, unknown> {
  return (
    isRecord(input) &&
    input.SchemaVersion !== undefined &&
    (input.Results !== undefined || input.ArtifactName !== undefined || input.Trivy !== undefined)
  );
}

/**
 * Reads a Trivy JSON report (schema version 2) of a container image into one image's facts.
 * A report without findings is still a scan, with zero counts. A report of something else
 * (a repository, a file system, a Helm chart) holds no image facts: one diagnostic, no images.
 * Never throws.
 */
export function importTrivyReport(input: Record<string, unknown>, sink: DiagnosticSink): ImageFacts[] {
  const parsed = reportSchema.safeParse(input);
  if (!parsed.success) {
    sink.addZodIssues(parsed.error, []);
    return [];
  }
  const report = parsed.data;
  if (String(report.SchemaVersion) !== "2") {
    sink.add(
      "unsupported-version",
      `Trivy report SchemaVersion ${JSON.stringify(report.SchemaVersion)} is not supported (expected 2)`,
      ["SchemaVersion"],
    );
    return [];
  }

  const results = boundedList(report.Results, LIMITS.vulnerabilities, ["Results"], sink, "results");
  const metadata = report.Metadata ?? null;
  const isImage =
    report.ArtifactType != null
      ? report.ArtifactType === "container_image"
      : metadata != null &&
        (metadata.ImageID != null || metadata.RepoTags != null || metadata.RepoDigests != null);
  if (!isImage) {
    const misconfigurations = results.reduce<number>((sum, result) => {
      const found = field(result, "Misconfigurations");
      return sum + (Array.isArray(found) ? found.length : 0);
    }, 0);
    const what = report.ArtifactType
      ? `a ${report.ArtifactType.replace(/_/g, " ")}`
      : "something other than an image";
    const held =
      misconfigurations > 0 ? `it holds ${misconfigurations} misconfiguration findings and` : "it has";
    sink.add(
      "not-image-scan",
      `this Trivy report is a scan of ${what} (${JSON.stringify(report.ArtifactName ?? "")}), not of a container image: ${held} no image facts; use \`trivy image --format json\``,
      report.ArtifactType != null ? ["ArtifactType"] : [],
    );
    return [];
  }

  const reference = trivyReference(
    report.ArtifactName ?? null,
    metadata?.RepoTags,
    metadata?.RepoDigests,
    sink,
  );
  if (reference === null) return [];

  const vulnerabilities: VulnerabilityInput[] = [];
  let budget: number = LIMITS.vulnerabilities;
  results.forEach((item, resultIndex) => {
    const resultPath = ["Results", resultIndex];
    const result = resultSchema.safeParse(item);
    if (!result.success) {
      sink.addZodIssues(result.error, resultPath);
      return;
    }
    const items = boundedList(
      result.data.Vulnerabilities,
      budget,
      [...resultPath, "Vulnerabilities"],
      sink,
      "vulnerabilities",
    );
    budget -= items.length;
    items.forEach((entry, index) => {
      const vulnerability = vulnerabilitySchema.safeParse(entry);
      if (!vulnerability.success) {
        sink.addZodIssues(vulnerability.error, [...resultPath, "Vulnerabilities", index]);
        return;
      }
      const v = vulnerability.data;
      vulnerabilities.push({
        id: v.VulnerabilityID,
        severity: v.Severity ?? null,
        package: v.PkgName ?? null,
        installedVersion: v.InstalledVersion ?? null,
        // Trivy writes "" rather than omitting the field in some versions.
        fixedVersion: v.FixedVersion ? v.FixedVersion : null,
      });
    });
  });

  const imageConfig = metadata?.ImageConfig ?? null;
  const config = imageConfig?.config ?? null;
  const version = report.Trivy?.Version;
  return [
    normaliseFacts(
      {
        known: true,
        scan: {
          scanner: version ? `trivy ${version}` : "trivy",
          scannedAt: report.CreatedAt ?? null,
          vulnerabilities,
        },
        signatures: [],
        createdAt: imageConfig?.created ?? null,
        // A config without User runs as root: the user is known to be the default, "".
        user: imageConfig ? (config?.User ?? "") : null,
        labels: imageConfig
          ? (readLabels(config?.Labels, ["Metadata", "ImageConfig", "config", "Labels"], sink) ?? {})
          : null,
      },
      reference,
    ),
  ];
}

/** An image archive or OCI layout on disk, as `trivy image --input` records ArtifactName. */
const FILE_NAME = /(?:\.tar|\.tgz|\.tar\.[a-z0-9]+)$|^(?:\/|\.{1,2}\/|~)|\\/i;

/**
 * The scanned image's reference: ArtifactName when it is a reference (not a file) and agrees
 * with the image's RepoTags / RepoDigests, else the first of those. A tag or digest the chosen
 * name lacks is taken from RepoTags / RepoDigests of the same repository.
 */
function trivyReference(
  artifactName: string | null,
  repoTags: unknown[] | null | undefined,
  repoDigests: unknown[] | null | undefined,
  sink: DiagnosticSink,
): ImageReference | null {
  const parseAll = (values: unknown[] | null | undefined): ImageReference[] =>
    (values ?? []).slice(0, LIMITS.tags).flatMap((value) => {
      if (typeof value !== "string") return [];
      const parsed = parseImageReference(value);
      return "error" in parsed ? [] : [parsed];
    });
  const tags = parseAll(repoTags);
  const digests = parseAll(repoDigests);
  const known = [...tags, ...digests];
  const sameRepository = (a: ImageReference, b: ImageReference) =>
    a.registry === b.registry && a.repository === b.repository;

  let primary: ImageReference | null = null;
  if (artifactName !== null && !FILE_NAME.test(artifactName)) {
    const parsed = parseImageReference(artifactName);
    if (!("error" in parsed) && (known.length === 0 || known.some((k) => sameRepository(k, parsed)))) {
      primary = parsed;
    }
  }
  primary ??= known[0] ?? null;
  if (primary === null) {
    sink.add(
      "image-reference",
      `the Trivy report names no image reference: ArtifactName ${JSON.stringify(artifactName ?? "")} is not one and Metadata has no RepoTags or RepoDigests`,
      ["ArtifactName"],
    );
    return null;
  }

  const base: ImageReference = primary;
  const tag = base.tag ?? (base.digest === null ? findField(tags, base, "tag") : null);
  const digest = base.digest ?? findField(digests, base, "digest");
  if (tag === base.tag && digest === base.digest) return base;
  const combined = { ...base, tag, digest };
  return { ...combined, ref: formatReference(combined) };

  function findField(candidates: ImageReference[], of: ImageReference, key: "tag" | "digest") {
    return candidates.find((c) => sameRepository(c, of) && c[key] !== null)?.[key] ?? null;
  }
}
