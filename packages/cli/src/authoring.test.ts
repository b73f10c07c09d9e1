// What a policy author gets wrong, and what a hostile pull request puts in a policy folder:
// `validate`, `test` and `explain` over such folders. In process (main), but for what needs
// a process of its own (a read that never ends).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runInProcess } from "./test/in-process.js";

const POLICY = `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: no-privileged}
spec:
  validations:
    - expression: "!containers.exists(c, c.?securityContext.?privileged.orValue(false))"
      messageExpression: "'privileged: ' + object.metadata.name"
`;

const POD = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web" },
  spec: { containers: [{ name: "c" }] },
};

function testDoc(policy: string, cases: string): string {
  return `apiVersion: celgate.dev/v1
kind: PolicyTest
metadata: {name: t}
spec:
  policy: ${policy}
  cases:
${cases}`;
}

const fileCase = (file: string) => `    - name: from a file
      expect: pass
      file: ${file}
`;

/** A policy folder: the policy above, and `files` (name -> text) beside it. */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "celgate-authoring-"));
  writeFileSync(join(dir, "policy.yaml"), POLICY);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe("a PolicyTest of a policy that is not there", () => {
  const dir = folder({ "policy.test.yaml": testDoc("no-privilegd", fileCase("pod.json")) });
  const where = `${join(dir, "policy.test.yaml")}:5:11`;
  const message =
    "PolicyTest t tests policy no-privilegd, which is not among the 1 policy read (a typo, or its file was not given)";

  it("validate: exit 2, naming the file, line and field (it said ok)", async () => {
    const r = await runInProcess(["validate", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`ERROR: ${where}: ${message} (spec.policy)\n |   policy: no-privilegd\n`);
  });

  it("test: exit 2 before any case runs, naming the file, line and field", async () => {
    const r = await runInProcess(["test", dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n").at(-1)).toBe(`celgate: ${where}: spec.policy: ${message}`);
  });

  it("a folder of tests without their policies is no success either", async () => {
    const tests = mkdtempSync(join(tmpdir(), "celgate-authoring-"));
    writeFileSync(join(tests, "x.test.yaml"), testDoc("no-privileged", fileCase("pod.json")));
    const r = await runInProcess(["validate", tests]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("which is not among the 0 policies read");
  });
});

describe("the fixture a case names", () => {
  it("is read inside the folders tested (the case runs)", async () => {
    const dir = folder({
      "policy.test.yaml": testDoc("no-privileged", fileCase("fixtures/pod.json")),
      "fixtures/pod.json": JSON.stringify(POD),
    });
    const r = await runInProcess(["test", dir]);
    expect(r.stdout).toBe("1 passed, 0 failed\n");
    expect(r.code).toBe(0);
  });

  it("is refused outside them (a file elsewhere on the machine, whose text a failing case prints)", async () => {
    const outside = mkdtempSync(join(tmpdir(), "celgate-authoring-"));
    writeFileSync(join(outside, "secret.json"), JSON.stringify(POD));
    const dir = folder({
      "policy.test.yaml": testDoc(
        "no-privileged",
        fileCase(join(outside, "secret.json")) + fileCase("fixtures/linked.json"),
      ),
    });
    mkdirSync(join(dir, "fixtures"));
    symlinkSync(join(outside, "secret.json"), join(dir, "fixtures", "linked.json"));
    const r = await runInProcess(["test", dir]);
    expect(r.code).toBe(1);
    const failures = r.stdout.split("\n").filter((l) => l.startsWith("FAIL"));
    expect(failures).toHaveLength(2);
    for (const line of failures)
      expect(line).toContain(": outside the working directory and the folders tested (");
  });

  it("is refused when it is not a regular file: /dev/zero or a named pipe fails the case instead of reading forever", () => {
    const dir = folder({
      "policy.test.yaml": testDoc(
        "no-privileged",
        fileCase("fixtures/zero.json") + fileCase("fixtures/pipe.json"),
      ),
    });
    mkdirSync(join(dir, "fixtures"));
    symlinkSync("/dev/zero", join(dir, "fixtures", "zero.json"));
    // a named pipe inside the folder: opened, it waits for a writer that never comes
    expect(spawnSync("mkfifo", [join(dir, "fixtures", "pipe.json")]).status).toBe(0);
    const main = fileURLToPath(new URL("./main.ts", import.meta.url));
    const r = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", main, "test", dir], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", CELGATE_CACHE: "off" },
      timeout: 30_000,
    });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /^FAIL no-privileged \/ from a file \(.*\): cannot read fixture fixtures\/zero\.json: outside /m,
    );
    expect(r.stdout).toMatch(/^FAIL .*: cannot read fixture fixtures\/pipe\.json: not a regular file$/m);
  });

  it("a case whose fixture cannot be read says why", async () => {
    const dir = folder({
      "policy.test.yaml": testDoc("no-privileged", fileCase("fixtures") + fileCase("missing.json")),
    });
    mkdirSync(join(dir, "fixtures"));
    const r = await runInProcess(["test", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("cannot read fixture fixtures: not a regular file\n");
    expect(r.stdout).toContain("cannot read fixture missing.json: no such file (ENOENT)\n");
    expect(r.stdout).toMatch(/0 passed, 2 failed\n$/);
  });
});

describe("a failing case names its own line", () => {
  it("test: each FAIL line points at file:line:col of the case's entry, not at the file alone", async () => {
    const privileged = {
      ...POD,
      spec: { containers: [{ name: "c", securityContext: { privileged: true } }] },
    };
    const dir = folder({
      "policy.test.yaml": testDoc(
        "no-privileged",
        `    - name: plain pod passes
      expect: pass
      resource: ${JSON.stringify(POD)}
    - name: privileged pod passes too
      expect: pass
      resource: ${JSON.stringify(privileged)}
    - name: missing fixture
      expect: pass
      file: missing.json
`,
      ),
    });
    const r = await runInProcess(["test", dir]);
    expect(r.code).toBe(1);
    const file = join(dir, "policy.test.yaml");
    expect(r.stdout).toBe(
      `FAIL no-privileged / privileged pod passes too (${file}:10:7): expected pass, got fail: privileged: web\n` +
        `FAIL no-privileged / missing fixture (${file}:13:7): cannot read fixture missing.json: no such file (ENOENT)\n` +
        "1 passed, 2 failed\n",
    );
  });
});

describe("a case judges one object", () => {
  const privileged = { ...POD, spec: { containers: [{ name: "c", securityContext: { privileged: true } }] } };
  const list = { apiVersion: "v1", kind: "List", items: [POD, privileged] };

  it("validate and test refuse an inline resource read as several objects, at its key", async () => {
    const dir = folder({
      "policy.test.yaml": testDoc(
        "no-privileged",
        `    - name: a List of a plain and a privileged pod
      expect: pass
      resource: ${JSON.stringify(list)}
`,
      ),
    });
    for (const command of ["validate", "test"]) {
      const r = await runInProcess([command, dir]);
      expect(r.code, command).toBe(2);
      expect(r.stderr.trim().split("\n").at(-1)).toMatch(
        /^celgate: .*policy\.test\.yaml:9:7: .*a case's `resource` \(kind List\) is read as 2 objects/,
      );
    }
  });

  it("test fails a case whose fixture's first document is a List, naming the fixture", async () => {
    const dir = folder({
      "fixtures/list.json": JSON.stringify(list),
      "policy.test.yaml": testDoc("no-privileged", fileCase("fixtures/list.json")),
    });
    const r = await runInProcess(["test", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "/ from a file (" +
        join(dir, "policy.test.yaml") +
        ":7:7): fixture fixtures/list.json: its first document is read as 2 objects",
    );
  });
});

describe("text from a hostile test file or manifest reaches the terminal inert", () => {
  const ESC = "\u001b";
  const hostile = `a\u202eb${ESC}]0;title\u0007${ESC}[2J`;

  it("test: case names and messages are escaped, each failure on one line", async () => {
    const pod = { ...POD, metadata: { name: `web${ESC}[31m\nPASS forged` } };
    const dir = folder({
      "policy.test.yaml": testDoc(
        "no-privileged",
        `    - name: ${JSON.stringify(hostile)}
      expect: pass
      resource: ${JSON.stringify({ ...pod, spec: { containers: [{ name: "c", securityContext: { privileged: true } }] } })}
`,
      ),
    });
    const r = await runInProcess(["test", dir]);
    expect(r.code).toBe(1);
    for (const char of [ESC, "\u0007", "\u202e"]) expect(r.stdout).not.toContain(char);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain("a\\u202eb\\u001b]0;title\\u0007\\u001b[2J");
    expect(lines[0]).toContain("privileged: web\\u001b[31m\\nPASS forged");
  });

  it("explain: names, messages and values are escaped; a broken line goes on indented", async () => {
    const dir = folder({});
    const manifest = join(mkdtempSync(join(tmpdir(), "celgate-authoring-")), "pod.json");
    const pod = {
      ...POD,
      metadata: { name: `web${ESC}[31m\nno-privileged on Pod forged: pass` },
      spec: { containers: [{ name: hostile, securityContext: { privileged: true } }] },
    };
    writeFileSync(manifest, JSON.stringify(pod));
    const r = await runInProcess(["explain", "-p", dir, "--policy", "no-privileged", manifest]);
    expect(r.code).toBe(0);
    for (const char of [ESC, "\u0007", "\u202e"]) expect(r.stdout).not.toContain(char);
    expect(r.stdout).toContain("web\\u001b[31m");
    expect(r.stdout).not.toMatch(/^no-privileged on Pod forged/m);
  });
});

describe("nesting and aliases past the limits in a test file", () => {
  it("collections nested thousands deep: the depth limit named, not the engine's stack", async () => {
    const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    const dir = folder({
      "policy.test.yaml": testDoc(
        "no-privileged",
        `    - name: deep
      expect: pass
      resource: {apiVersion: v1, kind: Pod, metadata: {name: a}, x: ${deep}}
`,
      ),
    });
    for (const command of ["validate", "test"]) {
      const r = await runInProcess([command, dir]);
      expect(r.code).toBe(2);
      expect(r.stderr).not.toContain("call stack");
      expect(r.stderr.trim().split("\n").at(-1)).toMatch(
        /^celgate: .*policy\.test\.yaml:9:\d+: nested too deeply, over the nesting depth limit of 128 \(the default for policy, exception and test files, whatever CELGATE_MAX_DEPTH says\)/,
      );
    }
  });

  it("policy, exception and test files keep the default limits, whatever the variables say", async () => {
    // 130 levels: over the default 128, under a raised 200
    const nested = `${"[".repeat(126)}${"]".repeat(126)}`;
    const dir = folder({
      "policy.test.yaml": testDoc(
        "no-privileged",
        `    - name: nested
      expect: pass
      resource: {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: [{name: c}]}, x: ${nested}}
`,
      ),
    });
    const saved = process.env.CELGATE_MAX_DEPTH;
    try {
      process.env.CELGATE_MAX_DEPTH = "200";
      const raised = await runInProcess(["test", dir]);
      expect(raised.code).toBe(2);
      expect(raised.stderr).toContain(
        "over the nesting depth limit of 128 (the default for policy, exception and test files, whatever CELGATE_MAX_DEPTH says)",
      );
      // a lowered limit does not refuse the policy (nested 6 levels) or a plain case either
      process.env.CELGATE_MAX_DEPTH = "3";
      const plain = folder({
        "policy.test.yaml": testDoc(
          "no-privileged",
          `    - name: plain
      expect: pass
      resource: ${JSON.stringify(POD)}
`,
        ),
      });
      const lowered = await runInProcess(["test", plain]);
      expect(lowered.stderr).toBe("");
      expect(lowered.stdout).toBe("1 passed, 0 failed\n");
    } finally {
      if (saved === undefined) delete process.env.CELGATE_MAX_DEPTH;
      else process.env.CELGATE_MAX_DEPTH = saved;
    }
  });

  it("an alias bomb: the alias limit named, with its variable", async () => {
    const levels = ["    a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++)
      levels.push(
        `    a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    const dir = folder({
      "policy.test.yaml": testDoc(
        "no-privileged",
        `    - name: bomb
      expect: pass
      resource:
        apiVersion: v1
        kind: Pod
        metadata: {name: a}
        x:
${levels.map((l) => `    ${l}`).join("\n")}
`,
      ),
    });
    const r = await runInProcess(["validate", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "too many aliases expanded, over the YAML aliases per document limit of 100 (the default for policy, exception and test files, whatever CELGATE_MAX_YAML_ALIASES says)",
    );
  });
});

describe("a param the policy neither declares nor reads is refused, not ignored", () => {
  const pod = () => {
    const file = join(mkdtempSync(join(tmpdir(), "celgate-authoring-")), "pod.json");
    writeFileSync(
      file,
      JSON.stringify({ ...POD, spec: { containers: [{ name: "c", image: "r.example/a" }] } }),
    );
    return file;
  };
  const lastLine = (r: { stderr: string }) => r.stderr.trim().split("\n").at(-1);
  const accepts = "its params are registries (declared under spec.params or read by its expressions)";

  it("check --param with a typo in the key: exit 2 naming the flag, the policy, the key and the keys it has", async () => {
    const r = await runInProcess([
      "check",
      "--param",
      'image-allowed-registries.registry=["r.example"]',
      pod(),
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(lastLine(r)).toBe(
      `celgate: --param "image-allowed-registries.registry=[\\"r.example\\"]": policy image-allowed-registries has no param "registry": ${accepts}`,
    );
    // the key it declares is taken
    const ok = await runInProcess([
      "check",
      "--param",
      'image-allowed-registries.registries=["r.example"]',
      pod(),
    ]);
    expect(ok.stderr).not.toContain("has no param");
    expect([0, 1]).toContain(ok.code);
  });

  it("check and explain --params with a typo in the key: exit 2 naming the file and the key's path", async () => {
    const params = join(mkdtempSync(join(tmpdir(), "celgate-authoring-")), "params.yaml");
    writeFileSync(params, "image-allowed-registries:\n  registry: [r.example]\n");
    const file = pod();
    for (const argv of [
      ["check", "--params", params, file],
      ["explain", "--policy", "image-allowed-registries", "--params", params, file],
    ]) {
      const r = await runInProcess(argv);
      expect(r.code).toBe(2);
      expect(lastLine(r)).toBe(
        `celgate: --params ${params}: params.image-allowed-registries.registry: policy image-allowed-registries has no param "registry": ${accepts}`,
      );
    }
    const explained = await runInProcess([
      "explain",
      "--policy",
      "image-allowed-registries",
      "--param",
      "image-allowed-registries.registrie=[]",
      file,
    ]);
    expect(explained.code).toBe(2);
    expect(lastLine(explained)).toContain('has no param "registrie"');
  });

  it("a key the policy reads without declaring it (params.?x), or any key when it reads params by a computed key", async () => {
    const dir = folder({
      "reads.yaml": `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: reads-optional}
spec:
  validations:
    - expression: params.?allowPrivileged.orValue(false) || true
---
apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: reads-any}
spec:
  validations:
    - expression: "params[object.kind].orValue(true) == true || true"
`,
    });
    const file = pod();
    const ok = await runInProcess([
      "check",
      "-p",
      dir,
      "--param",
      "reads-optional.allowPrivileged=true",
      "--param",
      "reads-any.Pod=true",
      file,
    ]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    const typo = await runInProcess([
      "check",
      "-p",
      dir,
      "--param",
      "reads-optional.allowPrivilegd=true",
      file,
    ]);
    expect(typo.code).toBe(2);
    expect(lastLine(typo)).toBe(
      `celgate: --param "reads-optional.allowPrivilegd=true": policy reads-optional has no param "allowPrivilegd": its params are allowPrivileged (declared under spec.params or read by its expressions)`,
    );
  });

  it("a NAME with dots is the param's: POLICY ends at the first dot (a policy name has none)", async () => {
    const dir = folder({
      "dotted.yaml": `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: dotted}
spec:
  validations:
    - expression: params[?"a.b"].orValue(false) == true
`,
    });
    const file = pod();
    const set = await runInProcess(["check", "-p", dir, "--param", "dotted.a.b=true", file]);
    expect(set.stderr).toBe("");
    expect(set.code).toBe(0);
    const unset = await runInProcess(["check", "-p", dir, "--param", "dotted.a.c=true", file]);
    expect(unset.code).toBe(2);
    expect(lastLine(unset)).toContain('--param "dotted.a.c=true": policy dotted has no param "a.c"');
  });

  it("validate and test: a case whose params hold such a key is exit 2 at that key, before any case runs", async () => {
    const dir = folder({
      "policy.test.yaml": testDoc(
        "no-privileged",
        `    - name: typo in params
      expect: pass
      params: {allowed: true}
      resource: ${JSON.stringify(POD)}
`,
      ),
    });
    const where = `${join(dir, "policy.test.yaml")}:9:16`;
    const message =
      'policy no-privileged has no param "allowed": it has no params (declared under spec.params or read by its expressions)';
    const validated = await runInProcess(["validate", dir]);
    expect(validated.code).toBe(2);
    expect(validated.stderr).toContain(`ERROR: ${where}: ${message} (spec.cases[0].params.allowed)\n`);
    const tested = await runInProcess(["test", dir]);
    expect(tested.code).toBe(2);
    expect(tested.stdout).toBe("");
    expect(lastLine(tested)).toBe(`celgate: ${where}: spec.cases[0].params.allowed: ${message}`);
  });
});

describe("a test file that no case would read", () => {
  const good = testDoc(
    "no-privileged",
    `    - name: a plain pod
      expect: pass
      resource: ${JSON.stringify(POD)}
`,
  );
  // each beside a good test of the policy, which alone would pass: the run must not pass
  const cases: [string, Record<string, string | Buffer>, RegExp][] = [
    [
      "an empty test file",
      { "other.test.yaml": "" },
      /other\.test\.yaml:1: test file holds no PolicyTest document/,
    ],
    [
      "a test file of comments only",
      { "other_test.yml": "# to do\n" },
      /other_test\.yml:1: test file holds no PolicyTest/,
    ],
    [
      "a test file of empty documents",
      { "other.test.yaml": "---\n---\n" },
      /other\.test\.yaml:1: test file holds no PolicyTest/,
    ],
    [
      "YAML that does not parse, in a file named after nothing, naming a policy that does not exist",
      { "suite.test.yaml": `${testDoc("no-privilegd", fileCase("pod.json"))}  oops: [\n` },
      /suite\.test\.yaml:11:1: Flow sequence in block collection/,
    ],
    [
      "another kind of document",
      { "suite.test.yaml": good.replace("kind: PolicyTest", "kind: PolicyTst") },
      /suite\.test\.yaml:2:7: kind must be one of Policy, PolicyException, PolicyTest; found "PolicyTst" \(kind\)/,
    ],
    [
      "bytes that are not text",
      { "suite.test.yaml": Buffer.from([0x6b, 0x3a, 0x00, 0xff]) },
      /suite\.test\.yaml:1: binary file/,
    ],
    [
      "a Policy in a test file",
      { "suite.test.yaml": POLICY.replace("no-privileged", "stray") },
      /suite\.test\.yaml:1: Policy stray is in a test file/,
    ],
    [
      "a test of a policy that does not exist, inside a file of policies",
      {
        "more.yaml": `${POLICY.replace("no-privileged", "more")}---\n${good.replace("policy: no-privileged", "policy: nope")}`,
      },
      /more\.yaml:13:11: PolicyTest t tests policy nope, .* \(spec\.policy\)/,
    ],
  ];
  for (const [what, files, error] of cases)
    it(`${what}: validate and test exit 2, naming the file and line`, async () => {
      const dir = folder({ "policy.test.yaml": good });
      for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
      for (const command of ["validate", "test"]) {
        const r = await runInProcess([command, dir]);
        expect(r.code, command).toBe(2);
        expect(r.stdout, command).not.toContain("passed");
        // rendered in full (file:line:col, message, the field) by both, before any case runs
        expect(r.stderr, command).toMatch(error);
      }
    });

  it("a link to a test file that leads nowhere: exit 2, naming the link", async () => {
    const dir = folder({ "policy.test.yaml": good });
    symlinkSync(join(dir, "gone.yaml"), join(dir, "gone.test.yaml"));
    for (const command of ["validate", "test"]) {
      const r = await runInProcess([command, dir]);
      expect(r.code, command).toBe(2);
      expect(r.stderr, command).toContain("gone.test.yaml: symbolic link to nothing readable (ENOENT)");
    }
  });
});
