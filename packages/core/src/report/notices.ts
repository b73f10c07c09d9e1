import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { ReportNotice } from "./types.js";

/**
 * The report's notices for the documents of an input that were skipped: one `skipped-document`
 * notice per warning of `parseManifests` or `resourcesFromObjects` (a document that is not a
 * Kubernetes object), in their order, saying where it was (`source`: file or request field,
 * document index, line when the input is text) and why. Errors are not skipped documents (the
 * caller refuses the input for them) and are left out. The CLI and the service both make their
 * notices here, so one input gives the same notices wherever it is checked. Never throws.
 */
export function skippedDocumentNotices(diagnostics: readonly Diagnostic[]): ReportNotice[] {
  const notices: ReportNotice[] = [];
  for (const d of diagnostics) {
    if (d.severity !== "warning") continue;
    const file = d.file ?? "<input>";
    // an object of a list given as objects (`resources[2]`) has no line of its own
    const line = d.path === undefined ? d.line : undefined;
    const where = d.path !== undefined ? `${file}${d.path}` : line !== undefined ? `${file}:${line}` : file;
    notices.push({
      kind: "skipped-document",
      message: `${where}: ${d.message}`,
      ...(d.document === undefined
        ? {}
        : { source: { file, document: d.document, ...(line === undefined ? {} : { line }) } }),
    });
  }
  return notices;
}
