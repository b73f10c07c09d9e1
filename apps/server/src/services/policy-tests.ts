import { readFile, realpath, stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, relative, resolve, sep } from "node:path";
import type {
  PolicySource,
  PolicyTestCase,
  PolicyTestList,
  PolicyTestRun,
  PolicyTestsEmptySchema,
} from "@celgate/contracts";
import {
  compilePolicySet,
  type Diagnostic,
  type Located,
  type PolicyDocument,
  type PolicyTestDocument,
  parsePolicyDocuments,
} from "@celgate/core";
import { judgeTestCase, planPolicyTests } from "@celgate/core/testing";
import { eq } from "drizzle-orm";
import type { z } from "zod";
import type { Db } from "../db/client.js";
import { policies } from "../db/schema.js";
import type { Evaluator } from "../evaluator/index.js";
import { wireDiagnostic } from "../lib/diagnostics.js";
import { refuse } from "./errors.js";
import { listPolicyFiles, type PolicyService } from "./policies.js";

/** Largest test file or fixture read from the repository; past it the file is reported, not read. */
export const MAX_TEST_FILE_BYTES = 2 * 1024 * 1024;

type Fixture = { content: string } | { error: string };

/** The PolicyTest documents of one repository folder, with the fixtures their cases name. */
interface RepositoryTests {
  dir: string;
  /** Each with `origin.file` relative to the folder. */
  tests: Located<PolicyTestDocument>[];
  /** By `fixtureKey(test file, path as written)`. */
  fixtures: Map<string, Fixture>;
  /** Problems of the files read (each with its relative `file`). */
  diagnostics: Diagnostic[];
}

const fixtureKey = (testFile: string, path: string) => `${testFile}\u0000${path}`;

type Empty = z.infer<typeof PolicyTestsEmptySchema>;

/**
 * The PolicyTest documents beside the repository's policies (CELGATE_POLICY_DIR): read on the
 * first request that needs them (the service's start does not parse tests, as `celgate check`
 * does not), listed per policy, and run against the stored version of the policy on the
 * evaluator (its workers and its time limit). A policy created through the API has no tests:
 * the answers say so with a reason.
 */
export class PolicyTestService {
  #loading: { dir: string; promise: Promise<RepositoryTests> } | undefined;

  constructor(
    private readonly db: Db,
    private readonly policies: PolicyService,
    private readonly evaluator: Evaluator,
  ) {}

  /** The cases of the policy's tests; 404 when there is no such policy. */
  async list(name: string): Promise<PolicyTestList> {
    const { row, empty, tests, repo } = await this.#select(name);
    const cases = tests.flatMap((t) => toWireCases(t, repo));
    const mine = new Set(tests.map((t) => t.origin.file));
    return {
      policy: row.name,
      source: row.source,
      version: row.version,
      cases,
      empty,
      diagnostics: (repo?.diagnostics ?? [])
        .filter((d) => d.file !== undefined && (mine.has(d.file) || namesPolicy(d.file, row.name)))
        .map(wireDiagnostic),
    };
  }

  /**
   * Runs the policy's cases against its stored version, one evaluation per case on the
   * evaluator; records nothing. 200 whether the cases pass or not; 404 when there is no such
   * policy. Throws the evaluator's errors (no worker available: 503).
   */
  async run(name: string): Promise<PolicyTestRun> {
    const { row, empty, tests, repo } = await this.#select(name);
    // only the stored policy: a case's outcome depends on nothing else in force
    const { set } = compilePolicySet([row.document]);
    const planned = planPolicyTests(tests, set, {
      readFixture: (testFile, path) => {
        // the reason a fixture was not read (outside the repository, too large...) reaches the case
        const f = repo?.fixtures.get(fixtureKey(testFile ?? "", path));
        return f && "content" in f ? f.content : f;
      },
    });
    const cases: PolicyTestRun["cases"] = [];
    for (const p of planned) {
      let report: Awaited<ReturnType<Evaluator["evaluate"]>> | undefined;
      if ("input" in p) {
        // let waiting requests run between cases (an in-process evaluator holds the loop)
        await new Promise<void>((r) => setImmediate(r));
        report = await this.evaluator.evaluate(set, p.input);
      }
      const c = judgeTestCase(p, report);
      cases.push({
        test: c.test,
        file: c.file ?? "",
        // where the case's entry is in its file, as `celgate test` points at it
        ...(c.line === undefined ? {} : { line: c.line, column: c.column ?? 1 }),
        name: c.case,
        passed: c.passed,
        expected: c.expected,
        ...(c.actual === undefined ? {} : { actual: c.actual }),
        ...(c.reason === undefined ? {} : { reason: c.reason }),
        messages: c.messages,
      });
    }
    const passed = cases.filter((c) => c.passed).length;
    return {
      policy: row.name,
      source: row.source,
      version: row.version,
      passed,
      failed: cases.length - passed,
      cases,
      empty,
    };
  }

  async #select(name: string): Promise<{
    row: { name: string; source: PolicySource; version: number; document: PolicyDocument };
    empty: Empty | null;
    tests: Located<PolicyTestDocument>[];
    repo: RepositoryTests | undefined;
  }> {
    const [row] = await this.db.select().from(policies).where(eq(policies.name, name));
    if (!row) throw refuse("not-found", `no policy named ${name}`);
    if (row.source === "api")
      return {
        row,
        tests: [],
        repo: undefined,
        empty: {
          reason: "api-policy",
          message: `${name} was created through the API; PolicyTest documents are read from the policy repository (CELGATE_POLICY_DIR) only, so it has none`,
        },
      };
    const repo = await this.#repository();
    const tests = repo.tests.filter((t) => t.doc.spec.policy === name);
    return {
      row,
      tests,
      repo,
      empty:
        tests.length > 0
          ? null
          : { reason: "no-tests", message: `the policy repository holds no PolicyTest for ${name}` },
    };
  }

  /** The repository's tests, read once per folder loaded; a failed read is tried again next time. */
  #repository(): Promise<RepositoryTests> {
    const dir = this.policies.repositoryDir;
    if (dir === undefined)
      return Promise.resolve({ dir: "", tests: [], fixtures: new Map(), diagnostics: [] });
    if (this.#loading?.dir !== dir) {
      const promise = readRepositoryTests(dir);
      const loading = { dir, promise };
      this.#loading = loading;
      promise.catch(() => {
        if (this.#loading === loading) this.#loading = undefined;
      });
    }
    return this.#loading!.promise;
  }
}

/** Whether a file's name says it belongs to the policy: `<name>.yaml`, `<name>.test.yaml`, `<name>_test.yaml`. */
function namesPolicy(file: string, policy: string): boolean {
  const base = basename(file);
  return base.startsWith(`${policy}.`) || base.startsWith(`${policy}_`);
}

/** Reads a file of at most MAX_TEST_FILE_BYTES; the reason it cannot otherwise. */
async function readBounded(path: string): Promise<Fixture> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return { error: "not a file" };
    if (info.size > MAX_TEST_FILE_BYTES)
      return { error: `larger than ${MAX_TEST_FILE_BYTES} bytes (${info.size})` };
    return { content: await readFile(path, "utf8") };
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code ?? "unreadable" };
  }
}

/** Whether `path` lies inside `root`, as written and once symbolic links are followed. */
async function insideFolder(root: string, path: string): Promise<boolean> {
  const within = (base: string, p: string) => {
    const rel = relative(base, p);
    return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
  };
  if (!within(root, path)) return false;
  // A link inside the folder may point out of it: compare the real paths too. A path that does
  // not exist is left to the read, which reports it.
  const [realRoot, realPath] = await Promise.all([realpath(root), realpath(path).catch(() => null)]);
  return realPath === null || within(realRoot, realPath);
}

/**
 * Every PolicyTest document of the folder (test files and document files alike, as
 * `celgate test` reads them) and every fixture a case names. A fixture outside the folder is
 * not read.
 */
async function readRepositoryTests(dir: string): Promise<RepositoryTests> {
  const root = resolve(dir);
  const out: RepositoryTests = { dir, tests: [], fixtures: new Map(), diagnostics: [] };
  for (const path of await listPolicyFiles(dir, { tests: true })) {
    const rel = relative(root, resolve(path));
    const read = await readBounded(path);
    if ("error" in read) {
      out.diagnostics.push({
        code: "input-too-large",
        message: `cannot read ${rel}: ${read.error}`,
        file: rel,
      });
      continue;
    }
    const parsed = parsePolicyDocuments(read.content, rel);
    out.diagnostics.push(...parsed.diagnostics);
    for (const t of parsed.located.tests) {
      out.tests.push(t);
      for (const c of t.doc.spec.cases) {
        if (c.file === undefined) continue;
        const key = fixtureKey(rel, c.file);
        if (out.fixtures.has(key)) continue;
        const abs = resolve(root, dirname(rel), c.file);
        out.fixtures.set(
          key,
          (await insideFolder(root, abs))
            ? await readBounded(abs)
            : { error: "outside the policy repository" },
        );
      }
    }
  }
  return out;
}

/** A PolicyTest document's cases as the API lists them. */
function toWireCases(t: Located<PolicyTestDocument>, repo: RepositoryTests | undefined): PolicyTestCase[] {
  const testFile = t.origin.file ?? "";
  return t.doc.spec.cases.map(({ file, ...rest }) => ({
    test: t.doc.metadata.name,
    file: testFile,
    ...rest,
    ...(file === undefined
      ? {}
      : {
          fixture: {
            path: file,
            ...(repo?.fixtures.get(fixtureKey(testFile, file)) ?? { error: "not read" }),
          },
        }),
    ...(t.doc.spec.now === undefined ? {} : { now: t.doc.spec.now }),
  }));
}
