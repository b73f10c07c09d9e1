import type { z } from "zod";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { INPUT_LIMITS } from "../limits/limits.js";
import { formatPath } from "../util/path.js";
import {
  API_VERSION,
  type ExceptionDocument,
  exceptionSchema,
  type PolicyDocument,
  type PolicyTestDocument,
  policySchema,
  policyTestSchema,
} from "./schema.js";
import { parseSourceDocuments, type SourceDocument } from "./source.js";
import { kubectlTestObjects, severalSubjectDiagnostics } from "./test-objects.js";

export { formatPath };

/** Where a document came from, so later stages (compile, test) can point back at it. */
export interface DocumentOrigin {
  file?: string;
  document: number;
  /** Position of a path inside the document, for compile errors. */
  position?: SourceDocument["position"];
}

export interface Located<T> {
  doc: T;
  origin: DocumentOrigin;
}

export interface ParsedDocuments {
  policies: PolicyDocument[];
  exceptions: ExceptionDocument[];
  tests: PolicyTestDocument[];
  /** The same documents with their origins, in file order. */
  located: {
    policies: Located<PolicyDocument>[];
    exceptions: Located<ExceptionDocument>[];
    tests: Located<PolicyTestDocument>[];
  };
  diagnostics: Diagnostic[];
}

const schemas = {
  Policy: policySchema,
  PolicyException: exceptionSchema,
  PolicyTest: policyTestSchema,
} as const;

/**
 * Parses celgate documents (Policy, PolicyException, PolicyTest) from YAML or JSON text, with
 * several documents per file. Documents are read as YAML 1.2, but for the Kubernetes objects
 * of a PolicyTest's cases (`resource`, `bundle`, `namespaceObject`), read as kubectl reads a
 * manifest (test-objects.ts). Every problem of the file is returned at once, each with the
 * document path, line and column. Never throws.
 */
export function parsePolicyDocuments(text: string, file?: string): ParsedDocuments {
  const out: ParsedDocuments = {
    policies: [],
    exceptions: [],
    tests: [],
    located: { policies: [], exceptions: [], tests: [] },
    diagnostics: [],
  };
  const { documents, diagnostics } = parseSourceDocuments(text, file);
  out.diagnostics.push(...diagnostics.map(fixedLimitDiagnostic));
  const testObjects = kubectlTestObjects(text, file);
  for (const source of documents) {
    const at = (path: (string | number)[]) => {
      const position = source.position(path);
      return { file, line: position?.line, column: position?.column, sourceLine: position?.sourceLine };
    };
    const value = source.value as Record<string, unknown>;
    if (typeof value !== "object" || Array.isArray(value)) {
      out.diagnostics.push({ code: "schema", message: "a document must be a mapping", ...at([]) });
      continue;
    }
    if (value.apiVersion !== API_VERSION) {
      out.diagnostics.push({
        code: "schema",
        message: `apiVersion must be ${API_VERSION}, found ${JSON.stringify(value.apiVersion ?? null)}`,
        path: "apiVersion",
        ...at(["apiVersion"]),
      });
      continue;
    }
    const kind = value.kind as keyof typeof schemas;
    const schema = schemas[kind];
    if (typeof kind !== "string" || !Object.hasOwn(schemas, kind) || !schema) {
      out.diagnostics.push({
        code: "schema",
        message: `kind must be one of Policy, PolicyException, PolicyTest; found ${JSON.stringify(value.kind ?? null)}`,
        path: "kind",
        ...at(["kind"]),
      });
      continue;
    }
    // the Kubernetes objects of a test's cases are what kubectl would deploy: read as manifests
    let checked: unknown = value;
    if (kind === "PolicyTest") {
      const read = testObjects.read(source, value);
      if ("diagnostics" in read) {
        out.diagnostics.push(...read.diagnostics.map(fixedLimitDiagnostic));
        continue;
      }
      checked = read.value;
    }
    const result = (schema as z.ZodType).safeParse(checked);
    if (!result.success) {
      const found = result.error.issues.flatMap((issue) => {
        const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
        if (issue.code === "unrecognized_keys") {
          // one problem per unknown field, on the field's own line
          return issue.keys.map((key) => {
            const position = source.position([...path, key], "key");
            return {
              code: "schema" as const,
              message: `unknown field ${key}`,
              path: formatPath([...path, key]),
              file,
              line: position?.line,
              column: position?.column,
              sourceLine: position?.sourceLine,
            };
          });
        }
        // a missing field reads the same whatever the kind of document or the field's type
        const message = isMissing(checked, path)
          ? `missing required field ${String(path.at(-1))}`
          : issueMessage(issue);
        return [{ code: "schema" as const, message, path: formatPath(path), ...at(path) }];
      });
      // by position; at the same position an unknown field first, since it usually explains the rest
      const rank = (d: { message: string }) => (d.message.startsWith("unknown field") ? 0 : 1);
      found.sort(
        (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) || rank(a) - rank(b),
      );
      out.diagnostics.push(...found);
      continue;
    }
    const origin: DocumentOrigin = { file, document: source.index, position: source.position };
    if (kind === "Policy") {
      out.policies.push(result.data as PolicyDocument);
      out.located.policies.push({ doc: result.data as PolicyDocument, origin });
    } else if (kind === "PolicyException") {
      out.exceptions.push(result.data as ExceptionDocument);
      out.located.exceptions.push({ doc: result.data as ExceptionDocument, origin });
    } else {
      // a case judges one object: an inline resource read as several is an error at its key;
      // the document is still returned, and planPolicyTests fails that case with the same words
      // (so the service's run, which lists what it could not run, shows it at its line)
      out.diagnostics.push(...severalSubjectDiagnostics(result.data as PolicyTestDocument, source, file));
      out.tests.push(result.data as PolicyTestDocument);
      out.located.tests.push({ doc: result.data as PolicyTestDocument, origin });
    }
  }
  return out;
}

/**
 * Policy, exception and PolicyTest files (and the fixtures their cases name) are always read
 * under the default input limits, whatever the CELGATE_MAX_* variables say: the same policy
 * repository is read by `celgate validate` and `celgate test` in CI, by every replica of the
 * service at its start (which refuses the whole repository over one error) and by the
 * service's test run, and must be read alike by all of them; the variables bound the inputs
 * being judged (manifests, request bodies, data files). A limit's message names its variable
 * (limits.ts); for these files it says instead that the variable does not apply. Unchanged for
 * any other diagnostic.
 */
export function fixedLimitDiagnostic(diagnostic: Diagnostic): Diagnostic {
  if (diagnostic.code !== "input-limit") return diagnostic;
  let message = diagnostic.message;
  for (const { variable } of Object.values(INPUT_LIMITS))
    message = message.replace(
      `(${variable})`,
      `(the default for policy, exception and test files, whatever ${variable} says)`,
    );
  return { ...diagnostic, message };
}

function issueMessage(issue: z.core.$ZodIssue): string {
  return issue.message;
}

/** Whether `path` names a field that its (existing) parent mapping does not have. */
function isMissing(document: unknown, path: readonly (string | number)[]): boolean {
  let node = document;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== "object") return false;
    node = (node as Record<string | number, unknown>)[key];
  }
  const last = path.at(-1);
  return (
    last !== undefined &&
    node !== null &&
    typeof node === "object" &&
    !Array.isArray(node) &&
    !Object.hasOwn(node, last)
  );
}
