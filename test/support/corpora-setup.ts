/**
 * Vitest global setup: collects the suites skipped for want of the corpora (each test worker
 * appends to one file, see `needsCorpora`) and prints them in one line when the run ends.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SKIPPED_LOG_VARIABLE, skippedLine } from "./corpora.js";

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "celgate-corpora-"));
  const log = join(dir, "skipped");
  // Workers are started after the global setup and inherit this process's environment.
  process.env[SKIPPED_LOG_VARIABLE] = log;
  return () => {
    let names: string[] = [];
    try {
      names = readFileSync(log, "utf8").split("\n").filter(Boolean);
    } catch {
      // no suite was skipped
    }
    rmSync(dir, { recursive: true, force: true });
    const unique = [...new Set(names)].sort();
    if (unique.length > 0) console.log(`\n${skippedLine(unique)}\n`);
  };
}
