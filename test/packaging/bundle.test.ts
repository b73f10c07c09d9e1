// The `celgate` binary is one bundled file (packages/cli/scripts/bundle.mjs), made from the
// built modules that the CLI's tests run through. The bundle must behave as those modules do:
// the same output, exit code and errors for the commands a user runs, the cache included.
import { spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { builtCliBinary } from "../support/cli-binary.js";
import { repositoryRoot } from "../support/corpora.js";

const bundle = builtCliBinary();
const modules = join(repositoryRoot, "packages/cli/dist/main.js");
const fixtures = join(repositoryRoot, "packages/cli/test/fixtures");
const scratch = mkdtempSync(join(tmpdir(), "celgate-bundle-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(main: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [main, ...args], {
    cwd: repositoryRoot,
    encoding: "utf8",
    env: { PATH: process.env.PATH, NO_COLOR: "1", CELGATE_CACHE: "off", ...env },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the bundled celgate binary", () => {
  it("is the file package.json names, executable, with a node shebang", () => {
    expect(bundle).toMatch(/dist[/\\]celgate\.mjs$/);
    accessSync(bundle, constants.X_OK);
    expect(readFileSync(bundle, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
  });

  it.each([
    ["check, json", ["check", "-o", "json", "--now", "2026-01-01T00:00:00Z", join(fixtures, "manifests")]],
    [
      "check, text",
      ["check", "--now", "2026-01-01T00:00:00Z", join(fixtures, "manifests", "privileged.yaml")],
    ],
    ["check, sarif", ["check", "-o", "sarif", "--now", "2026-01-01T00:00:00Z", join(fixtures, "manifests")]],
    ["a bad input", ["check", join(fixtures, "bad")]],
    ["validate", ["validate", "-v"]],
    ["test", ["test", join(fixtures, "policies")]],
    ["export vap", ["export", "vap", "-s", "pss=baseline"]],
    ["an unknown flag", ["check", "--no-such-flag"]],
    ["--version", ["--version"]],
    ["--help", ["--help"]],
  ])("answers %s as the unbundled modules do", (_name, args) => {
    const fromBundle = run(bundle, args);
    const fromModules = run(modules, args);
    expect(fromBundle.stdout).toBe(fromModules.stdout);
    expect(fromBundle.stderr).toBe(fromModules.stderr);
    expect(fromBundle.status).toBe(fromModules.status);
    // something was said: a command that printed nothing in both would compare equal
    expect(fromBundle.stdout.length + fromBundle.stderr.length).toBeGreaterThan(0);
  });

  it("stores and reuses the policy cache, with the same report cold and warm", () => {
    const env = { CELGATE_CACHE: "on", CELGATE_CACHE_DIR: join(scratch, "cache") };
    const args = ["check", "-o", "json", "--now", "2026-01-01T00:00:00Z", join(fixtures, "manifests")];
    const cold = run(bundle, args, env);
    expect(readdirSync(join(scratch, "cache")).filter((f) => f.endsWith(".bin"))).toHaveLength(1);
    const warm = run(bundle, args, env);
    expect(warm).toEqual(cold);
    // the unbundled modules are another build: their own entry, the same report
    const other = run(modules, args, env);
    expect(other.stdout).toBe(cold.stdout);
    expect(readdirSync(join(scratch, "cache")).filter((f) => f.endsWith(".bin"))).toHaveLength(2);
  });
});
