import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const fixtures = fileURLToPath(new URL("../test/fixtures", import.meta.url));
const main = fileURLToPath(new URL("./main.ts", import.meta.url));

/** Runs the CLI from source, as a user would run the binary. */
function celgate(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", main, ...args], {
    cwd: fixtures,
    input: options.input,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const P = ["-p", "policies"];

describe("celgate check", () => {
  it("allows a good manifest: exit 0, text report with a summary line", () => {
    const r = celgate(["check", ...P, "manifests/good.yaml"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n").at(-1)).toMatch(/^allow: 1 resources?, 2 passed, 0 failed/);
  });

  it("denies a privileged pod: exit 1, names the container and file:line", () => {
    const r = celgate(["check", ...P, "manifests"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("container side is privileged");
    expect(r.stdout).toContain("manifests/privileged.yaml:1");
    expect(r.stdout).toContain("Remove securityContext.privileged.");
    expect(r.stdout).toMatch(/^deny: 3 resources/m);
  });

  it("merges -i files (scan, then signatures) and names facts that no resource uses on stderr", () => {
    const dir = mkdtempSync(join(tmpdir(), "celgate-images-"));
    const file = (name: string, value: unknown) => {
      writeFileSync(join(dir, name), typeof value === "string" ? value : JSON.stringify(value));
      return join(dir, name);
    };
    const policy = file(
      "signed-and-scanned.yaml",
      `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: signed-and-scanned}
spec:
  match: {kinds: [Deployment]}
  validations:
    - expression: images.all(i, i.scan != null && i.signatures.exists(s, s.verified))
      message: unscanned or unsigned
`,
    );
    const scan = file("scan.json", {
      ref: "registry.example/web:1.0",
      scan: { scanner: "trivy", scannedAt: "2026-11-01T00:00:00Z", vulnerabilities: [] },
    });
    const signed = file("sig.json", {
      ref: "registry.example/web:1.0",
      signatures: [{ verified: true, identity: "ci", issuer: "gh" }],
    });
    const unused = file("unused.json", { ref: "registry.example/wbe:1.0", user: "1000" });
    const args = ["check", "-p", policy, "-o", "json", "manifests/good.yaml"];
    const both = celgate([...args, "-i", scan, "-i", signed, "-i", unused]);
    expect(both.code).toBe(0);
    expect(JSON.parse(both.stdout).summary).toMatchObject({ pass: 1, fail: 0 });
    expect(both.stderr).toBe(
      "notice: image facts for registry.example/wbe:1.0 match no image of the evaluated resources\n",
    );
    expect(celgate([...args, "-i", signed]).code).toBe(1);
  });

  it("--fail-on warn and never change only the exit code", () => {
    expect(celgate(["check", ...P, "manifests/one-replica.yaml"]).code).toBe(0);
    expect(celgate(["check", ...P, "--fail-on", "warn", "manifests/one-replica.yaml"]).code).toBe(1);
    expect(celgate(["check", ...P, "--fail-on", "never", "manifests/privileged.yaml"]).code).toBe(0);
  });

  it("writes JSON to a file, honours --select, --param and --include-skipped", () => {
    const dir = mkdtempSync(join(tmpdir(), "celgate-cli-"));
    const out = join(dir, "report.json");
    const r = celgate([
      "check",
      ...P,
      "-o",
      "json",
      "--output",
      out,
      "--select",
      "practice=availability",
      "--param",
      "min-replicas.min=5",
      "--include-skipped",
      "manifests",
    ]);
    expect(r.code).toBe(0); // warn only
    const report = JSON.parse(readFileSync(out, "utf8"));
    expect(report).toMatchObject({
      apiVersion: "celgate.dev/v1",
      kind: "EvaluationReport",
      decision: "warn",
    });
    expect(report.policySet.policies).toBe(1);
    expect(report.results.map((x: { outcome: string }) => x.outcome).sort()).toEqual([
      "fail",
      "fail",
      "skip",
    ]);
  });

  it("reads manifests from stdin and prints SARIF, JUnit and PolicyReport", () => {
    const input = readFileSync(join(fixtures, "manifests/privileged.yaml"), "utf8");
    const sarif = JSON.parse(celgate(["check", ...P, "-o", "sarif", "-"], { input }).stdout);
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0].results[0].ruleId).toBe("no-privileged");
    expect(celgate(["check", ...P, "-o", "junit", "-"], { input }).stdout).toContain("<testsuite");
    expect(celgate(["check", ...P, "-o", "policyreport", "-"], { input }).stdout).toContain(
      "kind: PolicyReport",
    );
  });

  it("locates a resource at its document's first line, not the --- before it (text and SARIF)", () => {
    const read = (name: string) => readFileSync(join(fixtures, "manifests", name), "utf8");
    const input = `${read("good.yaml")}---\n# the privileged one\n${read("privileged.yaml")}`;
    const line = input.split("\n").indexOf("# the privileged one") + 1;
    expect(input.split("\n")[line - 2]).toBe("---");
    const sarif = JSON.parse(celgate(["check", ...P, "-o", "sarif", "-"], { input }).stdout);
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.region).toEqual({ startLine: line });
    expect(celgate(["check", ...P, "-"], { input }).stdout).toContain(`Pod shop/debug (<stdin>:${line})`);
  });

  it("writes compact JSON to a pipe, indented with --pretty; --omit-passing lists only what needs attention", () => {
    const args = [
      "check",
      ...P,
      "-o",
      "json",
      "manifests/privileged.yaml",
      "manifests/good.yaml",
      "--now",
      "2026-12-01T00:00:00Z",
    ];
    const compact = celgate(args);
    expect(compact.stdout.trimEnd().split("\n")).toHaveLength(1);
    const full = JSON.parse(compact.stdout);
    expect(full.results.some((r: { outcome: string }) => r.outcome === "pass")).toBe(true);
    const pretty = celgate([...args, "--pretty"]);
    expect(pretty.stdout).toBe(`${JSON.stringify(full, null, 2)}\n`);
    const omitted = celgate([...args, "--omit-passing"]);
    expect(omitted.code).toBe(compact.code);
    const failing = JSON.parse(omitted.stdout);
    expect(failing.results).toEqual(full.results.filter((r: { outcome: string }) => r.outcome !== "pass"));
    expect(failing.summary).toEqual(full.summary);
    expect(failing.decision).toBe(full.decision);
  });

  it("uses the built-in library without --policies", () => {
    const r = celgate(["check", "manifests/privileged.yaml", "-o", "json"]);
    expect([0, 1]).toContain(r.code);
    const report = JSON.parse(r.stdout);
    expect(report.policySet.policies).toBeGreaterThan(2);
  });
});

describe("celgate check with the built-in library", () => {
  it("evaluates maps with a `constructor` key like any other: no error outcome, the same decisions", () => {
    // cel-js reads a value's type from `constructor`: such maps were errors (25 of 40 policies)
    const dir = mkdtempSync(join(tmpdir(), "celgate-ctor-"));
    const deployment = (extra: boolean) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web${extra ? ", constructor: x" : ""}}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web${extra ? ", constructor: x" : ""}}}
    spec:
      securityContext: {runAsNonRoot: true${extra ? ", constructor: 1" : ""}}
      containers:
        - name: web
          image: registry.example/shop/web:1.4.2
          resources: {limits: {cpu: 500m, memory: 256Mi}, requests: {cpu: 100m, memory: 128Mi}}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}${extra ? ", constructor: 2" : ""}}
${extra ? "          constructor: w\n" : ""}`;
    writeFileSync(join(dir, "plain.yaml"), deployment(false));
    writeFileSync(join(dir, "ctor.yaml"), deployment(true));
    const outcomes = (file: string) => {
      const r = celgate(["check", "-o", "json", "--fail-on", "never", join(dir, file)]);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout) as {
        summary: { error: number };
        results: { policy: string; outcome: string }[];
      };
      expect(report.summary.error).toBe(0);
      return report.results.map((x) => `${x.policy} ${x.outcome}`);
    };
    expect(outcomes("ctor.yaml")).toEqual(outcomes("plain.yaml"));
  });
});

describe("bad input exits 2 with a one-line reason naming the file", () => {
  const cases: [string, string[], RegExp][] = [
    ["a missing file", ["check", ...P, "nope.yaml"], /nope\.yaml: no such file or directory/],
    ["broken YAML", ["check", ...P, "bad/broken.yaml"], /bad\/broken\.yaml:[45]:\d+: malformed YAML/],
    ["an empty file", ["check", ...P, "bad/empty.yaml"], /no Kubernetes resources found in bad\/empty\.yaml/],
    ["binary junk", ["check", ...P, "bad/junk.yaml"], /bad\/junk\.yaml:1: binary/],
    [
      "a CEL syntax error",
      ["check", "-p", "bad/cel-syntax.yaml", "manifests"],
      /bad\/cel-syntax\.yaml:6:\d+: spec\.validations\[0\]\.expression: CEL syntax error/,
    ],
    [
      "a CEL type error",
      ["check", "-p", "bad/type-error.yaml", "manifests"],
      /bad\/type-error\.yaml:6:\d+: spec\.validations\[0\]\.expression: CEL type error/,
    ],
    [
      "an unknown field",
      ["check", "-p", "bad/unknown-field.yaml", "manifests"],
      /bad\/unknown-field\.yaml:5:3: spec\.validation: unknown field validation/,
    ],
    ["a bad selector", ["check", ...P, "-s", "pss in (", "manifests"], /--select: invalid selector/],
    [
      "a selector that matches nothing",
      ["check", ...P, "-s", "pss=restrictd", "manifests"],
      /--select: no policy's labels match the selector "pss=restrictd"/,
    ],
    [
      "a bad --param",
      ["check", ...P, "--param", "nodot=1", "manifests"],
      /--param "nodot=1": expected POLICY\.NAME=JSON/,
    ],
    [
      "an unknown flag",
      ["check", "--frobnicate", "manifests"],
      /^celgate: check: unknown option --frobnicate \(see celgate check --help; a path that starts with "-" goes after "--"\)$/,
    ],
    [
      "a --param for a policy the set does not have",
      ["check", ...P, "--param", "min-replicas.min=3", "--param", "nosuch.x=1", "manifests"],
      /--param "nosuch\.x=1": no policy named "nosuch" among the 2 policies of policies$/,
    ],
    [
      "a --params file naming a policy the set does not have",
      ["check", "--params", "bad/params-unknown-policy.yaml", "manifests"],
      /--params bad\/params-unknown-policy\.yaml: no policy named "no-such-policy" among the \d+ policies of the built-in library$/,
    ],
    [
      "an unknown format",
      ["check", ...P, "-o", "xml", "manifests"],
      /--format "xml": expected one of text, json/,
    ],
    [
      "a bad --now",
      ["check", ...P, "--now", "yesterday", "manifests"],
      /--now "yesterday": expected an RFC 3339/,
    ],
    ["no manifests", ["check", ...P], /no manifests given/],
    [
      "an --output that cannot be written",
      ["check", ...P, "--output", "/nonexistent-dir/report.json", "manifests/good.yaml"],
      /--output \/nonexistent-dir\/report\.json: cannot write/,
    ],
    ["an unknown command", ["frob"], /unknown command "frob"/],
  ];
  it.each(cases)("%s", (_name, args, reason) => {
    const r = celgate(args);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines.at(-1)).toMatch(/^celgate: /);
    expect(lines.at(-1)).toMatch(reason);
    expect(r.stderr).not.toMatch(/\n\s+at /); // never a stack trace
    // quotes come in pairs
    expect(lines.at(-1)!.split('"').length % 2, lines.at(-1)).toBe(1);
  });

  it("renders every compile error with a caret", () => {
    const r = celgate(["validate", "bad/cel-syntax.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("ERROR: bad/cel-syntax.yaml:6:");
    expect(r.stderr).toContain("ERROR: bad/cel-syntax.yaml:7:");
    expect(r.stderr).toMatch(/\n \| +\^/);
  });

  it("refuses a 50 MB manifest under the default limit, naming it", () => {
    const dir = mkdtempSync(join(tmpdir(), "celgate-50mb-"));
    const file = join(dir, "huge.yaml");
    writeFileSync(
      file,
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: huge}\ndata: {a: "${"x".repeat(50 * 1024 * 1024)}"}\n`,
    );
    const r = celgate(["check", ...P, file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/file is 50\.0 MiB, over the input limit of 32\.0 MiB/);
  });

  it("refuses a file over the input limit, naming the limit", () => {
    const dir = mkdtempSync(join(tmpdir(), "celgate-big-"));
    const file = join(dir, "big.yaml");
    writeFileSync(
      file,
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {a: "${"x".repeat(4096)}"}\n`,
    );
    const r = celgate(["check", ...P, file], { env: { CELGATE_MAX_INPUT_BYTES: "1024" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/over the input limit of 1\.0 KiB \(CELGATE_MAX_INPUT_BYTES\)/);
  });
});

describe("celgate validate and test", () => {
  it("validate says ok for good policies", () => {
    const r = celgate(["validate", "policies"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ok: 2 policies, 0 exceptions, 1 tests");
  });

  it("validate fails (exit 2) on what would fail on every resource, each with a caret under the fault", () => {
    // typed/: an int param compared with a string, a misspelled param, a validation returning an
    // int, and a field typo on a Deployment (typed from the Kubernetes schema)
    const r = celgate(["validate", "typed"]);
    expect(r.code).toBe(2);
    const caret = (file: string, line: number, column: number, under: string) => {
      const at = r.stderr.indexOf(`ERROR: typed/${file}:${line}:${column}: `);
      expect(at, `${file}:${line}:${column} in\n${r.stderr}`).toBeGreaterThanOrEqual(0);
      const [, source, mark] = r.stderr.slice(at).split("\n");
      expect(mark).toBe(` | ${" ".repeat(column - 1)}^`);
      expect(source?.slice(3 + column - 1).startsWith(under)).toBe(true);
    };
    caret("param-type.yaml", 8, 68, "== 'two'");
    caret("param-name.yaml", 8, 51, "minimum");
    caret("validation-int.yaml", 6, 19, "size(");
    caret("deployment-typo.yaml", 10, 23, "replicaz");
    expect(r.stderr).toContain("unknown param minimum: spec.params declares min");
    expect(r.stderr).toContain("must evaluate to bool, but its type is int");
    expect(r.stderr).toContain("no such field replicaz in object.spec");
  });

  it("validate --cost prints each expression's estimated cost and warns about one over the limit", () => {
    const dir = mkdtempSync(join(tmpdir(), "celgate-cost-"));
    writeFileSync(
      join(dir, "p.yaml"),
      `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: unique-names}
spec:
  match: {kinds: [Pod]}
  validations:
    - expression: object.spec.containers.all(c, object.spec.containers.all(d, c.name != d.name || c == d))
      message: names are unique
    - expression: size(object.metadata.name) > 0
`,
    );
    const r = celgate(["validate", "--cost", dir]);
    expect(r.code).toBe(0); // a warning, not an error
    expect(r.stdout).toMatch(
      /^ *[\d,]+ {2}unique-names spec\.validations\[0\]\.expression {2}over the limit$/m,
    );
    // object, .metadata, .name, size(), >
    expect(r.stdout).toMatch(/^ +5 {2}unique-names spec\.validations\[1\]\.expression$/m);
    expect(r.stdout).toContain("limit: 10,000,000 per expression");
    expect(r.stderr).toMatch(
      /WARNING: .*p\.yaml:7:19: estimated cost [\d,]+ is over Kubernetes' per-expression limit/,
    );
    const plain = celgate(["validate", dir]);
    expect(plain.stderr).toContain("WARNING: 1 expression is over Kubernetes' estimated cost limit");
  });

  it("validate without a path validates the built-in library, as test does", () => {
    const r = celgate(["validate"]);
    // no errors; many built-in policies walk lists the Kubernetes schemas leave unbounded, which
    // Kubernetes' cost estimate counts at their largest (a warning, see validate --cost)
    expect(
      r.stderr.replace(/^WARNING: \d+ expressions are over Kubernetes' estimated cost limit.*\n/, ""),
    ).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: [1-9]\d* policies, 0 exceptions, [1-9]\d* tests\n$/);
  });

  it("validate -v counts compiled expressions and names each interpreted one with the reason", () => {
    const dir = mkdtempSync(join(tmpdir(), "celgate-validate-"));
    const file = join(dir, "sorted.yaml");
    writeFileSync(
      file,
      `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: sorted}
spec:
  match: {kinds: [Deployment]}
  validations:
    - expression: containers.all(c, c.name != "")
      message: named
    - expression: containers.sortBy(c, c.name).size() < 10
      message: few
`,
    );
    const r = celgate(["validate", "-v", file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `interpreted: ${file}: sorted spec.validations[1].expression: the compiler does not handle the sortBy() macro`,
    );
    expect(r.stdout).toContain("CEL expressions: 1 compiled to JavaScript, 1 interpreted");
    const forced = celgate(["validate", "-v", file], { env: { CELGATE_CEL_ENGINE: "interpret" } });
    expect(forced.stdout).toContain("sorted spec.validations[0].expression: CELGATE_CEL_ENGINE=interpret");
    expect(forced.stdout).toContain("CEL expressions: 0 compiled to JavaScript, 2 interpreted");
  });

  it("test runs cases with fixtures and ends with N passed, N failed", () => {
    const r = celgate(["test", "policies"]);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("2 passed, 0 failed");
    expect(r.code).toBe(0);
  });

  it("test fails (exit 1) and says why when a case does not hold", () => {
    const dir = mkdtempSync(join(tmpdir(), "celgate-t-"));
    const policies = readFileSync(join(fixtures, "policies/basic.yaml"), "utf8")
      .replace("expect: pass", "expect: fail")
      .replace("file: ../manifests/privileged.yaml", `file: ${join(fixtures, "manifests/privileged.yaml")}`);
    writeFileSync(join(dir, "p.yaml"), policies);
    const r = celgate(["test", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("FAIL no-privileged / plain pod passes");
    expect(r.stdout).toContain("expected fail, got pass");
    expect(r.stdout.trim().split("\n").at(-1)).toBe("1 passed, 1 failed");
  });

  it("export vap writes a policy and binding per exportable policy and says why others are not", () => {
    const dir = mkdtempSync(join(tmpdir(), "celgate-vap-"));
    writeFileSync(
      join(dir, "p.yaml"),
      `${readFileSync(join(fixtures, "policies/basic.yaml"), "utf8").split("---\nkind: PolicyTest")[0]}---
apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: scanned}
spec:
  validations: [{expression: "images.all(i, i.scan != null)"}]
`,
    );
    const r = celgate(["export", "vap", dir]);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/kind: ValidatingAdmissionPolicy$/gm)).toHaveLength(2);
    expect(r.stdout.match(/kind: ValidatingAdmissionPolicyBinding$/gm)).toHaveLength(2);
    expect(r.stdout).toContain("variables.containers.all(c,");
    expect(r.stderr).toContain("not exported: scanned: reads `images`");
    // exported with a warning: Kubernetes' estimate for unbounded lists is over its limit
    expect(r.stderr).toMatch(
      /^warning: no-privileged: over Kubernetes' estimated cost limit: spec\.validations\[0\]\.messageExpression at /m,
    );
  });

  it("every command has help", () => {
    for (const cmd of ["check", "test", "validate", "export vap"]) {
      const r = celgate([...cmd.split(" "), "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: celgate ${cmd}`);
    }
    expect(celgate(["--help"]).stdout).toContain("Commands:");
  });

  it("a missing command or subcommand is a usage error: exit 2, usage and a one-line reason on stderr", () => {
    for (const [args, reason] of [
      [[], "celgate: no command given (see celgate --help)"],
      [["images"], "celgate: images: no subcommand given (push; see celgate images --help)"],
    ] as const) {
      const r = celgate([...args]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("Usage: celgate");
      expect(r.stderr.trimEnd().split("\n").at(-1)).toBe(reason);
    }
  });
});

export { root };
