import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { checkValue, DEFAULT_INPUT_LIMITS, limitDiagnostic } from "../limits/limits.js";
import { readManifestDocument, resourcesFromObjects } from "../resources/parse.js";
import { type DocumentChunk, splitYamlDocuments } from "../resources/split.js";
import type { Resource } from "../resources/types.js";
import { formatPath } from "../util/path.js";
import type { PolicyTestDocument } from "./schema.js";
import type { SourceDocument } from "./source.js";

/**
 * The fields of a PolicyTest case that hold Kubernetes objects: what `celgate check` would
 * read from a manifest. A case's other fields are celgate's own and keep the policy reading
 * (YAML 1.2): `params` reach an evaluation from a policy's `spec.params` or a `--params` file,
 * `images` from image fact files, `exceptions` from PolicyException documents, all read so.
 */
const OBJECT_FIELDS = ["resource", "bundle", "namespaceObject"] as const;

/**
 * Reads the Kubernetes objects of PolicyTest documents as kubectl reads a manifest.
 *
 * A policy file is read as YAML 1.2 (with every node's position), where `privileged: yes` is
 * the string "yes"; kubectl reads a manifest through go-yaml v2, a YAML 1.1 reader, and
 * deploys it as true. A test case must see the object that would be deployed, or it documents
 * a behaviour that never happens. So each PolicyTest document is read a second time, exactly
 * as parseManifests reads a document (readManifestDocument: kubectl's scalars, `<<` merged,
 * ambiguous merges refused), and the case fields that hold objects (OBJECT_FIELDS) are taken
 * from that reading. Built once per file, for the file's text.
 */
export function kubectlTestObjects(text: string, file: string | undefined) {
  // found on the first PolicyTest document of the file, if there is one
  let json: boolean | undefined;
  let chunks: DocumentChunk[] | undefined;
  return {
    /**
     * `value` (the YAML 1.2 reading of the PolicyTest document `source`) with the objects of
     * its cases as kubectl reads them, or the diagnostics that stop the document: a syntax error
     * of that reading, an ambiguous merge (naming the line of the mapping), a limit. A JSON
     * file is returned as it is: JSON has one reading. Never throws.
     */
    read(
      source: SourceDocument,
      value: Record<string, unknown>,
    ): { value: unknown } | { diagnostics: Diagnostic[] } {
      json ??= isJson(text);
      if (json) return { value };
      chunks ??= splitYamlDocuments(text);
      const line = source.position([])?.line;
      // the chunk the document's content starts in
      const chunk = line === undefined ? undefined : chunks.findLast((c) => c.line <= line);
      const stop = (message: string): { diagnostics: Diagnostic[] } => ({
        diagnostics: [{ code: "yaml-syntax", message, file, ...(line === undefined ? {} : { line }) }],
      });
      if (!chunk) return stop("cannot read this PolicyTest document's objects as kubectl reads a manifest");
      const read = readManifestDocument(chunk, file ?? "<input>", DEFAULT_INPUT_LIMITS);
      if ("diagnostic" in read) {
        const at = read.segments ? source.position(read.segments) : undefined;
        const diagnostic: Diagnostic = {
          ...read.diagnostic,
          file,
          ...(at ? { line: at.line, column: at.column, sourceLine: at.sourceLine } : {}),
        };
        if (file === undefined) delete diagnostic.file;
        return { diagnostics: [diagnostic] };
      }
      const violation = checkValue(read.value, DEFAULT_INPUT_LIMITS);
      if (violation) return { diagnostics: [limitDiagnostic(violation, { file, line: chunk.contentLine })] };
      const kubectl = isRecord(read.value) ? read.value : {};
      // the same document in both readings (the two readers split a stream alike but for
      // oddities such as directives): else refused, never a case given another's objects
      if (kubectl.kind !== value.kind || kubectl.apiVersion !== value.apiVersion)
        return stop("cannot find this PolicyTest document when its text is read as kubectl reads a manifest");
      const ours = isRecord(value.spec) ? value.spec.cases : undefined;
      const theirs = isRecord(kubectl.spec) ? kubectl.spec.cases : undefined;
      if (!Array.isArray(ours)) return { value };
      if (!Array.isArray(theirs) || theirs.length !== ours.length)
        return stop(
          "the cases of this PolicyTest read differently as kubectl reads YAML; write them without merge keys",
        );
      const cases: unknown[] = [];
      for (const [i, ourCase] of ours.entries()) {
        const theirCase: unknown = theirs[i];
        if (!isRecord(ourCase)) {
          cases.push(ourCase);
          continue;
        }
        const out: Record<string, unknown> = { ...ourCase };
        cases.push(out);
        for (const field of OBJECT_FIELDS) {
          if (!Object.hasOwn(out, field)) continue;
          // a field the schema will see in one reading but not the other (a case written
          // through a merge key, which the schema refuses anyway, or keys typed differently)
          if (!isRecord(theirCase) || !Object.hasOwn(theirCase, field))
            return stop(
              `cases[${i}].${field} reads differently as kubectl reads YAML; write the case without merge keys`,
            );
          out[field] = theirCase[field];
        }
      }
      return { value: { ...value, spec: { ...(value.spec as object), cases } } };
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether the text is one JSON value, as parseManifests decides it. */
function isJson(text: string): boolean {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The subject of a case is one Kubernetes object: the one it judges. A case's inline `resource`
 * is read as kubectl reads a manifest, where an object with a list of `items` is its items (and
 * itself too when its kind does not end in `List`, see resources/parse.ts); judging only the
 * first of them would pass `kind: List, items: [good, bad]` as `pass`. So an inline `resource`
 * read as several objects is refused (at the `resource` key, by parsePolicyDocuments, which
 * `celgate validate`, `celgate test` and the service all read tests with), and so is a fixture
 * whose first document is (by planPolicyTests, when it reads the fixture). One rule, said here.
 */
export function severalSubjectsMessage(
  where: { resource: true } | { fixture: string },
  kind: unknown,
  count: number,
): string {
  const what = typeof kind === "string" && kind !== "" ? ` (kind ${kind})` : "";
  const read = `is read as ${count} objects, as kubectl reads an object with a list of \`items\`, and a case judges one object`;
  return "resource" in where
    ? `a case's \`resource\`${what} ${read}: write one object, or name a fixture with \`file:\` whose first document is the object judged (its other documents are the case's bundle)`
    : `fixture ${where.fixture}: its first document${what} ${read}: write the object judged alone as the fixture's first document (its other documents are the case's bundle)`;
}

/**
 * The objects of a fixture's first document that holds one (its subject), when there are
 * several of them: a list read as its items. `resources` as parseManifests gives them.
 */
export function firstDocumentObjects(resources: readonly Resource[]): Resource[] {
  const first = resources[0]?.ref.source?.document;
  if (first === undefined) return resources.slice(0, 1);
  return resources.filter((r) => r.ref.source?.document === first);
}

/**
 * One error per case of a (schema-valid) PolicyTest document whose inline `resource` is read
 * as several objects (severalSubjectsMessage), at the `resource` key. Never throws.
 */
export function severalSubjectDiagnostics(
  doc: PolicyTestDocument,
  source: SourceDocument,
  file: string | undefined,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  doc.spec.cases.forEach((testCase, index) => {
    if (testCase.resource === undefined) return;
    // read as planPolicyTests reads it
    const { resources } = resourcesFromObjects([testCase.resource], file ?? "<test>");
    if (resources.length <= 1) return;
    const path = ["spec", "cases", index, "resource"];
    const at = source.position(path, "key");
    out.push({
      code: "schema",
      message: severalSubjectsMessage({ resource: true }, testCase.resource.kind, resources.length),
      path: formatPath(path),
      ...(file === undefined ? {} : { file }),
      ...(at ? { line: at.line, column: at.column, sourceLine: at.sourceLine } : {}),
    });
  });
  return out;
}
