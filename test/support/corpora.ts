/**
 * Where the external test corpora are (real manifests, Pod Security Admission fixtures, scanner
 * reports), and how a suite says it needs them.
 *
 * The corpora are not part of the repository. `CELGATE_CORPORA` names their folder; without it,
 * `../shared/corpora` beside the repository root is used. Suites that need them run only when the
 * folder exists; otherwise they are skipped and named in one line at the end of the run (see
 * `corpora-setup.ts`). CI (`.ci/run`) sets the variable and fails when the folder is missing.
 *
 * No vitest import here: `bench/run.ts` uses the same resolution outside the test runner.
 */
import { appendFileSync, existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is test/support/corpora.ts). */
export const repositoryRoot = fileURLToPath(new URL("../..", import.meta.url));

/** The environment variable that names the corpora folder. */
export const CORPORA_VARIABLE = "CELGATE_CORPORA";

/** The variable the global setup sets to a file where skipped suites are recorded. */
export const SKIPPED_LOG_VARIABLE = "CELGATE_CORPORA_SKIPPED_LOG";

/**
 * The corpora folder: `CELGATE_CORPORA` (relative to the repository root if not absolute), else
 * `../shared/corpora` beside the repository. Never throws; the folder may not exist.
 */
export function corporaDir(env: NodeJS.ProcessEnv = process.env): string {
  const given = env[CORPORA_VARIABLE];
  if (given) return isAbsolute(given) ? given : resolve(repositoryRoot, given);
  return resolve(repositoryRoot, "../shared/corpora");
}

/** Whether the corpora folder exists. */
export function corporaPresent(env: NodeJS.ProcessEnv = process.env): boolean {
  return existsSync(corporaDir(env));
}

/** A path inside the corpora folder, e.g. `corpus("image-scans", "trivy", "x.json")`. */
export function corpus(...segments: string[]): string {
  return join(corporaDir(), ...segments);
}

/**
 * Declares that the suite `name` needs the corpora and returns whether it may run. When the
 * corpora are absent the name is recorded for the end-of-run line, so use it as
 * `describe.skipIf(!needsCorpora("psa"))(...)`; guard any file reading at collection time with the
 * same value. Run without the global setup (a stray vitest config), it says so on stderr itself.
 */
export function needsCorpora(name: string): boolean {
  if (corporaPresent()) return true;
  const log = process.env[SKIPPED_LOG_VARIABLE];
  if (log) appendFileSync(log, `${name}\n`);
  else console.warn(skippedLine([name]));
  return false;
}

/** The one line naming the suites skipped for want of the corpora. */
export function skippedLine(names: readonly string[]): string {
  return (
    `corpora suites skipped (${CORPORA_VARIABLE}=${corporaDir()} not found): ${names.join(", ")}` +
    ` - set ${CORPORA_VARIABLE} to run them`
  );
}
