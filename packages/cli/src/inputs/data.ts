import { type Diagnostic, type ImageFacts, parseImageFacts } from "@celgate/core";
import yaml from "js-yaml";
import { InputError } from "../errors.js";
import { readInputs } from "./files.js";

/** Parses a JSON or YAML data file (one or several documents); throws InputError naming the position. */
export function parseData(text: string, name: string): unknown[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return [JSON.parse(text)];
    } catch {
      // fall through: YAML accepts JSON and reports a position
    }
  }
  try {
    return yaml
      .loadAll(text, undefined, { schema: yaml.CORE_SCHEMA, filename: name })
      .filter((d) => d != null);
  } catch (error) {
    if (error instanceof yaml.YAMLException) {
      const mark = error.mark as { line?: number; column?: number } | undefined;
      throw new InputError(
        `${name}:${(mark?.line ?? 0) + 1}:${(mark?.column ?? 0) + 1}: malformed YAML: ${error.reason}`,
      );
    }
    throw new InputError(`${name}: cannot parse: ${(error as Error).message}`);
  }
}

/** Image facts from files: native JSON/YAML, Trivy JSON or Grype JSON, auto-detected. */
export function loadImageFacts(paths: readonly string[]): {
  images: ImageFacts[];
  diagnostics: Diagnostic[];
} {
  const images: ImageFacts[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const file of readInputs(paths)) {
    for (const doc of parseData(file.text, file.name)) {
      const parsed = parseImageFacts(doc, file.name);
      images.push(...parsed.images);
      diagnostics.push(...parsed.diagnostics);
    }
  }
  return { images, diagnostics };
}

/** A `--params` file: a map of policy name to its params. */
export function loadParamsFile(path: string | undefined): Record<string, Record<string, unknown>> {
  if (!path) return {};
  const [file] = readInputs([path]);
  const docs = file ? parseData(file.text, file.name) : [];
  const value = docs[0] ?? {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InputError(`${path}: expected a map of policy name to params`);
  }
  for (const [policy, params] of Object.entries(value)) {
    if (typeof params !== "object" || params === null || Array.isArray(params)) {
      throw new InputError(`${path}: params of ${policy} must be a map`);
    }
  }
  return value as Record<string, Record<string, unknown>>;
}
