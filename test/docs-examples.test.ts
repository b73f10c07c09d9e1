// Executable documentation: every shell example of README.md and docs/*.md runs as written,
// from the repository root, against one live service (embedded PGlite, evaluator worker
// threads) with the files of examples/; see test/support/doc-shell.ts for the conventions
// (`# exit: N`, `# illustrative: <why>`, console transcripts). Beyond each block's status,
// what the README says about the output of its tour is checked (README_CHECKS), and the YAML
// the pages show is the YAML of the files they run on.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repositoryRoot } from "./support/corpora.js";
import { type DocShell, shellBlocksOf, startDocShell } from "./support/doc-shell.js";
import { describeDocument, type OutputChecks } from "./support/doc-tests.js";

const documents = [
  "README.md",
  ...readdirSync(join(repositoryRoot, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`),
].filter((file) => shellBlocksOf(file).length > 0);

const readme = readFileSync(join(repositoryRoot, "README.md"), "utf8");

/** Every summary line of an output: the decision and the counts, one per report. */
const summaries = (stdout: string) =>
  stdout.split("\n").filter((l) => /^(allow|warn|deny): \d+ resource/.test(l));

/** What the README says about the output of its commands, by the block's first command. */
const README_CHECKS: OutputChecks = {
  "pnpm celgate check examples/manifests/": (r) => {
    expect(summaries(r.stdout)).toEqual([expect.stringMatching(/^deny: 7 resources, /)]);
    expect(r.stdout).toContain("Deployment default/legacy-admin (examples/manifests/legacy-admin.yaml:");
    expect(r.stdout).toMatch(/FAIL {4}no-privileged \(critical, deny\)/);
    expect(r.stdout).toContain("no-host-namespaces");
    expect(r.stdout).toContain("hostPath volumes are not allowed: host (/)");
    expect(r.stdout).toMatch(/How to fix:\n {2}\S+: /);
    expect(r.stdout).toMatch(/Deployment shop\/web[^\n]*\n {2}FAIL {4}image-scan-required/);
  },
  "pnpm celgate check examples/manifests/ --select 'pss in (baseline,restricted)'": (r) => {
    expect(summaries(r.stdout)).toEqual([expect.stringMatching(/^deny: /)]);
    const failing = r.stdout.split("\n\n").filter((block) => block.includes("FAIL"));
    expect(failing).toHaveLength(1);
    expect(failing[0]).toContain("legacy-admin");
    expect(r.stdout).not.toContain("image-scan-required");
  },
  // the Trivy report, then the native facts
  "pnpm celgate check examples/manifests/web.yaml -i examples/images/shop-web.trivy.json --now 2026-11-29T00:00:00Z":
    (r) => {
      expect(summaries(r.stdout)).toEqual([
        expect.stringMatching(/^warn: 2 resources, \d+ passed, 1 failed, 0 errors/),
        expect.stringMatching(/^allow: 2 resources, \d+ passed, 0 failed, 0 errors/),
      ]);
      expect(r.stdout).toMatch(/FAIL {4}image-signed \(high, warn\)/);
    },
  "pnpm celgate check examples/manifests/ -i examples/images/shop-web.facts.yaml --params examples/params.yaml -e examples/exceptions.yaml --now 2026-11-29T00:00:00Z":
    (r) => {
      expect(summaries(r.stdout)).toEqual([expect.stringMatching(/^deny: .* 1 waived/)]);
      expect(r.stdout).toContain("WAIVED  no-ssh-port (medium, warn) by exception legacy-admin-ssh");
      expect(r.stdout).toMatch(/legacy-admin[\s\S]*FAIL {4}image-allowed-registries/);
    },
  // validate, test, check with the example policy, and with a param
  "pnpm celgate validate examples/policies/": (r) => {
    expect(r.stdout).toContain("ok: 1 policies");
    expect(r.stdout).toMatch(/^2 passed, 0 failed$/m);
    expect(summaries(r.stdout)).toEqual([
      expect.stringMatching(/^warn: .* 1 passed, 1 failed/),
      expect.stringMatching(/^warn: .* 0 passed, 2 failed/),
    ]);
    expect(r.stdout).toMatch(
      /legacy-admin[^\n]*\n {2}FAIL {4}min-replicas[^\n]*\n {10}replicas is 1, want at least 2/,
    );
    expect(r.stdout).toContain("replicas is 3, want at least 4");
  },
  // the service: a YAML evaluation, then the pushed image facts
  'curl -s -X POST "$CELGATE_URL/v1/evaluations" -H "Authorization: Bearer $CELGATE_TOKEN" \\': (r) => {
    const [decision, ...pushed] = r.stdout.trim().split("\n");
    expect(decision).toBe('"deny"');
    expect(r.stderr).not.toMatch(/error/i);
    expect(pushed.join("\n")).toContain(
      "pushed ghcr.io/example/shop-web:1.4.2@sha256:1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a (2 vulnerabilities: 2 medium) from examples/images/shop-web.trivy.json",
    );
    expect(pushed.at(-1)).toMatch(/^1 image pushed to http:\/\/127\.0\.0\.1:\d+$/);
  },
  'pnpm celgate check --server "$CELGATE_URL" --token "$CELGATE_TOKEN" examples/manifests/': (r) => {
    expect(summaries(r.stdout)).toEqual([expect.stringMatching(/^deny: 7 resources, /)]);
    // the pushed facts are used: the web image has scan results now
    expect(r.stdout).not.toMatch(/no scan results for image\(s\): ghcr\.io\/example\/shop-web/);
  },
  'curl -s "$CELGATE_URL/v1/evaluations" -H "Authorization: Bearer $CELGATE_TOKEN" | jq \'.items[0]\'': (
    r,
  ) => {
    expect(JSON.parse(r.stdout)).toMatchObject({ source: "cli", decision: "deny" });
  },
};

/** What docs/api.md says about some answers: the status of an error, a header, a field. */
const API_CHECKS: OutputChecks = {
  "GIT_SHA=$(git rev-parse HEAD)": (r) => {
    // recorded (an id), then the dry run's decision
    expect(r.stdout).toMatch(/"id": "ev_\w+"/);
    expect(r.stdout).toMatch(/^"(allow|warn|deny)"$/m);
  },
  'curl -sS "${auth[@]}" "$CELGATE_URL/v1/policies?select=pss%20in%20(baseline,restricted)" | jq \'[.items[].name]\'':
    (r) => {
      expect(r.stdout).toContain('"valid":true');
      expect(r.stdout).toMatch(/^etag: "v1"\r?$/im);
      expect(r.stdout).toContain('"version":2');
    },
  'curl -sS "${auth[@]}" "$CELGATE_URL/v1/policies/namespace-not-default/tests" | jq -c \'[.cases[] | {name, expect}] | .[0]\'':
    (r) => {
      expect(r.stdout).toContain('{"name":"a namespace of its own","expect":"pass"}');
      expect(r.stdout).toMatch(/^\{"passed":\d+,"failed":0\}$/m);
      expect(r.stdout).toContain('"reason":"api-policy"');
    },
  "curl -sS \"${auth[@]}\" -X PUT -H 'If-Match: \"v1\"' -H 'Content-Type: application/yaml' \\": (r) => {
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 412 });
  },
  "curl -sS \"${auth[@]}\" -H 'Content-Type: application/json' -d @examples/api/admission-review.json \\": (
    r,
  ) => {
    expect(JSON.parse(r.stdout)).toMatchObject({ allowed: false, status: { code: 403 } });
  },
  "created=$(curl -sS \"${auth[@]}\" -H 'Content-Type: application/json' \\": (r) => {
    expect(r.stdout).toMatch(/^cg_\S+$/m);
  },
};

let shell: DocShell | undefined;
beforeAll(async () => {
  shell = await startDocShell();
}, 180_000);
afterAll(async () => {
  await shell?.close();
  // One line naming the blocks that were not run, so that they stay visible (and few).
  const blocks = documents.flatMap((file) => shellBlocksOf(file));
  const illustrative = blocks.filter((b) => "reason" in b.mode).map((b) => `${b.file}:${b.line}`);
  console.info(
    `docs examples: ${blocks.length - illustrative.length} blocks run, ${illustrative.length} illustrative (not run): ${illustrative.join(", ")}`,
  );
});

it("finds the shell examples", () => {
  for (const file of [
    "README.md",
    "docs/api.md",
    "docs/cli.md",
    "docs/quick-start.md",
    "docs/writing-policies.md",
  ]) {
    expect(documents).toContain(file);
    expect(shellBlocksOf(file).filter((b) => b.mode.run).length, file).toBeGreaterThan(0);
  }
});

for (const file of documents) {
  describeDocument(
    file,
    () => {
      if (!shell) throw new Error("the service did not start");
      return shell;
    },
    file === "README.md" ? README_CHECKS : file === "docs/api.md" ? API_CHECKS : {},
  );
}

describe("README: the short tour", () => {
  it("shows the example policy and its test as they are in examples/", () => {
    const shown = [...readme.matchAll(/\(`(examples\/[^`]+\.yaml)`\)[^\n]*\n\n```yaml\n([\s\S]*?)```/g)];
    expect(shown.map((m) => m[1])).toEqual([
      "examples/policies/min-replicas.yaml",
      "examples/policies/min-replicas.test.yaml",
    ]);
    for (const [, path, body] of shown) {
      expect(body, path).toBe(readFileSync(join(repositoryRoot, path!), "utf8"));
    }
  });
});
describe("docs/writing-policies.md", () => {
  it("shows the files of examples/my-policies/ as they are", () => {
    const text = readFileSync(join(repositoryRoot, "docs/writing-policies.md"), "utf8");
    const yaml = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const file = (path: string) => readFileSync(join(repositoryRoot, "examples/my-policies", path), "utf8");
    // The policy is shown in three parts (what it is, what it applies to, the check), then the
    // test, its fixture and the exception.
    expect(yaml).toHaveLength(6);
    expect(yaml.slice(0, 3).join("")).toBe(file("no-default-service-account.yaml"));
    expect(yaml[3]).toBe(file("no-default-service-account.test.yaml"));
    expect(yaml[4]).toBe(file("fixtures/cronjob-default-sa.yaml"));
    expect(yaml[5]).toBe(file("exceptions.yaml"));
  });
});
