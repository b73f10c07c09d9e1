import type { DiagnosticCode } from "./codes.js";

/**
 * A problem found in an input, as a value. Parsing and compiling collect these rather than
 * throw, so every problem of a file is reported at once.
 */
export interface Diagnostic {
  /** Stable machine code, one of a closed set (`DIAGNOSTIC_CODES`): `yaml-syntax`, `schema`, `cel-type`... */
  code: DiagnosticCode;
  message: string;
  /** Document path of the offending field, e.g. `spec.validations[0].expression`. */
  path?: string;
  file?: string;
  /** 1-based. */
  line?: number;
  /**
   * 0-based index of the document in its file (a multi-document YAML stream, a JSON list, or
   * the objects of a list), for a problem of a whole document: one skipped as not a Kubernetes object.
   */
  document?: number;
  /** 1-based. */
  column?: number;
  /** The source line the problem is on, for a caret rendering. */
  sourceLine?: string;
  severity?: "error" | "warning";
}
