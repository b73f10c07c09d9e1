import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repositoryRoot } from "./corpora.js";

/**
 * The built `celgate` binary: the file that packages/cli/package.json's `bin` names (the bundle
 * dist/celgate.mjs), so that tests run what users run. `pnpm build` makes it (`pnpm test` does).
 */
export function builtCliBinary(): string {
  const pkg = JSON.parse(readFileSync(join(repositoryRoot, "packages/cli/package.json"), "utf8")) as {
    bin: { celgate: string };
  };
  return join(repositoryRoot, "packages/cli", pkg.bin.celgate);
}
