// The published packages install and work outside the workspace: `pnpm pack:all` writes the
// tarballs, npm installs them into an empty folder elsewhere (third-party dependencies come
// from the registry, the celgate ones only from the tarballs), and a user runs the CLI, imports
// the SDK and the engine from a fresh ESM project, and type-checks against their declarations.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");

describe("the packed packages, installed with npm outside the workspace", () => {
  let project: string;
  const run = (command: string, args: string[]) =>
    spawnSync(command, args, { cwd: project, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });

  beforeAll(() => {
    execFileSync("node", [join(root, "scripts", "pack-all.mjs")], { cwd: root, stdio: "pipe" });
    const tarballs = readdirSync(join(root, "dist-packages"))
      .filter((f) => f.endsWith(".tgz"))
      .map((f) => join(root, "dist-packages", f));
    expect(tarballs).toHaveLength(4);
    project = mkdtempSync(join(tmpdir(), "celgate-install-"));
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "user", private: true, type: "module" }),
    );
    const installed = spawnSync(
      "npm",
      ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs],
      {
        cwd: project,
        encoding: "utf8",
      },
    );
    expect(installed.status, installed.stderr).toBe(0);
  }, 240_000);
  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it("runs `npx celgate check` with the built-in library it ships", () => {
    copyFileSync(
      join(root, "packages/cli/test/fixtures/manifests/privileged.yaml"),
      join(project, "pod.yaml"),
    );
    const version = run("npx", ["--no-install", "celgate", "--version"]);
    expect(version.status).toBe(0);
    expect(version.stdout).toMatch(/^celgate \d+\.\d+\.\d+/);
    const check = run("npx", ["--no-install", "celgate", "check", "pod.yaml", "-o", "json"]);
    expect(check.status, check.stderr).toBe(1);
    const report = JSON.parse(check.stdout);
    expect(report).toMatchObject({ kind: "EvaluationReport", decision: "deny" });
    expect(report.policySet.policies).toBeGreaterThan(30);
    expect(report.results.map((r: { policy: string }) => r.policy)).toContain("no-privileged");
  });

  it("imports the SDK and the engine from a fresh ESM project", () => {
    writeFileSync(
      join(project, "use.mjs"),
      `import { createClient, DeployBlockedError } from "@celgate/sdk";
import { compilePolicySet, evaluate, parseManifests, parsePolicyDocuments } from "@celgate/core";
const client = createClient({ baseUrl: "http://127.0.0.1:1", token: "t" });
const docs = parsePolicyDocuments("apiVersion: celgate.dev/v1\\nkind: Policy\\nmetadata: {name: r}\\nspec:\\n  validations: [{expression: 'object.spec.replicas >= 2'}]\\n", "p.yaml");
const { set } = compilePolicySet(docs.located.policies);
const { resources } = parseManifests("apiVersion: apps/v1\\nkind: Deployment\\nmetadata: {name: w}\\nspec: {replicas: 1}\\n", "d.yaml");
console.log(typeof client.preflight, typeof DeployBlockedError, evaluate(set, { resources }).decision);
`,
    );
    const used = run("node", ["use.mjs"]);
    expect(used.stderr).toBe("");
    expect(used.stdout.trim()).toBe("function function deny");
  });

  it("type-checks a TypeScript consumer against the shipped declarations", () => {
    writeFileSync(
      join(project, "use.ts"),
      `import { createClient, type EvaluationReport } from "@celgate/sdk";
const client = createClient({ baseUrl: "https://celgate.example", token: "t" });
export async function gate(manifests: string): Promise<EvaluationReport["decision"]> {
  return (await client.evaluate({ manifests })).decision;
}
`,
    );
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "nodenext",
          moduleResolution: "nodenext",
          noEmit: true,
          target: "es2022",
          lib: ["es2023", "dom"],
          types: [],
        },
        files: ["use.ts"],
      }),
    );
    const checked = run("node", [tsc, "-p", "."]);
    expect(checked.stdout + checked.stderr).toBe("");
    expect(checked.status).toBe(0);
  });

  it("installs the SDK without the engine", () => {
    const list = run("npm", ["ls", "--all", "--parseable", "@celgate/sdk"]);
    expect(list.status).toBe(0);
    const tree = run("npm", ["explain", "@celgate/core", "--json"]);
    const reasons = JSON.parse(tree.stdout) as { dependents: { from: { name?: string } }[] }[];
    const dependents = reasons.flatMap((r) => r.dependents.map((d) => d.from.name ?? "(root)"));
    expect(dependents).not.toContain("@celgate/sdk");
    expect(dependents).not.toContain("@celgate/contracts");
  });
});
