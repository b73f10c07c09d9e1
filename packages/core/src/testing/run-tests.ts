import type { CompiledPolicySet } from "../compile/compile.js";
import { paramProblems } from "../compile/params.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { type EvaluateInput, evaluate } from "../evaluate/evaluate.js";
import { checkImageFactsOrder } from "../images/order.js";
import { parseImageFacts } from "../images/parse.js";
import type { ImageFacts } from "../images/types.js";
import { fixedLimitDiagnostic, type Located } from "../policy/parse.js";
import { type ExceptionDocument, exceptionSchema, type PolicyTestDocument } from "../policy/schema.js";
import { firstDocumentObjects, severalSubjectsMessage } from "../policy/test-objects.js";
import { resourceKey } from "../report/outcome.js";
import type { EvaluationReport, Outcome, ResourceRef } from "../report/types.js";
import { parseManifests, resourcesFromObjects } from "../resources/parse.js";
import type { Resource } from "../resources/types.js";
import { formatPath } from "../util/path.js";

export interface TestCaseResult {
  test: string;
  policy: string;
  case: string;
  file?: string;
  /** 1-based line and column of the case's entry in its PolicyTest document, when known. */
  line?: number;
  column?: number;
  passed: boolean;
  expected: Outcome;
  actual?: Outcome;
  /** Why it failed, in one line. */
  reason?: string;
  messages: string[];
}

export interface TestRunResult {
  cases: TestCaseResult[];
  passed: number;
  failed: number;
}

export interface RunTestsOptions {
  /**
   * Reads a fixture named by a case's `file:` relative to the test document's file: its text,
   * or why it cannot be read (`{error}`, shown after "cannot read fixture PATH: "), or
   * undefined when it is unreadable for no reason worth saying.
   */
  readFixture?: (testFile: string | undefined, path: string) => string | { error: string } | undefined;
}

/**
 * One case ready to evaluate: its evaluation input, or the failure that stops it before any
 * evaluation (a policy not in the set, a fixture that cannot be read). `judgeTestCase` turns it
 * and the report of its input into a result.
 */
export type PlannedTestCase =
  | { base: CaseBase; input: EvaluateInput; subject: ResourceRef; messageContains?: string }
  | { base: CaseBase; failure: string };

interface CaseBase {
  test: string;
  policy: string;
  case: string;
  file?: string;
  line?: number;
  column?: number;
  expected: Outcome;
}

/**
 * Prepares every case of the PolicyTest documents: each evaluates its resource (plus its bundle)
 * with the named policy alone. Does not evaluate; never throws. The service evaluates the inputs
 * on its evaluator workers, `runPolicyTests` in process, and both judge with `judgeTestCase`.
 */
export function planPolicyTests(
  tests: readonly Located<PolicyTestDocument>[],
  set: CompiledPolicySet,
  options: RunTestsOptions = {},
): PlannedTestCase[] {
  const planned: PlannedTestCase[] = [];
  for (const { doc, origin } of tests) {
    const policy = doc.spec.policy;
    doc.spec.cases.forEach((testCase, index) => {
      // the case's own entry, so that a failure points at it and not at its file alone
      const at = origin.position?.(["spec", "cases", index]);
      const base: CaseBase = {
        test: doc.metadata.name,
        policy,
        case: testCase.name,
        ...(origin.file === undefined ? {} : { file: origin.file }),
        ...(at ? { line: at.line, column: at.column } : {}),
        expected: testCase.expect as Outcome,
      };
      if (!set.byName.has(policy)) {
        planned.push({ base, failure: `policy ${policy} is not in the policy set (or did not compile)` });
        return;
      }
      // a key the policy neither declares nor reads would change nothing: the case would pass
      // or fail for another reason than the one it states
      const [unknownParam] = paramProblems(set, testCase.params ? { [policy]: testCase.params } : undefined);
      if (unknownParam) {
        planned.push({ base, failure: `params.${unknownParam.key}: ${unknownParam.message}` });
        return;
      }
      const inputs = caseInputs(testCase, origin.file, index, options);
      if ("error" in inputs) {
        planned.push({ base, failure: inputs.error });
        return;
      }
      planned.push({
        base,
        subject: inputs.resources[0]!.ref,
        ...(testCase.messageContains === undefined ? {} : { messageContains: testCase.messageContains }),
        input: {
          resources: inputs.resources,
          images: inputs.images,
          exceptions: inputs.exceptions,
          params: testCase.params ? { [policy]: testCase.params } : undefined,
          context: testCase.context,
          namespaces: testCase.namespaceObject ? [testCase.namespaceObject] : undefined,
          now: doc.spec.now ? new Date(doc.spec.now) : undefined,
          policies: [policy],
          includeSkipped: true,
        },
      });
    });
  }
  return planned;
}

/**
 * One error per PolicyTest document whose `spec.policy` is none of `policyNames` (the policies
 * read, whether they compile or not), at that field: such a test can never run, which
 * `validate` and `test` say before running anything (planPolicyTests fails each of its cases
 * too). `where` says where the policies were looked for, and why one may be missing (the
 * CLI's default: among the files given). Never throws.
 */
export function unknownPolicyDiagnostics(
  tests: readonly Located<PolicyTestDocument>[],
  policyNames: ReadonlySet<string>,
  where = "read (a typo, or its file was not given)",
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { doc, origin } of tests) {
    const name = doc.spec.policy;
    if (policyNames.has(name)) continue;
    const at = origin.position?.(["spec", "policy"]);
    const count = policyNames.size;
    out.push({
      code: "unknown-policy",
      message: `PolicyTest ${doc.metadata.name} tests policy ${name}, which is not among the ${count} ${count === 1 ? "policy" : "policies"} ${where}`,
      path: "spec.policy",
      ...(origin.file === undefined ? {} : { file: origin.file }),
      ...(at ? { line: at.line, column: at.column, sourceLine: at.sourceLine } : {}),
    });
  }
  return out;
}

/**
 * One error per param of a PolicyTest case that its policy neither declares nor reads (core's
 * paramProblems), at the param's key: setting it would change nothing, so the case would not
 * test what it says, which `validate` and `test` say before running anything
 * (planPolicyTests fails such a case too). Tests of a policy not in `set` are left to
 * unknownPolicyDiagnostics. Never throws.
 */
export function unknownParamDiagnostics(
  tests: readonly Located<PolicyTestDocument>[],
  set: CompiledPolicySet,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { doc, origin } of tests) {
    const policy = doc.spec.policy;
    if (!set.byName.has(policy)) continue;
    doc.spec.cases.forEach((testCase, index) => {
      for (const problem of paramProblems(set, testCase.params ? { [policy]: testCase.params } : undefined)) {
        const path = ["spec", "cases", index, "params", problem.key ?? ""];
        const at = origin.position?.(path, "key");
        out.push({
          code: "schema",
          message: problem.message,
          path: formatPath(path),
          ...(origin.file === undefined ? {} : { file: origin.file }),
          ...(at ? { line: at.line, column: at.column, sourceLine: at.sourceLine } : {}),
        });
      }
    });
  }
  return out;
}

/**
 * The result of one planned case: compares the outcome of its policy on its resource in
 * `report` (the evaluation of its input) with the expected one, and the message if the case
 * asks. A case planned as a failure fails with its reason; `report` is then ignored. Never throws.
 */
export function judgeTestCase(planned: PlannedTestCase, report?: EvaluationReport): TestCaseResult {
  const { base } = planned;
  const fail = (reason: string, actual?: Outcome, messages: string[] = []): TestCaseResult => ({
    ...base,
    passed: false,
    ...(actual === undefined ? {} : { actual }),
    reason,
    messages,
  });
  if ("failure" in planned) return fail(planned.failure);
  if (!report) return fail("the case was not evaluated");
  // by value: a report made on a worker thread holds copies of the input's references
  const subject = resourceKey(planned.subject);
  const result = report.results.find((r) => r.policy === base.policy && resourceKey(r.resource) === subject);
  const actual = result?.outcome ?? "skip";
  const messages = [
    ...(result?.violations.map((v) => v.message) ?? []),
    ...(result?.error ? [result.error] : []),
  ];
  if (actual !== base.expected)
    return fail(
      `expected ${base.expected}, got ${actual}${messages.length ? `: ${messages.join("; ")}` : ""}`,
      actual,
      messages,
    );
  const wanted = planned.messageContains;
  if (wanted !== undefined && !messages.some((m) => m.includes(wanted)))
    return fail(
      `no message contains ${JSON.stringify(wanted)}; got ${JSON.stringify(messages)}`,
      actual,
      messages,
    );
  return { ...base, passed: true, actual, messages };
}

/**
 * Runs PolicyTest documents against a compiled policy set, in process: plans every case,
 * evaluates its input and judges it. A case whose inputs cannot be read fails with the
 * reason. Never throws.
 */
export function runPolicyTests(
  tests: readonly Located<PolicyTestDocument>[],
  set: CompiledPolicySet,
  options: RunTestsOptions = {},
): TestRunResult {
  const cases = planPolicyTests(tests, set, options).map((p) =>
    judgeTestCase(p, "input" in p ? evaluate(set, p.input) : undefined),
  );
  return summarizeTestRun(cases);
}

/** Counts passed and failed cases. */
export function summarizeTestRun(cases: TestCaseResult[]): TestRunResult {
  const passed = cases.filter((c) => c.passed).length;
  return { cases, passed, failed: cases.length - passed };
}

function caseInputs(
  testCase: PolicyTestDocument["spec"]["cases"][number],
  file: string | undefined,
  index: number,
  options: RunTestsOptions,
): { resources: Resource[]; images: ImageFacts[]; exceptions: ExceptionDocument[] } | { error: string } {
  let resources: Resource[];
  let diagnostics: Diagnostic[];
  if (testCase.file !== undefined) {
    const text = options.readFixture?.(file, testCase.file);
    if (text === undefined) return { error: `cannot read fixture ${testCase.file}` };
    if (typeof text !== "string") return { error: `cannot read fixture ${testCase.file}: ${text.error}` };
    ({ resources, diagnostics } = parseManifests(text, testCase.file));
  } else {
    ({ resources, diagnostics } = resourcesFromObjects(
      [testCase.resource],
      `${file ?? "<test>"}#cases[${index}]`,
    ));
  }
  // a fixture is read under the default limits, as its test file is
  const errors = diagnostics.filter((d) => d.severity !== "warning").map(fixedLimitDiagnostic);
  if (errors.length > 0 || resources.length === 0) {
    return {
      error: `case resource is not usable: ${errors[0]?.message ?? diagnostics[0]?.message ?? "no Kubernetes object"}`,
    };
  }
  // the subject is one object: never the first of a list, the others judged by nobody
  const subject = testCase.file === undefined ? resources : firstDocumentObjects(resources);
  if (subject.length > 1) {
    const kind = testCase.file === undefined ? testCase.resource?.kind : undefined;
    return {
      error: severalSubjectsMessage(
        testCase.file === undefined ? { resource: true } : { fixture: testCase.file },
        kind,
        subject.length,
      ),
    };
  }
  if (testCase.bundle) {
    const extra = resourcesFromObjects(testCase.bundle, `${file ?? "<test>"}#cases[${index}].bundle`);
    resources.push(...extra.resources);
  }
  let images: ImageFacts[] = [];
  if (testCase.images) {
    const parsed = parseImageFacts(testCase.images, `${file ?? "<test>"}#cases[${index}].images`);
    const bad = parsed.diagnostics.filter((d) => d.severity !== "warning");
    if (bad.length > 0) return { error: `case images are not usable: ${bad[0]!.message}` };
    // the CLI's --images and the service's inline images refuse facts whose order would decide
    const what = `${file ?? "<test>"}#cases[${index}].images`;
    const order = checkImageFactsOrder(parsed.images, { what, name: (i) => `${what}[${i}]` });
    if (order) return { error: `case images are not usable: ${order.message}` };
    images = parsed.images;
  }
  const exceptions: ExceptionDocument[] = [];
  for (const raw of testCase.exceptions ?? []) {
    const parsed = exceptionSchema.safeParse(raw);
    if (!parsed.success) return { error: `case exception is not valid: ${parsed.error.issues[0]?.message}` };
    exceptions.push(parsed.data);
  }
  return { resources, images, exceptions };
}
