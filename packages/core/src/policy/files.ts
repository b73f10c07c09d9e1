/**
 * Which files of a policy folder hold celgate documents: the one decision the CLI, the service's
 * repository sync and the library's own tests share, so all three load the same policy set from
 * the same folder. Pure, over relative paths; the walking itself is the caller's I/O.
 */

/** File extensions of celgate documents (compared case-insensitively). */
export const POLICY_FILE_EXTENSIONS = [".yaml", ".yml", ".json"] as const;

/** Folders of test fixtures: the Kubernetes manifests that tests read, never documents. */
export const FIXTURE_FOLDERS = ["fixtures", "testdata"] as const;

/**
 * Folders never read for documents: the fixture folders and `node_modules/`. Hidden folders
 * (`.git`) are skipped too.
 */
export const SKIPPED_POLICY_FOLDERS = [...FIXTURE_FOLDERS, "node_modules"] as const;

/**
 * What a file found under a policy folder is:
 * - `documents`: Policy and PolicyException documents (PolicyTest documents may be there too);
 * - `tests`: a test file (`*.test.yaml`, `*_test.yaml`, and the same for `.yml` and `.json`):
 *   PolicyTest documents only, read by `celgate test` and `celgate validate`, never needed to
 *   evaluate (so `check` and the service do not parse them);
 * - `fixture`: a file below a `fixtures/` or `testdata/` folder: a manifest, never a document;
 * - `ignored`: not YAML or JSON, hidden, or below a hidden folder or `node_modules/`.
 */
export type PolicyPathKind = "documents" | "tests" | "fixture" | "ignored";

const TEST_FILE = /[._]test\.(ya?ml|json)$/i;

/** Whether a walk of a policy folder skips the folder of this name (its last path segment). */
export function skipsPolicyFolder(name: string): boolean {
  return name.startsWith(".") || (SKIPPED_POLICY_FOLDERS as readonly string[]).includes(name);
}

/**
 * What the file at `relPath` (relative to the folder being walked, `/` or `\` separated) is;
 * see PolicyPathKind. A file named on its own, not found by walking, is read whatever its name.
 */
export function classifyPolicyPath(relPath: string): PolicyPathKind {
  const segments = relPath.split(/[/\\]/).filter((s) => s !== "" && s !== ".");
  const name = segments.pop();
  if (name === undefined || name.startsWith(".")) return "ignored";
  for (const folder of segments) {
    if ((FIXTURE_FOLDERS as readonly string[]).includes(folder)) return "fixture";
    if (skipsPolicyFolder(folder)) return "ignored";
  }
  const lower = name.toLowerCase();
  if (!POLICY_FILE_EXTENSIONS.some((ext) => lower.endsWith(ext))) return "ignored";
  return TEST_FILE.test(name) ? "tests" : "documents";
}

/**
 * Whether a walk that wants `tests` (`celgate test`, `validate`) or not (`check`, the service)
 * reads the file at `relPath`.
 */
export function readsPolicyPath(relPath: string, options: { tests: boolean }): boolean {
  const kind = classifyPolicyPath(relPath);
  return kind === "documents" || (kind === "tests" && options.tests);
}
