import { createRequire } from "node:module";

/** The version of this package, read from its package.json (the same path from src/ and dist/). */
export function cliVersion(): string {
  const pkg = createRequire(import.meta.url)("../package.json") as { version: string };
  return pkg.version;
}

/** What `celgate --version` prints: the CLI's version and the engine it runs. */
export function versionLine(): string {
  const engine = createRequire(import.meta.url)("@celgate/core/package.json") as { version: string };
  return `celgate ${cliVersion()} (engine @celgate/core ${engine.version})`;
}
