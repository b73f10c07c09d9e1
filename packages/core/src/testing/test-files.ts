import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { classifyPolicyPath } from "../policy/files.js";
import type { ParsedDocuments } from "../policy/parse.js";

/**
 * The problems of a file that only a test file has, found after parsing it: a test file
 * (`*.test.yaml`, `*_test.yaml`, see classifyPolicyPath) that holds no PolicyTest document (empty,
 * comments only, `---` only) tests nothing and would pass unseen, and a Policy or PolicyException
 * in it is never read by evaluating. Both are errors at the file (and the document's line). A file
 * that is not a test file gets none: its emptiness is the loader's warning. `celgate validate`,
 * `celgate test` and the service's policy tests all ask this. Never throws.
 */
export function testFileDiagnostics(file: string, parsed: ParsedDocuments): Diagnostic[] {
  const name = file.split(/[/\\]/).pop() ?? file;
  if (classifyPolicyPath(name) !== "tests") return [];
  const out: Diagnostic[] = [];
  const misplaced = [...parsed.located.policies, ...parsed.located.exceptions][0];
  if (misplaced) {
    const line = misplaced.origin.position?.([])?.line;
    out.push({
      code: "document-in-test-file",
      message: `${misplaced.doc.kind} ${misplaced.doc.metadata.name} is in a test file, which check and the service do not read; move it to a file not named *.test.* or *_test.*`,
      file,
      ...(line === undefined ? {} : { line }),
    });
  }
  // a document that did not parse is reported by its own diagnostic
  if (parsed.diagnostics.length === 0 && parsed.located.tests.length === 0 && !misplaced)
    out.push({
      code: "empty",
      message:
        "test file holds no PolicyTest document, so it tests nothing; add one (kind: PolicyTest) or delete the file",
      file,
      line: 1,
    });
  return out;
}
