// The README's short tour and service section, run as written: every shell command of those
// sections must have an entry in TOUR or SERVICE below (and every entry a command), so the
// README cannot gain a command that no test runs. `pnpm celgate ...` lines run the CLI in
// process (main(argv), from the repository root, as pnpm does); the curl lines run in bash
// against a service started here, with `localhost:8080` pointing at it.
import { execFile, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../packages/cli/src/cli.js";
import { startTestService, type TestService } from "../packages/sdk/src/testing/service.js";
import { repositoryRoot } from "./support/corpora.js";

const readme = readFileSync(join(repositoryRoot, "README.md"), "utf8");
// The README's paths are relative to the repository root, where pnpm runs scripts (this file
// runs in a forked worker of its own, so changing its directory touches no other test).
process.chdir(repositoryRoot);

/** The text of the section under `## title`, up to the next `## ` heading. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no section "## ${title}"`);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The commands of the ```sh blocks of a section, continuation lines joined. */
function shellCommands(text: string): string[] {
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((block) =>
    block
      .replace(/\\\n\s*/g, "")
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean),
  );
}

/** Splits a command line as sh would (quotes, $NAME, a trailing # comment); no globbing. */
function shellWords(line: string, env: Record<string, string>): string[] {
  const words: string[] = [];
  let word: string | null = null;
  const expand = (name: string) => {
    const value = env[name];
    if (value === undefined) throw new Error(`README command uses $${name}, which the test does not set`);
    return value;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === " " || c === "\t") {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "#" && word === null) {
      break;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      const end = line.indexOf('"', i + 1);
      const inner = line.slice(i + 1, end).replace(/\$([A-Z_]+)/g, (_, name: string) => expand(name));
      word = (word ?? "") + inner;
      i = end;
    } else if (c === "$") {
      const name = /^[A-Z_]+/.exec(line.slice(i + 1))![0];
      word = (word ?? "") + expand(name);
      i += name.length;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process, collecting what it writes. */
async function celgate(args: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

/** The last line of the text report: the decision and the counts. */
const summary = (r: Run) => r.stdout.trim().split("\n").at(-1) ?? "";

type Expectation = (r: Run) => void;

/** What the tour says about each of its commands, by the command as README.md writes it. */
const TOUR: Record<string, Expectation | "built by pnpm test"> = {
  "pnpm build": "built by pnpm test",
  "pnpm celgate check examples/manifests/": (r) => {
    expect(r.code).toBe(1);
    expect(summary(r)).toMatch(/^deny: 7 resources, /);
    expect(r.stdout).toContain("Deployment default/legacy-admin (examples/manifests/legacy-admin.yaml:");
    expect(r.stdout).toMatch(/FAIL {4}no-privileged \(critical, deny\)/);
    expect(r.stdout).toContain("no-host-namespaces");
    expect(r.stdout).toContain("hostPath volumes are not allowed: host (/)");
    expect(r.stdout).toMatch(/How to fix:\n {2}\S+: /);
    expect(r.stdout).toMatch(/Deployment shop\/web[^\n]*\n {2}FAIL {4}image-scan-required/);
  },
  "pnpm celgate check examples/manifests/ --select 'pss in (baseline,restricted)'": (r) => {
    expect(r.code).toBe(1);
    expect(summary(r)).toMatch(/^deny: /);
    const failing = r.stdout.split("\n\n").filter((block) => block.includes("FAIL"));
    expect(failing).toHaveLength(1);
    expect(failing[0]).toContain("legacy-admin");
    expect(r.stdout).not.toContain("image-scan-required");
  },
  "pnpm celgate check examples/manifests/web.yaml -i examples/images/shop-web.trivy.json --now 2026-11-29T00:00:00Z":
    (r) => {
      expect(r.code).toBe(0);
      expect(summary(r)).toMatch(/^warn: 2 resources, \d+ passed, 1 failed, 0 errors/);
      expect(r.stdout).toMatch(/FAIL {4}image-signed \(high, warn\)/);
    },
  "pnpm celgate check examples/manifests/web.yaml -i examples/images/shop-web.facts.yaml --context environment=prod --now 2026-11-29T00:00:00Z":
    (r) => {
      expect(r.code).toBe(0);
      expect(summary(r)).toMatch(/^allow: 2 resources, \d+ passed, 0 failed, 0 errors/);
    },
  "pnpm celgate check examples/manifests/ -i examples/images/shop-web.facts.yaml --params examples/params.yaml -e examples/exceptions.yaml --now 2026-11-29T00:00:00Z":
    (r) => {
      expect(r.code).toBe(1);
      expect(summary(r)).toMatch(/^deny: .* 1 waived/);
      expect(r.stdout).toContain("WAIVED  no-ssh-port (medium, warn) by exception legacy-admin-ssh");
      expect(r.stdout).toMatch(/legacy-admin[\s\S]*FAIL {4}image-allowed-registries/);
    },
  "pnpm celgate validate examples/policies/": (r) => {
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ok: 1 policies");
  },
  "pnpm celgate test examples/policies/": (r) => {
    expect(r.code).toBe(0);
    expect(summary(r)).toBe("2 passed, 0 failed");
  },
  "pnpm celgate check -p examples/policies/ examples/manifests/": (r) => {
    expect(r.code).toBe(0);
    expect(summary(r)).toMatch(/^warn: .* 1 passed, 1 failed/);
    expect(r.stdout).toMatch(
      /legacy-admin[^\n]*\n {2}FAIL {4}min-replicas[^\n]*\n {10}replicas is 1, want at least 2/,
    );
  },
  "pnpm celgate check -p examples/policies/ --param min-replicas.min=4 examples/manifests/": (r) => {
    expect(r.code).toBe(0);
    expect(summary(r)).toMatch(/^warn: .* 0 passed, 2 failed/);
    expect(r.stdout).toContain("replicas is 3, want at least 4");
  },
};

/** The service section, in order; `TOKEN=...` is the admin token of the service started here. */
const SERVICE: [string, Expectation | "set by the test"][] = [
  ["TOKEN=...", "set by the test"],
  [
    `curl -s -X POST localhost:8080/v1/evaluations -H "Authorization: Bearer $TOKEN" -H 'content-type: application/yaml' --data-binary @examples/manifests/web.yaml | jq .decision`,
    (r) => {
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe('"deny"');
    },
  ],
  [
    'pnpm celgate images push --server http://localhost:8080 --token "$TOKEN" examples/images/shop-web.trivy.json',
    (r) => {
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
      expect(r.stdout).toContain(
        "pushed ghcr.io/example/shop-web:1.4.2@sha256:1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a (2 vulnerabilities: 2 medium) from examples/images/shop-web.trivy.json",
      );
      expect(summary(r)).toMatch(/^1 image pushed to http:\/\/127\.0\.0\.1:\d+$/);
    },
  ],
  [
    'pnpm celgate check --server http://localhost:8080 --token "$TOKEN" examples/manifests/',
    (r) => {
      expect(r.code).toBe(1);
      expect(summary(r)).toMatch(/^deny: 7 resources, /);
      // the pushed facts are used: the web image has scan results now
      expect(r.stdout).not.toMatch(/no scan results for image\(s\): ghcr\.io\/example\/shop-web/);
    },
  ],
  [
    `curl -s localhost:8080/v1/evaluations -H "Authorization: Bearer $TOKEN" | jq '.items[0]'`,
    (r) => {
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ source: "cli", decision: "deny" });
    },
  ],
];

/** Commands with comments after them are listed without the comment. */
const withoutComment = (line: string) => line.replace(/\s+#\s.*$/, "");

describe("README: the short tour", () => {
  const commands = shellCommands(section("A short tour")).map(withoutComment);

  it("lists exactly the commands this test runs", () => {
    expect(commands).toEqual(Object.keys(TOUR));
  });

  it.each(commands)("%s", async (line) => {
    const expectation = TOUR[line];
    if (typeof expectation !== "function") return;
    const [pnpm, script, ...args] = shellWords(line, {});
    expect([pnpm, script]).toEqual(["pnpm", "celgate"]);
    expectation(await celgate(args));
  });

  it("shows the example policy and its test as they are in examples/", () => {
    const text = section("A short tour");
    const shown = [...text.matchAll(/\(`(examples\/[^`]+\.yaml)`\)[^\n]*\n\n```yaml\n([\s\S]*?)```/g)];
    expect(shown.map((m) => m[1])).toEqual([
      "examples/policies/min-replicas.yaml",
      "examples/policies/min-replicas.test.yaml",
    ]);
    for (const [, path, body] of shown) {
      expect(body, path).toBe(readFileSync(join(repositoryRoot, path!), "utf8"));
    }
  });
});

const hasTools = ["curl", "jq"].every((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0);

describe("README: the service", () => {
  let service: TestService;
  const commands = shellCommands(section("The service")).map(withoutComment);

  beforeAll(async () => {
    service = await startTestService({ policyDir: join(repositoryRoot, "policies") });
  });

  afterAll(async () => {
    await service?.close();
  });

  it("lists exactly the commands this test runs", () => {
    expect(commands).toEqual(SERVICE.map(([command]) => command));
  });

  // The commands depend on each other (push, then check, then the history): one test, in order.
  it("runs each command against a live service, in order", { timeout: 120_000 }, async () => {
    if (!hasTools) console.warn("README service commands: curl or jq missing, the curl lines are not run");
    const env = { TOKEN: service.adminToken };
    const local = (line: string) =>
      line.replaceAll("http://localhost:8080", service.baseUrl).replaceAll("localhost:8080", service.baseUrl);
    for (const [line, expectation] of SERVICE) {
      if (typeof expectation !== "function") continue;
      if (line.startsWith("pnpm celgate ")) {
        const [, , ...args] = shellWords(local(line), env);
        expectation(await celgate(args));
      } else if (hasTools) {
        // Asynchronously: the service answers from this very process.
        const r = await promisify(execFile)("bash", ["-o", "pipefail", "-c", local(line)], {
          cwd: repositoryRoot,
          env: { ...process.env, ...env },
          encoding: "utf8",
        }).then(
          ({ stdout, stderr }): Run => ({ code: 0, stdout, stderr }),
          (e: { code: number; stdout: string; stderr: string }): Run => ({
            code: e.code,
            stdout: e.stdout,
            stderr: e.stderr,
          }),
        );
        expectation(r);
      }
    }
  });
});
