import {
  checkImageFactsOrder,
  checkValue,
  type Diagnostic,
  displayPath,
  hasErrors,
  type ImageFacts,
  type InputLimits,
  limitViolation,
  parseImageFacts,
} from "@celgate/core";
import yaml from "js-yaml";
import { InputError } from "../errors.js";
import { inputLimits, readInputs, readOneInput } from "./files.js";

/**
 * Parses a JSON or YAML data file (one or several documents) under the input limits; throws
 * InputError naming the position, or the field and the limit it goes over.
 */
export function parseData(text: string, name: string, limits: InputLimits = inputLimits()): unknown[] {
  const docs = parseDocuments(text, name, limits);
  if (docs.length > limits.maxDocuments) {
    const v = limitViolation("maxDocuments", limits, "", `more than ${limits.maxDocuments} documents`);
    throw new InputError(`${displayPath(name)}: ${v.message}`);
  }
  const budget = { used: 0 };
  docs.forEach((doc, i) => {
    const v = checkValue(doc, limits, { budget });
    if (v)
      throw new InputError(
        `${name}${docs.length > 1 ? ` (document ${i + 1})` : ""}: ${v.path ? `${v.path}: ` : ""}${v.message}`,
      );
  });
  return docs;
}

function parseDocuments(text: string, name: string, limits: InputLimits): unknown[] {
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
      .loadAll(text, undefined, {
        schema: yaml.CORE_SCHEMA,
        filename: name,
        // past the limit, so that checkValue names the path; js-yaml still stops deeper input
        maxDepth: limits.maxDepth + 2,
      } as yaml.LoadOptions)
      .filter((d) => d != null);
  } catch (error) {
    if (error instanceof yaml.YAMLException) {
      const mark = error.mark as { line?: number; column?: number } | undefined;
      const at = `${name}:${(mark?.line ?? 0) + 1}:${(mark?.column ?? 0) + 1}`;
      if (/maxDepth/.test(error.reason))
        throw new InputError(`${at}: ${limitViolation("maxDepth", limits, "", "nested too deeply").message}`);
      throw new InputError(`${at}: malformed YAML: ${error.reason}`);
    }
    throw new InputError(`${displayPath(name)}: cannot parse: ${(error as Error).message}`);
  }
}

/**
 * Image facts from files: native JSON/YAML, Trivy JSON or Grype JSON, auto-detected. Throws
 * InputError (exit 2) when the order of the files or of their entries would decide what a
 * policy sees (core's `checkImageFactsOrder`, the check the service makes of a request's
 * `images`), naming the file(s), the image and the fields. Read errors are returned as
 * diagnostics, for the caller to report first; the order is checked only when there are none.
 */
export function loadImageFacts(paths: readonly string[]): {
  images: ImageFacts[];
  diagnostics: Diagnostic[];
} {
  const images: ImageFacts[] = [];
  const diagnostics: Diagnostic[] = [];
  /** How the refusal names images[i]. */
  const names: string[] = [];
  for (const file of readInputs(paths)) {
    const docs = parseData(file.text, file.name);
    const from = images.length;
    for (const doc of docs) {
      const parsed = parseImageFacts(doc, file.name);
      images.push(...parsed.images);
      diagnostics.push(...parsed.diagnostics);
    }
    const count = images.length - from;
    // a list of entries is named by position, as the service names a request's `images[i]`
    const listed = docs.length === 1 && Array.isArray(docs[0]) && docs[0].length === count;
    const name = displayPath(file.name);
    for (let k = 0; k < count; k++)
      names.push(count === 1 ? name : listed ? `${name}[${k}]` : `${name} (image ${k + 1})`);
  }
  if (!hasErrors(diagnostics)) {
    const problem = checkImageFactsOrder(images, { what: "--images", name: (i) => names[i] ?? "--images" });
    if (problem) throw new InputError(problem.message);
  }
  return { images, diagnostics };
}

/** A `--params` file: a map of policy name to its params. */
export function loadParamsFile(path: string | undefined): Record<string, Record<string, unknown>> {
  if (!path) return {};
  // one file, one document: of a folder or a stream of documents, the rest would be left out unsaid
  const file = readOneInput(path, `--params ${path}`, "give one params file");
  const docs = parseData(file.text, file.name);
  if (docs.length > 1)
    throw new InputError(
      `--params ${file.name}: ${docs.length} YAML documents; put every policy's params in one map`,
    );
  const value = docs[0] ?? {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InputError(`${displayPath(path)}: expected a map of policy name to params`);
  }
  for (const [policy, params] of Object.entries(value)) {
    if (typeof params !== "object" || params === null || Array.isArray(params)) {
      throw new InputError(`${displayPath(path)}: params of ${policy} must be a map`);
    }
  }
  return value as Record<string, Record<string, unknown>>;
}
