// Writes installable tarballs of the published packages to dist-packages/:
// @celgate/core, @celgate/contracts, @celgate/sdk and the CLI (package `celgate`).
// Run through `pnpm pack:all`, which builds first. pnpm pack replaces `workspace:` and
// `catalog:` versions with real ones, so the tarballs install from any npm registry mirror.
// The CLI ships the built-in policy library and every package the licence; both are copied
// in for the packing only and removed afterwards.
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist-packages");
const PACKAGES = ["core", "contracts", "sdk", "cli"];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const staged = [];
try {
  for (const name of PACKAGES) {
    const dir = join(root, "packages", name);
    if (!existsSync(join(dir, "dist"))) throw new Error(`packages/${name}/dist is missing: build first`);
    const license = join(dir, "LICENSE");
    copyFileSync(join(root, "LICENSE"), license);
    staged.push(license);
  }
  // The built-in library, without the repository's own test code (*.ts).
  const library = join(root, "packages", "cli", "policies");
  rmSync(library, { recursive: true, force: true });
  cpSync(join(root, "policies"), library, {
    recursive: true,
    filter: (source) => !source.endsWith(".ts"),
  });
  staged.push(library);

  for (const name of PACKAGES) {
    const dir = join(root, "packages", name);
    execFileSync("pnpm", ["pack", "--pack-destination", out], {
      cwd: dir,
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
} finally {
  for (const path of staged) rmSync(path, { recursive: true, force: true });
}
for (const file of readdirSync(out).sort()) process.stdout.write(`${relative(root, join(out, file))}\n`);
