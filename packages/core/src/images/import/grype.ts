import { z } from "zod";
import { normaliseFacts, type VulnerabilityInput } from "../facts.js";
import { checkDigest, formatReference, parseImageReference } from "../reference.js";
import type { ImageFacts, ImageReference } from "../types.js";
import {
  boundedList,
  type DiagnosticSink,
  field,
  isRecord,
  LIMITS,
  type PathSegment,
  readLabels,
  scalarText,
} from "./common.js";

const text = z.union([z.string(), z.number()]).transform(String);
// Lists are read element by element (bounded) rather than by zod, which would walk them whole.
const list = z.custom<unknown[]>((value) => Array.isArray(value), { message: "expected a list" });

const reportSchema = z.object({
  matches: list,
  source: z.object({ type: z.string(), target: z.unknown().optional() }),
  descriptor: z
    .object({ name: z.string().nullish(), version: text.nullish(), timestamp: z.string().nullish() })
    .nullish(),
});

const imageTargetSchema = z.object({
  userInput: z.string(),
  tags: list.nullish(),
  repoDigests: list.nullish(),
  manifestDigest: z.string().nullish(),
  // Base64 of the image's config JSON (older Grype versions may give the object itself).
  config: z.unknown().optional(),
});

const matchSchema = z.object({
  vulnerability: z.object({
    id: z.string().min(1),
    severity: z.string().nullish(),
    fix: z.object({ versions: list.nullish(), state: z.string().nullish() }).nullish(),
  }),
  relatedVulnerabilities: z.array(z.object({ id: z.string() }).passthrough()).nullish(),
  artifact: z.object({ name: text, version: text.nullish() }),
});

/** True for what looks like a Grype JSON report (`grype -o json`). */
export function isGrypeReport(input: unknown): input is Record<string, unknown> {
  return (
    isRecord(input) &&
    Array.isArray(input.matches) &&
    (input.source !== undefined || input.descriptor !== undefined)
  );
}

/**
 * Reads a Grype JSON report of a container image into one image's facts. Config (created,
 * user, labels) comes from the report's embedded image config when present. A scan of a
 * directory, file or SBOM holds no image facts: one diagnostic, no images. Never throws.
 */
export function importGrypeReport(input: Record<string, unknown>, sink: DiagnosticSink): ImageFacts[] {
  const parsed = reportSchema.safeParse(input);
  if (!parsed.success) {
    sink.addZodIssues(parsed.error, []);
    return [];
  }
  const report = parsed.data;
  if (report.source.type !== "image") {
    sink.add(
      "not-image-scan",
      `this Grype report is a scan of a ${report.source.type}, not of a container image: it has no image facts; use \`grype <image> -o json\``,
      ["source", "type"],
    );
    return [];
  }
  const target = imageTargetSchema.safeParse(report.source.target);
  if (!target.success) {
    sink.addZodIssues(target.error, ["source", "target"]);
    return [];
  }
  const reference = grypeReference(target.data, sink);
  if (reference === null) return [];

  const vulnerabilities: VulnerabilityInput[] = [];
  boundedList(report.matches, LIMITS.vulnerabilities, ["matches"], sink, "matches").forEach((item, index) => {
    const match = matchSchema.safeParse(item);
    if (!match.success) {
      sink.addZodIssues(match.error, ["matches", index]);
      return;
    }
    const { vulnerability, artifact, relatedVulnerabilities } = match.data;
    vulnerabilities.push({
      id: vulnerability.id,
      aliases: (relatedVulnerabilities ?? []).map((r) => r.id),
      severity: vulnerability.severity ?? null,
      package: artifact.name,
      installedVersion: artifact.version ?? null,
      fixedVersion: fixedVersion(vulnerability.fix),
    });
  });

  const config = imageConfig(target.data.config, ["source", "target", "config"], sink);
  const descriptor = report.descriptor ?? null;
  const version = descriptor?.version;
  const knownVersion = version && version !== "[not provided]" ? version : null;
  return [
    normaliseFacts(
      {
        known: true,
        scan: {
          scanner: knownVersion ? `grype ${knownVersion}` : "grype",
          scannedAt: descriptor?.timestamp ?? null,
          vulnerabilities,
        },
        signatures: [],
        createdAt: config?.createdAt ?? null,
        user: config?.user ?? null,
        labels: config?.labels ?? null,
      },
      reference,
    ),
  ];
}

/**
 * The first fixed version, when Grype knows a fix (`state: fixed`); states `not-fixed`,
 * `wont-fix` and `unknown` mean there is none to upgrade to.
 */
function fixedVersion(fix: { versions?: unknown[] | null; state?: string | null } | null | undefined) {
  if (!fix || (fix.state != null && fix.state !== "" && fix.state !== "fixed")) return null;
  for (const version of (fix.versions ?? []).slice(0, 100)) {
    const value = scalarText(version);
    if (value) return value;
  }
  return null;
}

/**
 * The reference as the user asked for it (`userInput`), with the repository digest the
 * registry reported. `manifestDigest` is the last resort: for a multi-platform image it is one
 * platform's manifest, which manifests rarely name.
 */
function grypeReference(
  target: z.infer<typeof imageTargetSchema>,
  sink: DiagnosticSink,
): ImageReference | null {
  const parsed = parseImageReference(target.userInput);
  const candidates = [...(target.tags ?? []), ...(target.repoDigests ?? [])]
    .slice(0, LIMITS.tags)
    .flatMap((value) => {
      if (typeof value !== "string") return [];
      const reference = parseImageReference(value);
      return "error" in reference ? [] : [reference];
    });
  const base = "error" in parsed ? (candidates[0] ?? null) : parsed;
  if (base === null) {
    const reason = "error" in parsed ? parsed.error : "no reference";
    sink.add("image-reference", `the Grype report names no usable image reference: ${reason}`, [
      "source",
      "target",
      "userInput",
    ]);
    return null;
  }
  const same = candidates.filter((c) => c.registry === base.registry && c.repository === base.repository);
  let digest = base.digest ?? same.find((c) => c.digest !== null)?.digest ?? null;
  if (digest === null && target.manifestDigest && "digest" in checkDigest(target.manifestDigest)) {
    digest = target.manifestDigest;
  }
  const tag = base.tag ?? (digest === null ? (same.find((c) => c.tag !== null)?.tag ?? null) : null);
  if (tag === base.tag && digest === base.digest) return base;
  const combined = { ...base, tag, digest };
  return { ...combined, ref: formatReference(combined) };
}

interface ConfigFacts {
  createdAt: string | null;
  user: string;
  labels: Record<string, string>;
}

/** The OCI image config Grype embeds (base64 JSON), or null when absent or unreadable. */
function imageConfig(value: unknown, path: readonly PathSegment[], sink: DiagnosticSink): ConfigFacts | null {
  let config: unknown = value;
  if (typeof value === "string") {
    if (value === "") return null;
    if (value.length > LIMITS.configBytes) {
      sink.add("limit", "the embedded image config is too large to read", path, "warning");
      return null;
    }
    try {
      const binary = atob(value);
      const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
      config = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      sink.add("schema", "the embedded image config is not base64-encoded JSON", path, "warning");
      return null;
    }
  }
  if (!isRecord(config)) return null;
  const created = field(config, "created");
  const inner = field(config, "config");
  const user = field(inner, "User");
  return {
    createdAt: typeof created === "string" ? created : null,
    // A config without User runs as root: the user is known to be the default, "".
    user: typeof user === "string" ? user : "",
    labels: readLabels(field(inner, "Labels"), [...path, "config", "Labels"], sink) ?? {},
  };
}
