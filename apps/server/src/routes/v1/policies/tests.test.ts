import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MAX_MANIFEST_BYTES } from "@celgate/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_FILE_BYTES } from "../../../../../../packages/cli/src/inputs/files.js";
import { finishReport } from "../../../evaluator/finish.js";
import type { Evaluator } from "../../../evaluator/index.js";
import { MAX_TEST_FILE_BYTES } from "../../../services/policy-tests.js";
import { BACKENDS, setupApp, type TestApp } from "../../../test/harness.js";

/** A repository with tests (test/fixtures/policy-tests): replica-limit has six cases, untested none. */
const DIR = fileURLToPath(new URL("../../../test/fixtures/policy-tests", import.meta.url));

/**
 * A policy repository in a fresh temporary folder (`dir`, inside `base`): the files `copied` from
 * DIR, then `files` (a path relative to it -> its text). `remove` deletes it all.
 */
function repository(copied: readonly string[], files: Record<string, string> = {}) {
  const base = mkdtempSync(join(tmpdir(), "celgate-policy-tests-"));
  const dir = join(base, "policies");
  mkdirSync(dir, { recursive: true });
  for (const name of copied) cpSync(join(DIR, name), join(dir, name));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return { base, dir, remove: () => rmSync(base, { recursive: true, force: true }) };
}

const apiPolicy = `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: made-by-api}
spec:
  severity: low
  action: warn
  validations:
    - expression: "true"
`;

describe.each(BACKENDS)("policy tests on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend, { policyDir: DIR });
  });
  afterAll(() => t.close());

  it("lists a repository policy's cases with their expectations, inline resources and fixture text", async () => {
    const { status, body } = await t.call("GET", "/v1/policies/replica-limit/tests", {
      token: t.tokens.viewer,
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ policy: "replica-limit", source: "repository", version: 1, empty: null });
    expect(body.cases.map((c: { name: string; expect: string }) => [c.name, c.expect])).toEqual([
      ["three replicas pass", "pass"],
      ["eight replicas fail", "fail"],
      ["eight replicas pass with a higher maximum", "pass"],
      ["a ConfigMap is not matched", "skip"],
      ["nine replicas expected to pass (wrong on purpose)", "pass"],
      ["a fixture outside the repository is not read", "pass"],
    ]);
    const [inline, fixture, withParams, , , outside] = body.cases;
    expect(inline).toMatchObject({ test: "replica-limit", file: "replica-limit.test.yaml" });
    expect(inline.resource.spec).toEqual({ replicas: 3 });
    expect(inline.fixture).toBeUndefined();
    expect(fixture.resource).toBeUndefined();
    expect(fixture.fixture.path).toBe("fixtures/eight-replicas.yaml");
    expect(fixture.fixture.content).toContain("replicas: 8");
    expect(fixture.messageContains).toBe("more than 5");
    expect(withParams.params).toEqual({ max: 10 });
    // the file exists, beside the repository: the service does not read it
    expect(outside.fixture).toEqual({ path: "../outside.yaml", error: "outside the policy repository" });
    // each case at its entry, the same line and column the run gives
    expect(body.cases.map((c: { line?: number; column?: number }) => [c.line, c.column])).toEqual([
      [10, 7],
      [17, 7],
      [21, 7],
      [25, 7],
      [40, 7],
      [47, 7],
    ]);
    // the broken test file of the same policy is reported, at its line
    expect(body.diagnostics).toEqual([
      expect.objectContaining({ file: "replica-limit_test.yaml", line: 10, code: "schema" }),
    ]);
  });

  it("runs the cases against the stored version: expected and actual outcome, reasons and messages", async () => {
    const { status, body } = await t.call("POST", "/v1/policies/replica-limit/tests:run", {
      token: t.tokens.viewer,
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      policy: "replica-limit",
      version: 1,
      ok: false,
      passed: 4,
      failed: 2,
      empty: null,
    });
    // the broken test file of the same policy is reported as the listing reports it
    expect(body.diagnostics).toEqual([
      expect.objectContaining({ file: "replica-limit_test.yaml", line: 10, code: "schema" }),
    ]);
    const byName = Object.fromEntries(body.cases.map((c: { name: string }) => [c.name, c]));
    expect(byName["three replicas pass"]).toMatchObject({ passed: true, expected: "pass", actual: "pass" });
    expect(byName["eight replicas fail"]).toMatchObject({
      passed: true,
      expected: "fail",
      actual: "fail",
      messages: ["more than 5 replicas"],
    });
    expect(byName["eight replicas pass with a higher maximum"]).toMatchObject({
      passed: true,
      actual: "pass",
    });
    expect(byName["a ConfigMap is not matched"]).toMatchObject({ passed: true, actual: "skip" });
    // each case says where its entry is, as `celgate test` prints it (file:line:col)
    expect(byName["three replicas pass"]).toMatchObject({
      file: "replica-limit.test.yaml",
      line: 10,
      column: 7,
    });
    expect(byName["nine replicas expected to pass (wrong on purpose)"]).toMatchObject({
      file: "replica-limit.test.yaml",
      line: 40,
      column: 7,
      passed: false,
      expected: "pass",
      actual: "fail",
      reason: "expected pass, got fail: more than 5 replicas",
      messages: ["more than 5 replicas"],
    });
    const outside = byName["a fixture outside the repository is not read"];
    expect(outside).toMatchObject({
      line: 47,
      column: 7,
      passed: false,
      reason: "cannot read fixture ../outside.yaml: outside the policy repository",
    });
    expect(outside.actual).toBeUndefined();
    // nothing recorded
    expect((await t.call("GET", "/v1/evaluations")).body.items).toEqual([]);
  });

  it("says why a policy has no cases, with 200 and an empty list", async () => {
    const untested = await t.call("GET", "/v1/policies/untested/tests");
    expect(untested.status).toBe(200);
    expect(untested.body).toMatchObject({ cases: [], diagnostics: [], empty: { reason: "no-tests" } });
    expect((await t.call("POST", "/v1/policies", { yaml: apiPolicy })).status).toBe(201);
    const api = await t.call("GET", "/v1/policies/made-by-api/tests", { token: t.tokens.evaluator });
    expect(api.status).toBe(200);
    expect(api.body).toMatchObject({ source: "api", cases: [], empty: { reason: "api-policy" } });
    expect(api.body.empty.message).toContain("CELGATE_POLICY_DIR");
    const run = await t.call("POST", "/v1/policies/made-by-api/tests:run", { token: t.tokens.author });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ passed: 0, failed: 0, cases: [], empty: { reason: "api-policy" } });
  });

  it("answers 404 as problem details for a policy that does not exist", async () => {
    for (const [method, path] of [
      ["GET", "/v1/policies/nope/tests"],
      ["POST", "/v1/policies/nope/tests:run"],
    ] as const) {
      const res = await t.call(method, path);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(res.body.detail).toContain("nope");
    }
  });
});

describe("policy tests on worker threads", () => {
  it("evaluates the cases on the evaluator's workers and gets the same results", async () => {
    const { createEvaluator } = await import("../../../evaluator/index.js");
    const evaluator = createEvaluator({ threads: 1, timeoutMs: 10_000 });
    const t = await setupApp("pglite", { policyDir: DIR, evaluator });
    try {
      const { status, body } = await t.call("POST", "/v1/policies/replica-limit/tests:run");
      expect(status).toBe(200);
      expect(body.cases.map((c: { passed: boolean }) => c.passed)).toEqual([
        true,
        true,
        true,
        true,
        false,
        false,
      ]);
      expect(body.cases[1].messages).toEqual(["more than 5 replicas"]);
    } finally {
      await t.close();
      await evaluator.close();
    }
  });
});

describe("policy test runs and the evaluation queue", () => {
  it("pass through the same concurrency limit as evaluations: 503 past the queue", async () => {
    const { evaluate } = await import("@celgate/core");
    let open!: () => void;
    const hold = new Promise<void>((r) => {
      open = r;
    });
    let entered = 0;
    const held: Evaluator = {
      evaluate: async (set, input) => {
        entered++;
        await hold;
        return evaluate(set, input);
      },
      evaluateFinished: async (set, input, versionsJson) =>
        finishReport(await held.evaluate(set, input), versionsJson),
      close: async () => {},
    };
    const t = await setupApp("pglite", {
      policyDir: DIR,
      evaluator: held,
      concurrency: { active: 1, queue: 1, maxWaitMs: 20_000 },
    });
    try {
      const first = t.call("POST", "/v1/policies/replica-limit/tests:run", { token: t.tokens.viewer });
      while (entered < 1) await new Promise((r) => setTimeout(r, 10));
      const second = t.call("POST", "/v1/policies/replica-limit/tests:run");
      const third = await t.call("POST", "/v1/policies/replica-limit/tests:run");
      expect(third.status).toBe(503);
      expect(third.headers.get("retry-after")).toBe("1");
      // listing the cases evaluates nothing: not queued
      expect((await t.call("GET", "/v1/policies/replica-limit/tests")).status).toBe(200);
      open();
      expect((await first).body.passed).toBe(4);
      expect((await second).body.passed).toBe(4);
    } finally {
      await t.close();
    }
  });
});

describe("policy test fixtures behind a symbolic link or too large", () => {
  it("does not read a fixture whose link points out of the folder, nor one over the size limit", async () => {
    const repo = repository(["untested.yaml"], {
      "fixtures/inside.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
      "fixtures/huge.yaml": `# ${"x".repeat(MAX_TEST_FILE_BYTES)}\n`,
      "untested.test.yaml": [
        "apiVersion: celgate.dev/v1",
        "kind: PolicyTest",
        "metadata: {name: untested}",
        "spec:",
        "  policy: untested",
        "  cases:",
        "    - {name: through a link, expect: skip, file: fixtures/escape.yaml}",
        "    - {name: a plain file, expect: skip, file: fixtures/inside.yaml}",
        "    - {name: a fixture too large to read, expect: skip, file: fixtures/huge.yaml}",
        "",
      ].join("\n"),
    });
    writeFileSync(join(repo.base, "secret.yaml"), "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n");
    symlinkSync(join(repo.base, "secret.yaml"), join(repo.dir, "fixtures", "escape.yaml"));
    const t = await setupApp("pglite", { policyDir: repo.dir });
    try {
      const { status, body } = await t.call("GET", "/v1/policies/untested/tests", { token: t.tokens.viewer });
      expect(status).toBe(200);
      const [link, plain, huge] = body.cases;
      expect(link.fixture).toEqual({ path: "fixtures/escape.yaml", error: "outside the policy repository" });
      expect(plain.fixture.content).toContain("kind: ConfigMap");
      expect(huge.fixture).toEqual({
        path: "fixtures/huge.yaml",
        error: expect.stringContaining(
          `larger than ${MAX_TEST_FILE_BYTES} bytes (${MAX_TEST_FILE_BYTES + 3})`,
        ),
      });
      expect(huge.fixture.error).toContain("the engine's manifest limit");
    } finally {
      await t.close();
      repo.remove();
    }
  });
});

describe("a case whose subject is several objects", () => {
  it("is listed as a problem at its `resource` key and fails when run, never judged on the first item", async () => {
    const deployment = (name: string, replicas: number) =>
      `{apiVersion: apps/v1, kind: Deployment, metadata: {name: ${name}, namespace: shop}, spec: {replicas: ${replicas}}}`;
    const repo = repository(["replica-limit.yaml"], {
      "fixtures/list.yaml": `apiVersion: v1\nkind: List\nitems: [${deployment("small", 2)}, ${deployment("big", 9)}]\n`,
      "replica-limit.test.yaml": [
        "apiVersion: celgate.dev/v1",
        "kind: PolicyTest",
        "metadata: {name: lists}",
        "spec:",
        "  policy: replica-limit",
        "  cases:",
        "    - name: an inline List of a small and a big Deployment",
        "      expect: pass",
        `      resource: {apiVersion: v1, kind: List, items: [${deployment("small", 2)}, ${deployment("big", 9)}]}`,
        "    - name: a fixture whose first document is such a List",
        "      expect: pass",
        "      file: fixtures/list.yaml",
        "",
      ].join("\n"),
    });
    const t = await setupApp("pglite", { policyDir: repo.dir });
    try {
      const listed = await t.call("GET", "/v1/policies/replica-limit/tests", { token: t.tokens.viewer });
      expect(listed.status).toBe(200);
      expect(listed.body.diagnostics).toMatchObject([
        { file: "replica-limit.test.yaml", line: 9, column: 7, path: "spec.cases[0].resource" },
      ]);
      const message = listed.body.diagnostics[0].message;
      expect(message).toContain("a case's `resource` (kind List) is read as 2 objects");
      const { status, body } = await t.call("POST", "/v1/policies/replica-limit/tests:run", {
        token: t.tokens.viewer,
      });
      expect(status).toBe(200);
      expect(body).toMatchObject({ passed: 0, failed: 2 });
      expect(body.cases).toMatchObject([
        { line: 7, column: 7, passed: false, reason: message },
        {
          line: 10,
          column: 7,
          passed: false,
          reason: expect.stringContaining(
            "fixture fixtures/list.yaml: its first document is read as 2 objects",
          ),
        },
      ]);
    } finally {
      await t.close();
      repo.remove();
    }
  });
});

describe.each(BACKENDS)("a PolicyTest document with a schema error, on %s", (backend) => {
  let t: TestApp;
  let repo: ReturnType<typeof repository>;
  beforeAll(async () => {
    // its only test document, in a file whose name does not say which policy it is for; the
    // same file holds a good test of another policy, which the problem must not reach
    repo = repository(["replica-limit.yaml", "untested.yaml"], {
      "suite.test.yaml": [
        "apiVersion: celgate.dev/v1",
        "kind: PolicyTest",
        "metadata: {name: replicas}",
        "spec:",
        "  policy: replica-limit",
        "  cases:",
        "    - name: three replicas pass",
        "      expect: passes",
        "      resource: {apiVersion: apps/v1, kind: Deployment, metadata: {name: a, namespace: shop}, spec: {replicas: 3}}",
        "---",
        "apiVersion: celgate.dev/v1",
        "kind: PolicyTest",
        "metadata: {name: other}",
        "spec:",
        "  policy: untested",
        "  cases:",
        "    - {name: a ConfigMap, expect: pass, resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}}",
        "",
      ].join("\n"),
    });
    t = await setupApp(backend, { policyDir: repo.dir });
  });
  afterAll(async () => {
    await t.close();
    repo.remove();
  });

  it("fails the run, naming the document's file, line, column and message, never 'no PolicyTest'", async () => {
    const { status, body } = await t.call("POST", "/v1/policies/replica-limit/tests:run", {
      token: t.tokens.viewer,
    });
    expect(status).toBe(200);
    expect(body.empty.message).not.toContain("no PolicyTest");
    expect(body.empty.reason).toBe("invalid-tests");
    expect(body).toMatchObject({ ok: false, passed: 0, failed: 0, cases: [] });
    expect(body.diagnostics).toEqual([
      expect.objectContaining({
        file: "suite.test.yaml",
        line: 8,
        column: 15,
        code: "schema",
        path: "spec.cases[0].expect",
      }),
    ]);
    expect(body.diagnostics[0].message).toEqual(expect.any(String));
    // the listing says the same
    const listed = await t.call("GET", "/v1/policies/replica-limit/tests", { token: t.tokens.viewer });
    expect(listed.body.empty.reason).toBe("invalid-tests");
    expect(listed.body.diagnostics).toEqual(body.diagnostics);
  });

  it("does not reach the other policy tested in the same file", async () => {
    const { body } = await t.call("POST", "/v1/policies/untested/tests:run", { token: t.tokens.viewer });
    expect(body).toMatchObject({ ok: true, passed: 1, failed: 0, empty: null, diagnostics: [] });
  });
});

describe.each(BACKENDS)("a test file whose YAML cannot be parsed, on %s", (backend) => {
  let t: TestApp;
  let repo: ReturnType<typeof repository>;
  beforeAll(async () => {
    repo = repository(["replica-limit.yaml", "untested.yaml"], {
      "other.yaml": apiPolicy.replace("made-by-api", "other"),
      // replica-limit's only test, in a file not named after it, never closes its list
      "suite.test.yaml": [
        "apiVersion: celgate.dev/v1",
        "kind: PolicyTest",
        "metadata: {name: replicas}",
        "spec: {policy: replica-limit, cases: [ {name: x",
        "",
      ].join("\n"),
      // a broken file that names another policy only; one that names none
      "others.test.yaml": [
        "apiVersion: celgate.dev/v1",
        "kind: PolicyTest",
        "spec:",
        "  policy: other",
        "  cases: [",
        "",
      ].join("\n"),
      "anonymous.test.yaml": "kind: PolicyTest\nspec: {cases: [\n",
    });
    t = await setupApp(backend, { policyDir: repo.dir });
  });
  afterAll(async () => {
    await t.close();
    repo.remove();
  });
  /** The files a run's diagnostics are in, each once. */
  const filesOf = (body: { diagnostics: { file: string }[] }) =>
    [...new Set(body.diagnostics.map((d) => d.file))].sort();

  it("fails the run of the policy it names with the syntax diagnostic, never 'no PolicyTest'", async () => {
    const { status, body } = await t.call("POST", "/v1/policies/replica-limit/tests:run", {
      token: t.tokens.viewer,
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: false, passed: 0, failed: 0, cases: [] });
    expect(body.empty.reason).toBe("invalid-tests");
    expect(body.empty.message).not.toContain("no PolicyTest");
    const files = filesOf(body);
    expect(files).toContain("suite.test.yaml");
    // a file that names no policy may be this one's: it is reported too
    expect(files).toContain("anonymous.test.yaml");
    // one that names only another policy is not
    expect(files).not.toContain("others.test.yaml");
    for (const d of body.diagnostics)
      expect(d).toMatchObject({ code: "yaml-syntax", line: expect.any(Number) });
    // the listing says the same
    const listed = await t.call("GET", "/v1/policies/replica-limit/tests", { token: t.tokens.viewer });
    expect(listed.body.empty.reason).toBe("invalid-tests");
    expect(listed.body.diagnostics).toEqual(body.diagnostics);
  });

  it("fails the run of every policy a broken file may be about, and reaches no other", async () => {
    const other = await t.call("POST", "/v1/policies/other/tests:run", { token: t.tokens.viewer });
    expect(other.body.ok).toBe(false);
    expect(filesOf(other.body)).toEqual(["anonymous.test.yaml", "others.test.yaml"]);
    const untested = await t.call("POST", "/v1/policies/untested/tests:run", { token: t.tokens.viewer });
    expect(untested.body.ok).toBe(false);
    expect(filesOf(untested.body)).toEqual(["anonymous.test.yaml"]);
  });
});

describe.each(BACKENDS)("a test file that no case of any policy reads, on %s", (backend) => {
  let t: TestApp;
  let repo: ReturnType<typeof repository>;
  const test = (policy: string, ...rest: string[]) =>
    [
      "apiVersion: celgate.dev/v1",
      "kind: PolicyTest",
      "metadata: {name: t}",
      "spec:",
      `  policy: ${policy}`,
      "  cases:",
      "    - {name: a ConfigMap, expect: skip, resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}}",
      ...rest,
      "",
    ].join("\n");
  beforeAll(async () => {
    // none of these files is named after a policy that exists, but the last
    repo = repository(["replica-limit.yaml", "untested.yaml"], {
      "other.yaml": apiPolicy.replace("made-by-api", "other"),
      // YAML that does not parse, naming a policy that does not exist (a typo)
      "typo.test.yaml": `${test("replica-limt")}  oops: [\n`,
      // another kind of document, in a file that names `other`
      "kinds.test.yaml": test("other").replace("kind: PolicyTest", "kind: PolicyTst"),
      // nothing at all; only comments
      "blank.test.yaml": "",
      "comments_test.yml": "# to do\n",
      // bytes that are not UTF-8 text
      "binary.test.yaml": "",
      // a Policy where only tests are read
      "stray.test.yaml": apiPolicy.replace("made-by-api", "stray"),
      // a readable test of a policy that does not exist, beside a policy document
      "extra.yaml": `${apiPolicy.replace("made-by-api", "more")}---\n${test("no-such-policy")}`,
      // a test of a typo in a file named after the policy: the file's name says whose it is
      "untested.test.yaml": test("untestd"),
    });
    writeFileSync(
      join(repo.dir, "binary.test.yaml"),
      Buffer.from([0x6b, 0x69, 0x6e, 0x64, 0x3a, 0x20, 0xff, 0xfe, 0x0a]),
    );
    // links, followed as celgate follows them (a file anywhere, a folder inside the repository;
    // a folder outside stops the start, see policy-repository-links.test.ts), and to nothing
    writeFileSync(join(repo.base, "elsewhere.test.yaml"), test("elsewhere"));
    symlinkSync(join(repo.base, "elsewhere.test.yaml"), join(repo.dir, "out.test.yaml"));
    symlinkSync(join(repo.dir, "untested.yaml"), join(repo.dir, "in_test.yaml"));
    symlinkSync(join(repo.dir, "gone.yaml"), join(repo.dir, "gone.test.yaml"));
    t = await setupApp(backend, { policyDir: repo.dir });
  });
  afterAll(async () => {
    await t.close();
    repo.remove();
  });

  /** Each diagnostic of a run or listing as `file:line code path`, sorted. */
  const shown = (body: { diagnostics: { file: string; line?: number; code: string; path?: string }[] }) =>
    body.diagnostics.map((d) => `${d.file}:${d.line} ${d.code}${d.path ? ` ${d.path}` : ""}`).sort();
  /** Those that name no policy that exists: every policy reports them. */
  const everyPolicy = [
    "binary.test.yaml:1 binary-input",
    "blank.test.yaml:1 empty",
    "gone.test.yaml:1 input-too-large",
    "in_test.yaml:1 document-in-test-file",
    "out.test.yaml:5 unknown-policy spec.policy",
    "comments_test.yml:1 empty",
    "extra.yaml:14 unknown-policy spec.policy",
    "stray.test.yaml:1 document-in-test-file",
    "typo.test.yaml:9 yaml-syntax",
  ];

  it("reports every broken or orphaned test file, at its line, for the policies it may be about", async () => {
    for (const [policy, own] of [
      ["replica-limit", []],
      ["other", ["kinds.test.yaml:2 schema kind"]],
      ["untested", ["untested.test.yaml:5 unknown-policy spec.policy"]],
    ] as const) {
      const run = await t.call("POST", `/v1/policies/${policy}/tests:run`, { token: t.tokens.viewer });
      expect(run.status).toBe(200);
      expect(shown(run.body)).toEqual([...everyPolicy, ...own].sort());
      for (const d of run.body.diagnostics) expect(d.message).toEqual(expect.any(String));
      // none can run: the run fails, never "no tests"
      expect(run.body).toMatchObject({ ok: false, cases: [], empty: { reason: "invalid-tests" } });
      const listed = await t.call("GET", `/v1/policies/${policy}/tests`, { token: t.tokens.viewer });
      expect(listed.body.diagnostics).toEqual(run.body.diagnostics);
      expect(listed.body.empty.reason).toBe("invalid-tests");
    }
  });

  it("says what is wrong with each", async () => {
    const { body } = await t.call("GET", "/v1/policies/untested/tests", { token: t.tokens.viewer });
    const byFile = Object.fromEntries(
      body.diagnostics.map((d: { file: string; message: string }) => [d.file, d.message]),
    );
    expect(byFile["extra.yaml"]).toContain(
      "tests policy no-such-policy, which is not among the 4 policies in the policy repository",
    );
    expect(byFile["untested.test.yaml"]).toContain("tests policy untestd");
    expect(byFile["blank.test.yaml"]).toContain("holds no PolicyTest document");
    expect(byFile["binary.test.yaml"]).toContain("cannot read binary.test.yaml: not valid UTF-8 text");
    expect(byFile["stray.test.yaml"]).toContain("Policy stray is in a test file");
    // a link is read as the file it leads to, wherever that is (as celgate reads it)
    expect(byFile["out.test.yaml"]).toContain("tests policy elsewhere");
    expect(byFile["in_test.yaml"]).toContain("is in a test file");
    expect(byFile["gone.test.yaml"]).toBe(
      "cannot read gone.test.yaml: a symbolic link to nothing readable; put the file itself in the repository",
    );
  });
});

describe("the fixture size limit", () => {
  it("is the engine's manifest limit, the one `celgate test` applies by default", () => {
    expect(MAX_TEST_FILE_BYTES).toBe(MAX_MANIFEST_BYTES);
    expect(MAX_FILE_BYTES).toBe(MAX_MANIFEST_BYTES);
  });

  it("lets a 5 MiB fixture run, as `celgate test` does", async () => {
    const repo = repository(["replica-limit.yaml"], {
      "fixtures/big.yaml": `# ${"x".repeat(5 * 1024 * 1024)}\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: big, namespace: shop}\nspec: {replicas: 3}\n`,
      "replica-limit.test.yaml": [
        "apiVersion: celgate.dev/v1",
        "kind: PolicyTest",
        "metadata: {name: big}",
        "spec:",
        "  policy: replica-limit",
        "  cases:",
        "    - {name: a 5 MiB fixture, expect: pass, file: fixtures/big.yaml}",
        "",
      ].join("\n"),
    });
    const t = await setupApp("pglite", { policyDir: repo.dir });
    try {
      const { status, body } = await t.call("POST", "/v1/policies/replica-limit/tests:run", {
        token: t.tokens.viewer,
      });
      expect(status).toBe(200);
      expect(body.cases).toMatchObject([{ name: "a 5 MiB fixture", passed: true, actual: "pass" }]);
      expect(body).toMatchObject({ ok: true, passed: 1, failed: 0 });
    } finally {
      await t.close();
      repo.remove();
    }
  });
});
