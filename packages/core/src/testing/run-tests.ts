import type { CompiledPolicySet } from "../compile/compile.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { evaluate } from "../evaluate/evaluate.js";
import { parseImageFacts } from "../images/parse.js";
import type { ImageFacts } from "../images/types.js";
import type { Located } from "../policy/parse.js";
import { type ExceptionDocument, exceptionSchema, type PolicyTestDocument } from "../policy/schema.js";
import type { Outcome } from "../report/types.js";
import { parseManifests, resourcesFromObjects } from "../resources/parse.js";
import type { Resource } from "../resources/types.js";

export interface TestCaseResult {
  test: string;
  policy: string;
  case: string;
  file?: string;
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
  /** Reads a fixture named by a case's `file:` relative to the test document's file; undefined when unreadable. */
  readFixture?: (testFile: string | undefined, path: string) => string | undefined;
}

/**
 * Runs PolicyTest documents against a compiled policy set: each case evaluates its resource
 * (plus its bundle) with the named policy alone and compares the outcome, and optionally the
 * message. A case whose inputs cannot be read fails with the reason. Never throws.
 */
export function runPolicyTests(
  tests: readonly Located<PolicyTestDocument>[],
  set: CompiledPolicySet,
  options: RunTestsOptions = {},
): TestRunResult {
  const cases: TestCaseResult[] = [];
  for (const { doc, origin } of tests) {
    const policy = doc.spec.policy;
    doc.spec.cases.forEach((testCase, index) => {
      const base = {
        test: doc.metadata.name,
        policy,
        case: testCase.name,
        file: origin.file,
        expected: testCase.expect as Outcome,
        messages: [] as string[],
      };
      const fail = (reason: string, actual?: Outcome): TestCaseResult => ({
        ...base,
        passed: false,
        actual,
        reason,
      });
      if (!set.byName.has(policy)) {
        cases.push(fail(`policy ${policy} is not in the policy set (or did not compile)`));
        return;
      }
      const inputs = caseInputs(testCase, origin.file, index, options);
      if ("error" in inputs) {
        cases.push(fail(inputs.error));
        return;
      }
      const report = evaluate(set, {
        resources: inputs.resources,
        images: inputs.images,
        exceptions: inputs.exceptions,
        params: testCase.params ? { [policy]: testCase.params } : undefined,
        context: testCase.context,
        namespaces: testCase.namespaceObject ? [testCase.namespaceObject] : undefined,
        now: doc.spec.now ? new Date(doc.spec.now) : undefined,
        policies: [policy],
        includeSkipped: true,
      });
      const subject = inputs.resources[0]!.ref;
      const result = report.results.find((r) => r.resource === subject && r.policy === policy);
      const actual = result?.outcome ?? "skip";
      const messages = [
        ...(result?.violations.map((v) => v.message) ?? []),
        ...(result?.error ? [result.error] : []),
      ];
      if (actual !== testCase.expect) {
        cases.push({
          ...fail(
            `expected ${testCase.expect}, got ${actual}${messages.length ? `: ${messages.join("; ")}` : ""}`,
            actual,
          ),
          messages,
        });
        return;
      }
      if (
        testCase.messageContains !== undefined &&
        !messages.some((m) => m.includes(testCase.messageContains!))
      ) {
        cases.push({
          ...fail(
            `no message contains ${JSON.stringify(testCase.messageContains)}; got ${JSON.stringify(messages)}`,
            actual,
          ),
          messages,
        });
        return;
      }
      cases.push({ ...base, passed: true, actual, messages });
    });
  }
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
    ({ resources, diagnostics } = parseManifests(text, testCase.file));
  } else {
    ({ resources, diagnostics } = resourcesFromObjects(
      [testCase.resource],
      `${file ?? "<test>"}#cases[${index}]`,
    ));
  }
  const errors = diagnostics.filter((d) => d.severity !== "warning");
  if (errors.length > 0 || resources.length === 0) {
    return {
      error: `case resource is not usable: ${errors[0]?.message ?? diagnostics[0]?.message ?? "no Kubernetes object"}`,
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
