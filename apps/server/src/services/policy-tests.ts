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
  type DiagnosticCode,
  type Located,
  MAX_MANIFEST_BYTES,
  type PolicyDocument,
  type PolicyTestDocument,
  parsePolicyDocuments,
  parseSourceDocuments,
} from "@celgate/core";
import {
  judgeTestCase,
  planPolicyTests,
  testFileDiagnostics,
  unknownPolicyDiagnostics,
} from "@celgate/core/testing";
import { eq } from "drizzle-orm";
import type { z } from "zod";
import type { Db } from "../db/client.js";
import { policies } from "../db/schema.js";
import type { Evaluator } from "../evaluator/index.js";
import { isError, isSyntax, wireDiagnostic } from "../lib/diagnostics.js";
import { refuse } from "./errors.js";
import { listPolicyFiles, type PolicyService, type UnfollowedLink } from "./policies.js";

/**
 * Largest test file or fixture read from the repository; past it the file is reported, not read.
 * The engine's manifest limit, which `celgate test` applies to fixtures too (by default: the CLI's
 * CELGATE_MAX_INPUT_BYTES changes its own limit only), so a fixture that runs locally runs here.
 */
export const MAX_TEST_FILE_BYTES = MAX_MANIFEST_BYTES;

/** A file's text, or why it was not read (with the diagnostic code that says so, when not a limit). */
type Fixture = { content: string } | { error: string; code?: DiagnosticCode };

/** The PolicyTest documents of one repository folder, with the fixtures their cases name. */
interface RepositoryTests {
  dir: string;
  /** Each with `origin.file` relative to the folder. */
  tests: Located<PolicyTestDocument>[];
  /** By `fixtureKey(test file, path as written)`. */
  fixtures: Map<string, Fixture>;
  /**
   * Problems of the files read (each with its relative `file`), with the policy named by the
   * PolicyTest document a problem is in, when that document could be read that far, and the
   * policies its file's lines name (`named`, see namedPolicies) for when it could not (its
   * syntax, a limit, a file not read, another kind of document). Whose a problem is, is decided
   * per request against the policies that exist then (see ownersOf).
   */
  diagnostics: RepositoryProblem[];
}

interface RepositoryProblem {
  diagnostic: Diagnostic;
  /** The `spec.policy` of the PolicyTest document the problem is in, when it reads that far. */
  policy?: string;
  /** The policies named by the `policy:` lines of the problem's file. */
  named: readonly string[];
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
    const { row, empty, tests, repo, diagnostics } = await this.#select(name);
    const cases = tests.flatMap((t) => toWireCases(t, repo));
    return {
      policy: row.name,
      source: row.source,
      version: row.version,
      cases,
      empty,
      diagnostics: diagnostics.map(wireDiagnostic),
    };
  }

  /**
   * Runs the policy's cases against its stored version, one evaluation per case on the
   * evaluator; records nothing. 200 whether the cases pass or not; 404 when there is no such
   * policy. Throws the evaluator's errors (no worker available: 503).
   */
  async run(name: string): Promise<PolicyTestRun> {
    const { row, empty, tests, repo, diagnostics } = await this.#select(name);
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
      // fail closed: a broken test document of the policy is a test that did not run
      ok: cases.length > 0 && passed === cases.length && !diagnostics.some(isError),
      passed,
      failed: cases.length - passed,
      cases,
      empty,
      diagnostics: diagnostics.map(wireDiagnostic),
    };
  }

  async #select(name: string): Promise<{
    row: { name: string; source: PolicySource; version: number; document: PolicyDocument };
    empty: Empty | null;
    tests: Located<PolicyTestDocument>[];
    repo: RepositoryTests | undefined;
    /** Problems in the repository's test files that concern this policy. */
    diagnostics: Diagnostic[];
  }> {
    const [row] = await this.db.select().from(policies).where(eq(policies.name, name));
    if (!row) throw refuse("not-found", `no policy named ${name}`);
    if (row.source === "api")
      return {
        row,
        tests: [],
        repo: undefined,
        diagnostics: [],
        empty: {
          reason: "api-policy",
          message: `${name} was created through the API; PolicyTest documents are read from the policy repository (CELGATE_POLICY_DIR) only, so it has none`,
        },
      };
    const repo = await this.#repository();
    const tests = repo.tests.filter((t) => t.doc.spec.policy === name);
    // the policies whose tests can be read: those of the repository, as stored now
    const known = new Set(
      (
        await this.db.select({ name: policies.name }).from(policies).where(eq(policies.source, "repository"))
      ).map((p) => p.name),
    );
    // a test of a policy that is not there can never run: a problem of its own, which no
    // policy's cases list (the same check as `celgate validate` and `celgate test`)
    const orphans: RepositoryProblem[] = unknownPolicyDiagnostics(
      repo.tests,
      known,
      "in the policy repository (a typo, a policy deleted or renamed, or one created through the API, whose tests are not read)",
    ).map((diagnostic) => ({ diagnostic, named: [] }));
    const testFiles = policiesByTestFile(repo.tests, known);
    // a problem reaches the policies it can be said to be about; one that can be said to be
    // about no policy that exists reaches every policy (fail closed: it may be this policy's
    // only test, and it must be seen somewhere)
    const diagnostics = [...repo.diagnostics, ...orphans]
      .filter((problem) => {
        const owners = ownersOf(problem, known, testFiles);
        return owners.size === 0 || owners.has(name);
      })
      .map((d) => d.diagnostic);
    let empty: Empty | null = null;
    if (tests.length === 0)
      empty = diagnostics.some(isError)
        ? {
            reason: "invalid-tests",
            message: `every test file in the policy repository that is or may be for ${name} has errors (see diagnostics), so no case can run`,
          }
        : { reason: "no-tests", message: `the policy repository holds no PolicyTest for ${name}` };
    return { row, tests, repo, diagnostics, empty };
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

/** The policies that exist (of `known`) tested by the readable PolicyTest documents of each file. */
function policiesByTestFile(
  tests: readonly Located<PolicyTestDocument>[],
  known: ReadonlySet<string>,
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const t of tests) {
    if (t.origin.file === undefined || !known.has(t.doc.spec.policy)) continue;
    const names = out.get(t.origin.file) ?? new Set<string>();
    names.add(t.doc.spec.policy);
    out.set(t.origin.file, names);
  }
  return out;
}

/**
 * The policies (of those that exist, `known`) a problem of a test file is about: the one its
 * PolicyTest document names, when it exists; else every existing policy its file's lines name,
 * its file's name names (`<name>.test.yaml`...) or its file's readable documents test. Empty when
 * it can be said to be about none of them (a file that names no policy, or only policies that do
 * not exist): the caller then reports it for every policy.
 */
function ownersOf(
  problem: RepositoryProblem,
  known: ReadonlySet<string>,
  testFiles: ReadonlyMap<string, ReadonlySet<string>>,
): Set<string> {
  if (problem.policy !== undefined && known.has(problem.policy)) return new Set([problem.policy]);
  const owners = new Set(problem.named.filter((n) => known.has(n)));
  const file = problem.diagnostic.file;
  if (file !== undefined) {
    for (const n of testFiles.get(file) ?? []) owners.add(n);
    for (const n of known) if (namesPolicy(file, n)) owners.add(n);
  }
  return owners;
}

/**
 * The policy named (`spec.policy`) by the PolicyTest document that holds a line of the text,
 * read from the documents as written (before their schema is checked), so that a problem in a
 * broken test document reaches that policy's tests; undefined when the line is in no such
 * document (or the document cannot be read that far, or the line is unknown).
 */
function testPolicyByLine(text: string, file: string): (line: number | undefined) => string | undefined {
  const starts: { line: number; policy: string | undefined }[] = [];
  for (const source of parseSourceDocuments(text, file).documents) {
    const value = source.value as { kind?: unknown; spec?: { policy?: unknown } } | null;
    const start = source.position([])?.line;
    if (start === undefined) continue;
    const policy =
      value !== null &&
      typeof value === "object" &&
      value.kind === "PolicyTest" &&
      typeof value.spec?.policy === "string"
        ? value.spec.policy
        : undefined;
    starts.push({ line: start, policy });
  }
  return (line) => {
    if (line === undefined) return undefined;
    // the last document that starts at or before the line
    let found: string | undefined;
    for (const s of starts) if (s.line <= line) found = s.policy;
    return found;
  };
}

/**
 * The policies named by the `policy: <name>` lines of a text (block or flow style, quoted or not),
 * read line by line as written: a file whose YAML cannot be parsed still says which policies it
 * tests. The whole file, not the document at the problem's line: where a parser reports an
 * unclosed collection may be past its document, and a problem that reaches a policy of another
 * document of the file is reported once too often, never missed.
 */
export function namedPolicies(text: string): string[] {
  const names = new Set<string>();
  const key = /(?:^|[\s{,[-])policy\s*:\s*(?:"([^"]*)"|'([^']*)'|([^\s,{}[\]#"']+))/g;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*#/.test(line)) continue;
    for (const m of line.matchAll(key)) names.add(m[1] ?? m[2] ?? m[3]!);
  }
  return [...names];
}

/**
 * Reads a file of at most MAX_TEST_FILE_BYTES as UTF-8 text; the reason it cannot otherwise (as
 * `celgate test` refuses it: binary, or not UTF-8).
 */
async function readBounded(path: string): Promise<Fixture> {
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (!info.isFile()) return { error: "not a file" };
    if (info.size > MAX_TEST_FILE_BYTES)
      return {
        error: `larger than ${MAX_TEST_FILE_BYTES} bytes (${info.size}), the limit on test files and fixtures (the engine's manifest limit, as \`celgate test\` applies by default)`,
      };
    bytes = await readFile(path);
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code ?? "unreadable" };
  }
  if (bytes.includes(0)) return { error: "binary file, not YAML or JSON text", code: "binary-input" };
  try {
    return { content: new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "") };
  } catch {
    return { error: "not valid UTF-8 text", code: "binary-input" };
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
  const links: UnfollowedLink[] = [];
  const files = await listPolicyFiles(dir, { tests: true, links });
  for (const link of links) {
    const rel = relative(root, resolve(link.path));
    // what it would hold is missed: said where the tests of the policies it may be about are
    out.diagnostics.push({
      diagnostic: {
        code: "input-too-large",
        message:
          link.problem === "nowhere"
            ? `cannot read ${rel}: a symbolic link to nothing readable; put the file itself in the repository`
            : `cannot read ${rel}: a symbolic link to a folder outside the policy repository, which the service does not follow (nor does celgate); put the folder itself in the repository`,
        file: rel,
        line: 1,
      },
      named: [],
    });
  }
  for (const path of files) {
    const rel = relative(root, resolve(path));
    const read = await readBounded(path);
    if ("error" in read) {
      // nothing of it was read: only its name may say which policy it tests
      out.diagnostics.push({
        diagnostic: {
          code: read.code ?? "input-too-large",
          message: `cannot read ${rel}: ${read.error}`,
          file: rel,
          line: 1,
        },
        named: [],
      });
      continue;
    }
    const parsed = parsePolicyDocuments(read.content, rel);
    const problems = [...parsed.diagnostics, ...testFileDiagnostics(rel, parsed)];
    const policyAt = problems.length > 0 ? testPolicyByLine(read.content, rel) : () => undefined;
    const named = problems.length > 0 ? namedPolicies(read.content) : [];
    for (const diagnostic of problems) {
      // a document that cannot be read (its syntax, a limit) is none of the documents read, and
      // where a parser reports an unclosed collection may be past its document: the policies
      // its file's lines name say whose it is
      const policy = isSyntax(diagnostic) ? undefined : policyAt(diagnostic.line);
      out.diagnostics.push(policy === undefined ? { diagnostic, named } : { diagnostic, policy, named });
    }
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
  return t.doc.spec.cases.map(({ file, ...rest }, index) => {
    // where the case's entry is, as planPolicyTests (and so the run) points at it
    const at = t.origin.position?.(["spec", "cases", index]);
    return {
      test: t.doc.metadata.name,
      file: testFile,
      ...(at ? { line: at.line, column: at.column } : {}),
      ...rest,
      ...(file === undefined
        ? {}
        : {
            fixture: {
              path: file,
              ...wireFixture(repo?.fixtures.get(fixtureKey(testFile, file))),
            },
          }),
      ...(t.doc.spec.now === undefined ? {} : { now: t.doc.spec.now }),
    };
  });
}

/** A fixture as the API lists it: its text or why it was not read. */
function wireFixture(f: Fixture | undefined): { content: string } | { error: string } {
  if (f === undefined) return { error: "not read" };
  return "content" in f ? { content: f.content } : { error: f.error };
}
