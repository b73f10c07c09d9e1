import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { DiagnosticSink, isRecord } from "./import/common.js";
import { importCosignVerifyOutput, isCosignVerifyOutput } from "./import/cosign.js";
import { importGrypeReport, isGrypeReport } from "./import/grype.js";
import {
  importNativeDocument,
  importNativeImage,
  importNativeList,
  isNativeDocument,
  isNativeImage,
} from "./import/native.js";
import { importTrivyReport, isTrivyReport } from "./import/trivy.js";
import type { ImageFacts } from "./types.js";

/** The input formats `parseImageFacts` recognises. */
export type ImageFactsFormat = "native" | "trivy" | "grype" | "cosign-verify";

export interface ParsedImageFacts {
  images: ImageFacts[];
  diagnostics: Diagnostic[];
  /** The format recognised, or null when none was. */
  format: ImageFactsFormat | null;
}

/**
 * Reads image facts from already-parsed JSON or YAML, recognising the format by its shape:
 * celgate's own (a list of image objects, a single one, or a `kind: ImageFacts` document), a
 * Trivy JSON report, a Grype JSON report, a list of such reports, or `cosign verify` output.
 * Every problem is a diagnostic naming `file` and the path in the input; what can be read is
 * still returned. Never throws.
 */
export function parseImageFacts(input: unknown, file?: string): ParsedImageFacts {
  if (isReportList(input)) {
    const parts = input.map((report, index) => {
      const part = parseImageFacts(report, file);
      for (const d of part.diagnostics) d.path = d.path ? `[${index}].${d.path}` : `[${index}]`;
      return part;
    });
    return {
      images: parts.flatMap((p) => p.images),
      diagnostics: parts.flatMap((p) => p.diagnostics),
      format: parts[0]!.format,
    };
  }
  const sink = new DiagnosticSink(file);
  let images: ImageFacts[] = [];
  let format: ImageFactsFormat | null = null;
  try {
    format = detectFormat(input);
    switch (format) {
      case "cosign-verify":
        images = importCosignVerifyOutput(input as unknown[], [], sink);
        break;
      case "trivy":
        images = importTrivyReport(input as Record<string, unknown>, sink);
        break;
      case "grype":
        images = importGrypeReport(input as Record<string, unknown>, sink);
        break;
      case "native":
        if (Array.isArray(input)) images = importNativeList(input, [], sink);
        else if (isNativeDocument(input)) images = importNativeDocument(input, sink);
        else {
          const image = importNativeImage(input, [], sink);
          images = image ? [image] : [];
        }
        break;
      default:
        sink.add("image-facts-format", unrecognised(input), []);
    }
  } catch (error) {
    // The importers are written not to throw; this is the backstop that keeps the promise.
    sink.add("internal", `could not read image facts: ${(error as Error)?.message ?? String(error)}`, []);
  }
  return { images, diagnostics: sink.finish(), format };
}

/** A non-empty list whose every entry is a Trivy or Grype report (one per image scanned). */
function isReportList(input: unknown): input is unknown[] {
  return (
    Array.isArray(input) &&
    input.length > 0 &&
    input.length <= 1000 &&
    input.every((x) => isTrivyReport(x) || isGrypeReport(x))
  );
}

/** Which format `input` is in, or null. */
export function detectFormat(input: unknown): ImageFactsFormat | null {
  if (Array.isArray(input)) return isCosignVerifyOutput(input) ? "cosign-verify" : "native";
  if (isNativeDocument(input)) return "native";
  if (isTrivyReport(input)) return "trivy";
  if (isGrypeReport(input)) return "grype";
  if (isNativeImage(input)) return "native";
  return null;
}

function unrecognised(input: unknown): string {
  const expected =
    "expected image facts (a list of images or `kind: ImageFacts`), a Trivy or Grype JSON report, or `cosign verify` output";
  if (!isRecord(input)) {
    const got = input === null ? "null" : typeof input;
    return `unrecognised image facts input (${got}): ${expected}`;
  }
  if (
    typeof input.mediaType === "string" &&
    input.mediaType.startsWith("application/vnd.dev.sigstore.bundle")
  ) {
    return `a Sigstore bundle records a signature but not that it was verified: ${expected}, e.g. \`cosign verify --output json\``;
  }
  if (isRecord(input.scanner) || isRecord(input.invocation)) {
    return `a cosign vulnerability attestation predicate names no image: ${expected}`;
  }
  const keys = Object.keys(input).slice(0, 5).join(", ");
  return `unrecognised image facts input (a mapping with keys ${keys || "none"}): ${expected}`;
}
