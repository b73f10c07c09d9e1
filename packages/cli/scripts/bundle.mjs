// Bundles the built CLI (dist/main.js and everything it imports: the engine, the SDK, their
// dependencies) into one file, dist/celgate.mjs, the `celgate` binary. A check is a short
// process: resolving, reading and linking some 300 ES modules one by one cost about a quarter
// of a one-Pod check (bench/README.md, section 7); one file is read and compiled at once.
// The unbundled dist/main.js stays, for the tests and for debugging.
import { chmodSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(root, "dist/celgate.mjs");

await build({
  entryPoints: [join(root, "dist/main.js")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // the CommonJS dependencies (yaml, picocolors) call `require`, which an ES module lacks
  banner: {
    js: 'import { createRequire as celgateRequire } from "node:module";\nconst require = celgateRequire(import.meta.url);',
  },
  // dependencies' license comments are kept, at the end of the file
  legalComments: "eof",
  logLevel: "warning",
});
chmodSync(outfile, 0o755);
