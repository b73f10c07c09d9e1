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
  MAX_MANIFEST_BYTES,
  type PolicyDocument,
  type PolicyTestDocument,
  parsePolicyDocuments,
  parseSourceDocuments,
} from "@celgate/core";
import { judgeTestCase, planPolicyTests } from "@celgate/core/testing";
import { eq } from "drizzle-orm";
import type { z } from "zod";
import type { Db } from "../db/client.js";
import { policies } from "../db/schema.js";
import type { Evaluator } from "../evaluator/index.js";
import { isError, isSyntax, wireDiagnostic } from "../lib/diagnostics.js";
import { refuse } from "./errors.js";
import { listPolicyFiles, type PolicyService } from "./policies.js";

/**
 * Largest test file or fixture read from the repository; past it the file is reported, not read.
 * The engine's manifest limit, which `celgate test` applies to fixtures too (by default: the CLI's
 * CELGATE_MAX_INPUT_BYTES changes its own limit only), so a fixture that runs locally runs here.
 */
export const MAX_TEST_FILE_BYTES = MAX_MANIFEST_BYTES;

type Fixture = { content: string } | { error: string };

/** The PolicyTest documents of one repository folder, with the fixtures their cases name. */
interface RepositoryTests {
  dir: string;
  /** Each with `origin.file` relative to the folder. */
  tests: Located<PolicyTestDocument>[];
  /** By `fixtureKey(test file, path as written)`. */
  fixtures: Map<string, Fixture>;
  /**
   * Problems of the files read (each with its relative `file`), with the policy named by the
   * PolicyTest document a problem is in, when that document could be read that far; for a
   * problem that keeps its document from being parsed at all (its syntax, a limit, a file not
   * read), the policies its file's lines name instead (`named`, see namedPolicies).
   */
  diagnostics: { diagnostic: Diagnostic; policy?: string; named?: readonly string[] }[];
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
    const mine = new Set(tests.map((t) => t.origin.file));
    // a problem in a document that names the policy is its own; one in a document that names
    // nothing readable belongs to the policies of its file (by document or by file name); one
    // that keeps a document from being parsed at all reaches every policy (fail closed: it may
    // be this policy's only test) unless its file's lines name only other policies
    const diagnostics = repo.diagnostics
      .filter(({ diagnostic: d, policy, named }) => {
        if (policy !== undefined) return policy === name;
        if (d.file !== undefined && (mine.has(d.file) || namesPolicy(d.file, name))) return true;
        return named !== undefined && (named.length === 0 || named.includes(name));
      })
      .map((d) => d.diagnostic);
    let empty: Empty | null = null;
    if (tests.length === 0)
      empty = diagnostics.some(isError)
        ? {
            reason: "invalid-tests",
            message: `every PolicyTest document for ${name} in the policy repository has errors (see diagnostics), so no case can run`,
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

/** Reads a file of at most MAX_TEST_FILE_BYTES; the reason it cannot otherwise. */
async function readBounded(path: string): Promise<Fixture> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return { error: "not a file" };
    if (info.size > MAX_TEST_FILE_BYTES)
      return {
        error: `larger than ${MAX_TEST_FILE_BYTES} bytes (${info.size}), the limit on test files and fixtures (the engine's manifest limit, as \`celgate test\` applies by default)`,
      };
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
      // nothing of it says which policy it tests: it reaches every policy
      out.diagnostics.push({
        diagnostic: { code: "input-too-large", message: `cannot read ${rel}: ${read.error}`, file: rel },
        named: [],
      });
      continue;
    }
    const parsed = parsePolicyDocuments(read.content, rel);
    const policyAt = parsed.diagnostics.length > 0 ? testPolicyByLine(read.content, rel) : () => undefined;
    for (const diagnostic of parsed.diagnostics) {
      // a document that cannot be read (its syntax, a limit) is none of the documents read: the
      // policies its lines name say whose it is
      if (isSyntax(diagnostic)) {
        out.diagnostics.push({ diagnostic, named: namedPolicies(read.content) });
        continue;
      }
      const policy = policyAt(diagnostic.line);
      out.diagnostics.push(policy === undefined ? { diagnostic } : { diagnostic, policy });
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
              ...(repo?.fixtures.get(fixtureKey(testFile, file)) ?? { error: "not read" }),
            },
          }),
      ...(t.doc.spec.now === undefined ? {} : { now: t.doc.spec.now }),
    };
  });
}
