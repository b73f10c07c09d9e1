// Copies the API reference's browser script (@scalar/api-reference, a build-time dependency)
// into dist/docs-assets, so the deployed service serves /docs from its own origin without
// carrying the package and its dependencies. routes/system/console.ts reads it from there.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const root = dirname(dirname(require.resolve("@scalar/api-reference")));
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const out = fileURLToPath(new URL("../dist/docs-assets/", import.meta.url));
mkdirSync(out, { recursive: true });
copyFileSync(join(root, "dist", "browser", "standalone.js"), join(out, "api-reference.js"));
writeFileSync(join(out, "VERSION"), `${version}\n`);
