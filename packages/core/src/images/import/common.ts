import type { z } from "zod";
import type { DiagnosticCode } from "../../diagnostics/codes.js";
import type { Diagnostic } from "../../diagnostics/diagnostic.js";

/**
 * Bounds on what one input may hold. Real reports are far below them (a large image has a
 * few thousand findings); they exist so that hostile input costs bounded time and memory.
 */
export const LIMITS = {
  images: 10_000,
  vulnerabilities: 100_000,
  signatures: 1_000,
  labels: 1_000,
  tags: 1_000,
  /** Diagnostics kept per input; the rest are summarised in one last diagnostic. */
  diagnostics: 100,
  /** Bytes of base64 image config (Grype) we are willing to decode. */
  configBytes: 4 * 1024 * 1024,
} as const;

export type PathSegment = string | number;

/** Collects diagnostics for one input file, keeping at most `LIMITS.diagnostics` of them. */
export class DiagnosticSink {
  readonly file: string | undefined;
  private readonly kept: Diagnostic[] = [];
  private dropped = 0;

  constructor(file?: string) {
    this.file = file;
  }

  add(
    code: DiagnosticCode,
    message: string,
    path: readonly PathSegment[],
    severity: "error" | "warning" = "error",
  ): void {
    if (this.kept.length >= LIMITS.diagnostics) {
      this.dropped += 1;
      return;
    }
    const diagnostic: Diagnostic = { code, message, severity };
    if (path.length > 0) diagnostic.path = formatPath(path);
    if (this.file !== undefined) diagnostic.file = this.file;
    this.kept.push(diagnostic);
  }

  /** One diagnostic per zod issue, with the issue's path below `base`. */
  addZodIssues(error: z.ZodError, base: readonly PathSegment[]): void {
    for (const issue of error.issues) {
      const path = [...base, ...issue.path.filter((s): s is PathSegment => typeof s !== "symbol")];
      this.add("schema", issue.message, path);
    }
  }

  /** Warns about keys of `value` outside `known` (likely typos: the field would be ignored). */
  unknownKeys(value: unknown, known: ReadonlySet<string>, path: readonly PathSegment[]): void {
    if (!isRecord(value)) return;
    for (const key of Object.keys(value)) {
      if (!known.has(key))
        this.add("schema", `unknown field ${JSON.stringify(key)} is ignored`, [...path, key], "warning");
    }
  }

  finish(): Diagnostic[] {
    if (this.dropped === 0) return this.kept;
    const summary: Diagnostic = {
      code: "too-many-problems",
      message: `${this.dropped} more problems not shown`,
      severity: "error",
    };
    if (this.file !== undefined) summary.file = this.file;
    return [...this.kept, summary];
  }
}

/** `Results[0].Vulnerabilities[3].Severity`; keys that are not identifiers are quoted. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An own property only: a report's keys never reach `Object.prototype`. */
export function field(value: unknown, key: string): unknown {
  return isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}

/**
 * The first `limit` elements of a list, with an error when there were more (what is dropped
 * would otherwise silently be missing from counts). Not a list: an error, and no elements.
 */
export function boundedList(
  value: unknown,
  limit: number,
  path: readonly PathSegment[],
  sink: DiagnosticSink,
  what: string,
): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    sink.add("schema", `expected a list of ${what}`, path);
    return [];
  }
  if (value.length > limit) {
    sink.add("limit", `${value.length} ${what}; only the first ${limit} are read`, path);
    return value.slice(0, limit);
  }
  return value;
}

/** Text from a scalar (YAML may turn versions into numbers); anything else is null. */
export function scalarText(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") return String(value);
  return null;
}

/** Labels from an OCI config: scalar values as text, at most `LIMITS.labels` of them. */
export function readLabels(
  value: unknown,
  path: readonly PathSegment[],
  sink: DiagnosticSink,
): Record<string, string> | null {
  if (value === undefined || value === null) return null;
  if (!isRecord(value)) {
    sink.add("schema", "labels must be a mapping of names to text", path);
    return null;
  }
  const entries: [string, string][] = [];
  for (const key of Object.keys(value)) {
    if (entries.length >= LIMITS.labels) {
      sink.add("limit", `more than ${LIMITS.labels} labels; the rest are ignored`, path);
      break;
    }
    const text = scalarText(value[key]);
    if (text === null) sink.add("schema", "a label value must be text", [...path, key]);
    else entries.push([key, text]);
  }
  // fromEntries defines own properties, so a `__proto__` label stays a label.
  return Object.fromEntries(entries);
}
