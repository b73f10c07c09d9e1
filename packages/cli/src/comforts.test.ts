// The CLI's comforts: listing and showing policies, evaluating one expression, shell
// completion, and the compact and quiet text reports. Each runs the CLI as a user would.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const fixtures = fileURLToPath(new URL("../test/fixtures", import.meta.url));
const main = fileURLToPath(new URL("./main.ts", import.meta.url));

function celgate(args: string[]) {
  const r = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", main, ...args], {
    cwd: fixtures,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", CELGATE_SERVER: "", CELGATE_TOKEN: "" },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("celgate policies", () => {
  it("lists the built-in library with severity, action, labels and title", () => {
    const r = celgate(["policies"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+SEVERITY\s+ACTION\s+LABELS\s+TITLE$/);
    expect(lines.find((l) => l.startsWith("no-privileged "))).toMatch(
      /critical\s+deny\s+practice=node-access,pss=baseline/,
    );
    expect(lines.at(-1)).toMatch(/^\d+ policies$/);
  });

  it("filters by label and writes JSON with params and source files", () => {
    const r = celgate(["policies", "list", "-s", "pss=restricted", "-o", "json"]);
    expect(r.code).toBe(0);
    const entries = JSON.parse(r.stdout) as {
      labels: Record<string, string>;
      source: string;
      params: object;
    }[];
    expect(entries.length).toBeGreaterThan(3);
    for (const e of entries) {
      expect(e.labels.pss).toBe("restricted");
      expect(e.source).toMatch(/\.yaml:\d+$/);
      expect(e.params).toBeTypeOf("object");
    }
  });

  it("shows one policy whole, and its document as YAML", () => {
    const r = celgate(["policies", "show", "image-allowed-registries"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^image-allowed-registries: /);
    expect(r.stdout).toContain("params:");
    expect(r.stdout).toContain("validations:");
    expect(r.stdout).toContain("remediation:");
    const doc = celgate(["policies", "show", "image-allowed-registries", "-o", "yaml"]);
    expect(doc.stdout).toMatch(/^apiVersion: celgate\.dev\/v1\nkind: Policy\n/);
  });

  it("refuses unknown names, subcommands, selectors that match nothing and bad flags (exit 2)", () => {
    const unknown = celgate(["policies", "show", "privileged"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no policy named "privileged" (did you mean');
    expect(celgate(["policies", "show"]).code).toBe(2);
    expect(celgate(["policies", "frobnicate"]).stderr).toContain("unknown subcommand");
    const none = celgate(["policies", "-s", "practice=nothing-like-this"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no policy's labels match");
    expect(celgate(["policies", "-o", "xml"]).code).toBe(2);
    expect(celgate(["policies", "--help"]).stdout).toContain("Usage: celgate policies");
  });
});

describe("celgate eval", () => {
  it("prints a value and its type, with the manifest, params and context in scope", () => {
    const r = celgate(["eval", "-f", "manifests/privileged.yaml", "containers.map(c, c.name)"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('["main", "side"]\n(list)\n');
    const p = celgate(["eval", "--param", "min=2", "--context", "environment=prod", "params.min + 1"]);
    expect(p.stdout).toBe("3\n(int)\n");
    const c = celgate([
      "eval",
      "--context",
      "environment=prod",
      "context.environment == 'prod'",
      "-o",
      "json",
    ]);
    expect(JSON.parse(c.stdout)).toEqual({ value: true, type: "bool" });
  });

  it("chooses the resource with --resource and sees the whole file as bundle", () => {
    const r = celgate([
      "eval",
      "-f",
      "manifests",
      "-r",
      "Pod/debug",
      "size(bundle) > 1 && object.metadata.name == 'debug'",
    ]);
    expect(r.stdout).toBe("true\n(bool)\n");
    const missing = celgate(["eval", "-f", "manifests", "-r", "Pod/nope", "true"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--resource Pod/nope: not in the manifests");
  });

  it("shows a compile error with a caret (exit 2) and a runtime error (exit 1)", () => {
    const syntax = celgate(["eval", "object.spec.replicas >"]);
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toContain("<expression>:1:");
    expect(syntax.stderr).toMatch(/\| object\.spec\.replicas >\n \| +\^/);
    const runtime = celgate(["eval", "-f", "manifests/privileged.yaml", "object.spec.nothing"]);
    expect(runtime.code).toBe(1);
    expect(runtime.stderr).toMatch(/^error: .*nothing/);
    expect(celgate(["eval"]).code).toBe(2);
    expect(celgate(["eval", "true", "false"]).code).toBe(2);
  });
});

describe("celgate completion", () => {
  it("prints a bash script that bash accepts and that completes commands and options", () => {
    const r = celgate(["completion", "bash"]);
    expect(r.code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), "celgate-completion-"));
    writeFileSync(join(dir, "c.bash"), r.stdout);
    const run = (words: string[], cword: number) =>
      spawnSync(
        "bash",
        [
          "-c",
          `source c.bash; COMP_WORDS=(${words.join(" ")}); COMP_CWORD=${cword}; _celgate; echo "\${COMPREPLY[@]}"`,
        ],
        { cwd: dir, encoding: "utf8" },
      ).stdout.trim();
    expect(run(["celgate", "po"], 1)).toBe("policies");
    expect(run(["celgate", "check", "--fail"], 2)).toBe("--fail-on");
    expect(run(["celgate", "policies", "sh"], 2)).toBe("show");
  });

  it("prints zsh and fish scripts, and refuses another shell", () => {
    expect(celgate(["completion", "zsh"]).stdout).toMatch(/^#compdef celgate\n/);
    expect(celgate(["completion", "fish"]).stdout).toContain(
      "complete -c celgate -n __fish_use_subcommand -a eval",
    );
    const other = celgate(["completion", "tcsh"]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("expected one of bash, zsh, fish");
  });
});

describe("celgate check, text report", () => {
  it("gives each failing policy's hint once, with the resources under it", () => {
    const dir = mkdtempSync(join(tmpdir(), "celgate-hints-"));
    const pod = (name: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: shop}\nspec:\n  containers:\n    - {name: c, image: r.example/a:1, securityContext: {privileged: true}}\n`;
    writeFileSync(join(dir, "pods.yaml"), [pod("a"), pod("b"), pod("c")].join("---\n"));
    const r = celgate(["check", "-p", "policies", join(dir, "pods.yaml")]);
    expect(r.code).toBe(1);
    expect(r.stdout.match(/Remove securityContext\.privileged\./g)).toHaveLength(1);
    expect(r.stdout).toContain("How to fix:");
    expect(r.stdout).toContain("Pod shop/a, Pod shop/b, Pod shop/c");
  });

  it("--quiet prints only the decision and the counts", () => {
    const r = celgate(["check", "-p", "policies", "-q", "manifests"]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toMatch(
      /^deny: 3 resources, \d+ passed, \d+ failed, \d+ errors?, \d+ waived, \d+ skipped$/,
    );
  });
});

describe("celgate explain", () => {
  it("shows the outcome with each match criterion, variable and validation value", () => {
    const r = celgate(["explain", "manifests/privileged.yaml", "--policy", "no-privileged"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^no-privileged on Pod shop\/debug \(manifests\/privileged\.yaml:1\): fail$/m);
    expect(r.stdout).toContain('holds  kinds ["Workload"]');
    expect(r.stdout).toMatch(/privileged = containers\.filter\(.*\) {2}=> {2}\[\{"name":"side"/);
    expect(r.stdout).toContain("size(variables.privileged) == 0  =>  false");
  });

  it("says which criterion skips a resource, and which exception waives one", () => {
    const dir = mkdtempSync(join(tmpdir(), "celgate-explain-"));
    writeFileSync(
      join(dir, "objects.yaml"),
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\ndata: {a: b}\n",
    );
    const skip = celgate(["explain", join(dir, "objects.yaml"), "--policy", "no-privileged", "-o", "json"]);
    const [skipped] = JSON.parse(skip.stdout);
    expect(skipped.result.outcome).toBe("skip");
    expect(skipped.match).toEqual([{ name: "kinds", detail: '["Workload"]', value: "false" }]);
    writeFileSync(
      join(dir, "waiver.yaml"),
      "apiVersion: celgate.dev/v1\nkind: PolicyException\nmetadata: {name: debug-pod}\nspec:\n  policies: [no-privileged]\n  match: {names: [debug]}\n  reason: a debugging pod\n  owner: sre@example.com\n  expires: 2099-01-01T00:00:00Z\n",
    );
    const waived = celgate([
      "explain",
      "manifests/privileged.yaml",
      "--policy",
      "no-privileged",
      "-e",
      join(dir, "waiver.yaml"),
    ]);
    expect(waived.stdout).toMatch(/: waived\n {2}waived by exception debug-pod\n/);
  });

  it("refuses a missing or unknown policy, a missing resource and no manifests (exit 2)", () => {
    expect(celgate(["explain", "manifests/privileged.yaml"]).stderr).toContain("--policy NAME is required");
    const unknown = celgate(["explain", "manifests/privileged.yaml", "--policy", "privileged"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no such policy (did you mean");
    const missing = celgate(["explain", "manifests", "--policy", "no-privileged", "-r", "Pod/none"]);
    expect(missing.code).toBe(2);
    expect(celgate(["explain", "--policy", "no-privileged"]).code).toBe(2);
  });
});
