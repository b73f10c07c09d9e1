import yaml from "js-yaml";
import { MAX_VALUE_DEPTH, markDepthChecked } from "../cel/values.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import {
  checkValue,
  DEFAULT_INPUT_LIMITS,
  type InputLimits,
  LONE_SURROGATE,
  limitDiagnostic,
  limitViolation,
} from "../limits/limits.js";
import { MAX_MANIFEST_BYTES } from "../limits/sizes.js";
import { DECLINED, loadFast } from "./fast-yaml.js";
import { resourceRef } from "./identity.js";
import { duplicateJsonKey } from "./json-keys.js";
import { explicitMergeTag, mergeKeyConflict } from "./merge-keys.js";
import { MANIFEST_SCHEMA } from "./schema.js";
import { type DocumentChunk, splitYamlDocuments } from "./split.js";
import type { Resource } from "./types.js";

/**
 * Text that may spell a merge tag (`!!merge`, `!<tag:yaml.org,2002:merge>`, or through a `%TAG`
 * handle): the cheap test before the parser is asked (mayCarryMergeTag).
 */
const EXPLICIT_MERGE_TAG = /!(?:!|<[^>]*|[\w-]*!)?merge/;

/**
 * Whether a document may carry an explicit merge tag, by its text alone: false for nearly every
 * manifest, so that only the rest are read again to find out (explicitMergeTag). Every tag
 * starts with `!`. Without a `%` (a `%TAG` directive, or a percent escape such as `!!m%65rge`)
 * the merge tag can only be spelt `!!merge` or `!<...merge>`; with one, the tag's text need
 * not hold the word (`%TAG !m! tag:yaml.org,2002:mer` makes `!m!ge` one), so the parser decides.
 */
function mayCarryMergeTag(text: string): boolean {
  if (!text.includes("!")) return false;
  return text.includes("%") || (text.includes("merge") && EXPLICIT_MERGE_TAG.test(text));
}

export interface ParseManifestsOptions {
  maxBytes?: number;
  /** Shape limits (depth, aliases, expanded size, string length, documents); default DEFAULT_INPUT_LIMITS. */
  limits?: InputLimits;
}

/**
 * Parses Kubernetes manifests from YAML (multi-document) or JSON text: `List` kinds are
 * unpacked, empty documents ignored, every resource keeps its file, line and document index.
 * Problems come back as diagnostics (errors for syntax, warnings for documents that are not
 * Kubernetes objects, each with its line and document index: skippedDocumentNotices makes them
 * the report's notices); the good documents are still returned. An input over one of the
 * limits is refused as a whole: no resources, one `input-limit` (or `input-nul`) error naming
 * the document's line, the field path and the limit. Never throws.
 */
export function parseManifests(
  text: string,
  file = "<input>",
  options: ParseManifestsOptions = {},
): { resources: Resource[]; diagnostics: Diagnostic[] } {
  const maxBytes = options.maxBytes ?? MAX_MANIFEST_BYTES;
  const limits = options.limits ?? DEFAULT_INPUT_LIMITS;
  const diagnostics: Diagnostic[] = [];
  const resources: Resource[] = [];
  if (text.length > maxBytes) {
    diagnostics.push({
      code: "input-too-large",
      message: `input is ${text.length} bytes, over the limit of ${maxBytes} bytes; split it into smaller files`,
      file,
    });
    return { resources, diagnostics };
  }
  if (text.includes("\u0000")) {
    diagnostics.push({
      code: "binary-input",
      message: "input is binary, not YAML or JSON text",
      file,
      line: 1,
    });
    return { resources, diagnostics };
  }
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (value !== undefined) {
      const line =
        text.length - trimmed.length > 0 ? text.slice(0, text.length - trimmed.length).split("\n").length : 1;
      const violation = checkValue(value, limits, { tree: true });
      if (violation) return refused(limitDiagnostic(violation, { file, line }));
      // JSON.parse keeps the last of a key given twice; YAML refuses it, and so does JSON here
      const twice = duplicateJsonKey(text);
      if (twice)
        return refused({
          code: "yaml-syntax",
          message: `malformed JSON: duplicated key ${JSON.stringify(twice.key)} in one object (another reader may take the first value)`,
          file,
          line: twice.line,
          column: twice.column,
        });
      const docs = Array.isArray(value) ? value : [value];
      docs.forEach((doc, i) => {
        addDocument(doc, { file, line, document: i }, resources, diagnostics);
      });
      return (
        tooMany(resources.length, limits, file) ?? { resources: depthChecked(resources, limits), diagnostics }
      );
    }
    // not valid JSON: fall through to YAML, which reports the position of the problem
  }
  // each document's text is a slice of the input (splitYamlDocuments), so the chunks do not
  // hold the text twice
  const chunks = splitYamlDocuments(text);
  const documents = tooMany(chunks.length, limits, file);
  if (documents) return documents;
  const budget = { used: 0 };
  for (const chunk of chunks) {
    const read = readManifestDocument(chunk, file, limits);
    if ("diagnostic" in read) {
      if (read.diagnostic.code === "input-limit") return refused(read.diagnostic);
      diagnostics.push(read.diagnostic);
      continue;
    }
    const { value } = read;
    // without `*` there is no alias, nor without `&` (an alias names an anchor of its
    // document, else js-yaml refuses it), so nothing is shared; without `\` there is no
    // escape, so every character of a string or key is one of the text (which has no NUL, see
    // above) or of js-yaml's own (`[object Object]` for a mapping used as a key): one look at
    // the text for a lone surrogate stands for one per string
    const violation = checkValue(value, limits, {
      budget,
      tree: !chunk.text.includes("*") || !chunk.text.includes("&"),
      textChecked: !chunk.text.includes("\\") && !LONE_SURROGATE.test(chunk.text),
    });
    if (violation) return refused(limitDiagnostic(violation, { file, line: chunk.contentLine }));
    addDocument(value, { file, line: chunk.contentLine, document: chunk.index }, resources, diagnostics);
    const many = tooMany(resources.length, limits, file);
    if (many) return many;
  }
  return { resources: depthChecked(resources, limits), diagnostics };
}

/** One YAML document read as kubectl reads it (readManifestDocument), or why it cannot be. */
export type ManifestDocumentReading =
  | { value: unknown }
  | {
      diagnostic: Diagnostic;
      /** For an ambiguous merge: the path of the mapping it is in, as segments. */
      segments?: (string | number)[];
    };

/**
 * Reads one YAML document (a chunk of splitYamlDocuments) as kubectl reads it: plain scalars
 * typed as go-yaml v2 types them (kubectl-scalars.ts), `<<` merged as it merges them, and a
 * document that YAML readers would merge differently refused as a `yaml-syntax` error
 * (merge-keys.ts). A syntax error names its line in the file; a document nested past
 * `limits.maxDepth` is an `input-limit` error. The value is not checked against the other
 * limits: the caller runs checkValue. Shared by parseManifests and the objects embedded in
 * PolicyTest documents, so both read a resource alike. Never throws.
 */
export function readManifestDocument(
  chunk: DocumentChunk,
  file: string,
  limits: InputLimits = DEFAULT_INPUT_LIMITS,
): ManifestDocumentReading {
  // past the limit, so that checkValue reports the depth with its path; js-yaml's own check
  // still stops a deeper document before its recursive descent can go further
  const maxDepth = limits.maxDepth + 2;
  // the plain subset most manifests are written in, read to the value js-yaml gives; any
  // other document (and every error) is js-yaml's (see fast-yaml.ts)
  let value = loadFast(chunk.text, maxDepth);
  if (value === DECLINED) {
    try {
      value = yaml.load(chunk.text, {
        schema: MANIFEST_SCHEMA,
        filename: file,
        // no `json: true`: a key given twice in one mapping is an error naming its line, not
        // its last value taken silently (YAML requires unique keys, kubectl's strict field
        // validation refuses them, and another reader may take the first value)
        maxDepth,
      } as yaml.LoadOptions);
    } catch (error) {
      return { diagnostic: yamlDiagnostic(error, file, chunk.line, limits) };
    }
  }
  // a merge key (`<<: *defaults`) is merged as kubectl merges it, unless readers disagree
  // on the document's value: then it is refused, never read one way and deployed another
  const tagged = mayCarryMergeTag(chunk.text) ? explicitMergeTag(chunk.text, maxDepth) : false;
  if (typeof tagged === "object")
    return { diagnostic: yamlDiagnostic(tagged.error, file, chunk.line, limits) };
  if (tagged) {
    return {
      diagnostic: {
        code: "yaml-syntax",
        message:
          "unsupported YAML: an explicit merge tag (`!!merge`): readers disagree on where it merges; write a plain `<<` key",
        file,
        line: chunk.contentLine,
      },
    };
  }
  if (chunk.text.includes("<<")) {
    const conflict = mergeKeyConflict(chunk.text, maxDepth);
    if (conflict && "error" in conflict)
      return { diagnostic: yamlDiagnostic(conflict.error, file, chunk.line, limits) };
    if (conflict)
      return {
        diagnostic: {
          code: "yaml-syntax",
          message: `ambiguous YAML: the merge key \`<<\` also gives ${JSON.stringify(conflict.key)}, which this mapping sets before the \`<<\`; readers disagree on which value wins (kubectl's go-yaml takes the merged one, js-yaml and go-yaml v3 the one written): set ${JSON.stringify(conflict.key)} after the \`<<\`, or in one place only`,
          file,
          line: chunk.contentLine,
          ...(conflict.path ? { path: conflict.path } : {}),
        },
        segments: conflict.segments,
      };
  }
  return { value };
}

/**
 * Records the resources' objects as within CEL's depth limit (markDepthChecked), so that an
 * evaluation does not walk them again, when the input limits just checked are at least as
 * strict: an object nested `maxDepth` levels (the top one counts 1) holds values `maxDepth`
 * levels below its top, and MAX_VALUE_DEPTH is the most CEL takes. A caller that makes an
 * object deeper afterwards must parse it again.
 */
function depthChecked(resources: Resource[], limits: InputLimits): Resource[] {
  if (limits.maxDepth <= MAX_VALUE_DEPTH) for (const r of resources) markDepthChecked(r.object);
  return resources;
}

function refused(diagnostic: Diagnostic): { resources: Resource[]; diagnostics: Diagnostic[] } {
  return { resources: [], diagnostics: [diagnostic] };
}

/** The refusal of an input with more documents (or objects) than maxDocuments, if it has. */
function tooMany(
  count: number,
  limits: InputLimits,
  file: string,
): { resources: Resource[]; diagnostics: Diagnostic[] } | undefined {
  if (count <= limits.maxDocuments) return undefined;
  return refused(
    limitDiagnostic(
      limitViolation("maxDocuments", limits, "", `more than ${limits.maxDocuments} documents`),
      {
        file,
      },
    ),
  );
}

/**
 * Builds resources from already-parsed objects (the REST API's `resources: [...]`), under the
 * same limits as parseManifests (refused as a whole when over one). Never throws.
 */
export function resourcesFromObjects(
  objects: readonly unknown[],
  file = "<request>",
  options: {
    limits?: InputLimits;
    /**
     * Each object is one resource as it is, never read as a list of its `items`: for objects
     * the API server admits (an AdmissionReview's) or that are deployed. Default: objects to
     * deploy, read as manifests are.
     */
    asAdmitted?: boolean;
  } = {},
): { resources: Resource[]; diagnostics: Diagnostic[] } {
  const limits = options.limits ?? DEFAULT_INPUT_LIMITS;
  const diagnostics: Diagnostic[] = [];
  const resources: Resource[] = [];
  const violation = checkValue(objects, limits);
  if (violation) return refused(limitDiagnostic(violation, { file }));
  const lists: ListReading = options.asAdmitted ? "object" : "kubectl";
  objects.forEach((doc, i) => {
    addDocument(doc, { file, line: 1, document: i }, resources, diagnostics, `[${i}]`, lists);
  });
  return (
    tooMany(resources.length, limits, file) ?? { resources: depthChecked(resources, limits), diagnostics }
  );
}

/**
 * How an object with `items` is read: as kubectl reads a manifest (see addDocument), or as
 * itself alone (an object the API server admits, or one deployed, is never a list).
 */
type ListReading = "kubectl" | "object";

function addDocument(
  value: unknown,
  source: { file: string; line: number; document: number },
  out: Resource[],
  diagnostics: Diagnostic[],
  path?: string,
  lists: ListReading = "kubectl",
): void {
  if (value === null || value === undefined) return;
  if (typeof value !== "object" || Array.isArray(value)) {
    diagnostics.push({
      code: "not-an-object",
      message: "document is not a Kubernetes object (a mapping with apiVersion and kind); skipped",
      file: source.file,
      line: source.line,
      document: source.document,
      path,
      severity: "warning",
    });
    return;
  }
  const object = value as Record<string, unknown>;
  // kubectl reads any object with a list of `items` as a list, whatever its kind (the
  // unstructured decoding of apimachinery), applies the items and not the object, and gives an
  // item with neither kind nor apiVersion the list's kind without "List" and its apiVersion:
  // `kind: PodList` with a kind-less item creates a Pod, so does `kind: ConfigMap` with an item
  // of `kind: Pod`. Other tools (Argo CD's reading of a file, a client that creates the
  // object) deploy an object whose kind is not a list kind as it is: such an object is checked
  // as itself and as its items. An object admitted or deployed is only ever itself.
  if (lists === "kubectl" && Array.isArray(object.items)) {
    const listKind = typeof object.kind === "string" ? object.kind : "";
    const itemKind = listKind.endsWith("List") ? listKind.slice(0, -"List".length) : listKind;
    const apiVersion = typeof object.apiVersion === "string" ? object.apiVersion : "";
    // the object itself first (unless a list kind), then its items
    if (!listKind.endsWith("List")) addDocument(value, source, out, diagnostics, path, "object");
    for (const item of object.items)
      addDocument(withListKind(item, itemKind, apiVersion), source, out, diagnostics, path);
    return;
  }
  if (typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
    diagnostics.push({
      code: "not-an-object",
      message: "document has no apiVersion or kind, so it is not a Kubernetes object; skipped",
      file: source.file,
      line: source.line,
      document: source.document,
      path,
      severity: "warning",
    });
    return;
  }
  if (object.apiVersion === "celgate.dev/v1") {
    diagnostics.push({
      code: "celgate-document",
      message: `a celgate ${object.kind} document, not a Kubernetes object; skipped (pass it with --policies, --exceptions or --images)`,
      file: source.file,
      line: source.line,
      document: source.document,
      path,
      severity: "warning",
    });
    return;
  }
  out.push({ object, ref: resourceRef(object, source) });
}

/** `item` with the list's item kind and apiVersion when it has neither (a new object), as kubectl reads it. */
function withListKind(item: unknown, kind: string, apiVersion: string): unknown {
  if (typeof item !== "object" || item === null || Array.isArray(item) || kind === "") return item;
  const record = item as Record<string, unknown>;
  const has = (v: unknown) => typeof v === "string" && v !== "";
  if (has(record.kind) || has(record.apiVersion)) return item;
  return { ...record, kind, apiVersion };
}

function yamlDiagnostic(error: unknown, file: string, firstLine: number, limits: InputLimits): Diagnostic {
  if (error instanceof yaml.YAMLException) {
    const mark = error.mark as { line?: number; column?: number; snippet?: string } | undefined;
    const line = firstLine + (mark?.line ?? 0);
    if (/maxDepth|maxTotalMergeKeys/.test(error.reason ?? ""))
      return limitDiagnostic(
        /maxDepth/.test(error.reason)
          ? limitViolation("maxDepth", limits, "", "nested too deeply")
          : {
              limit: "maxAliases",
              path: "",
              message: `too many keys merged through \`<<\` aliases (${error.reason})`,
            },
        { file, line, column: (mark?.column ?? 0) + 1 },
      );
    return {
      code: "yaml-syntax",
      message: `malformed YAML: ${error.reason}`,
      file,
      line,
      column: (mark?.column ?? 0) + 1,
    };
  }
  if (error instanceof RangeError)
    return limitDiagnostic(limitViolation("maxDepth", limits, "", "nested too deeply to parse"), {
      file,
      line: firstLine,
    });
  return {
    code: "yaml-syntax",
    message: `cannot parse: ${(error as Error)?.message ?? String(error)}`,
    file,
    line: firstLine,
  };
}
