import { z } from "zod";
import { DiagnosticSchema, PolicySourceSchema } from "./policies.js";
import { OutcomeSchema } from "./report.js";

/**
 * Why a policy has no test cases: `api-policy`, it was created through the API, and only the
 * policy repository (CELGATE_POLICY_DIR) holds PolicyTest documents; `no-tests`, the repository
 * holds none for it; `invalid-tests`, no case of it could be read, and a test file that is or
 * may be about it has errors (`diagnostics`).
 */
export const POLICY_TESTS_ABSENT = ["api-policy", "no-tests", "invalid-tests"] as const;
export const PolicyTestsAbsentSchema = z.enum(POLICY_TESTS_ABSENT).meta({ id: "PolicyTestsAbsent" });

/** Said instead of cases when a policy has none: the reason and a sentence for people. */
export const PolicyTestsEmptySchema = z
  .object({ reason: PolicyTestsAbsentSchema, message: z.string() })
  .meta({ id: "PolicyTestsEmpty" });

/** The manifest file a case names with `file:`, as read from the repository. */
export const PolicyTestFixtureSchema = z
  .object({
    /** As written in the case: relative to its test file. */
    path: z.string(),
    /** The file's text; absent when it could not be read (`error` says why). */
    content: z.string().optional(),
    error: z.string().optional(),
  })
  .meta({ id: "PolicyTestFixture" });

/** One case of a PolicyTest document (see policy-format, "PolicyTest"). */
export const PolicyTestCaseSchema = z
  .object({
    /** The PolicyTest document's metadata.name. */
    test: z.string(),
    /** The test file, relative to the policy repository. */
    file: z.string(),
    /**
     * 1-based line and column of the case's entry in its PolicyTest file (`file`), as the run
     * and `celgate test` point at it; absent when unknown.
     */
    line: z.number().int().min(1).optional(),
    column: z.number().int().min(1).optional(),
    name: z.string(),
    expect: OutcomeSchema,
    /** The case's resource written inline... */
    resource: z.record(z.string(), z.unknown()).optional(),
    /** ...or the manifest file it names. */
    fixture: PolicyTestFixtureSchema.optional(),
    params: z.record(z.string(), z.unknown()).optional(),
    images: z.array(z.unknown()).optional(),
    context: z.record(z.string(), z.unknown()).optional(),
    namespaceObject: z.record(z.string(), z.unknown()).optional(),
    bundle: z.array(z.record(z.string(), z.unknown())).optional(),
    exceptions: z.array(z.unknown()).optional(),
    messageContains: z.string().optional(),
    /** The document's fixed clock, when it sets one. */
    now: z.string().optional(),
  })
  .meta({ id: "PolicyTestCase" });
export type PolicyTestCase = z.infer<typeof PolicyTestCaseSchema>;

/** Answer of `GET /v1/policies/{name}/tests`. */
export const PolicyTestListSchema = z
  .object({
    policy: z.string(),
    source: PolicySourceSchema,
    /** The stored version the cases run against. */
    version: z.number().int(),
    cases: z.array(PolicyTestCaseSchema),
    /** Why `cases` is empty; null when it is not. */
    empty: PolicyTestsEmptySchema.nullable(),
    /** Problems in the repository's test files that concern this policy (by file name or by document). */
    diagnostics: z.array(DiagnosticSchema),
  })
  .meta({ id: "PolicyTestList" });
export type PolicyTestList = z.infer<typeof PolicyTestListSchema>;

/** One case run: what it expected, what the policy gave, and why it failed. */
export const PolicyTestCaseResultSchema = z
  .object({
    test: z.string(),
    file: z.string(),
    /**
     * 1-based line and column of the case's entry in its PolicyTest file (`file`), as
     * `celgate test` prints them; absent when unknown.
     */
    line: z.number().int().min(1).optional(),
    column: z.number().int().min(1).optional(),
    name: z.string(),
    passed: z.boolean(),
    expected: OutcomeSchema,
    /** Absent when the case could not be evaluated (an unreadable fixture, say). */
    actual: OutcomeSchema.optional(),
    /** Why it failed, in one line; absent when it passed. */
    reason: z.string().optional(),
    /** The policy's messages for the case's resource (violations, or the error). */
    messages: z.array(z.string()),
  })
  .meta({ id: "PolicyTestCaseResult" });
export type PolicyTestCaseResult = z.infer<typeof PolicyTestCaseResultSchema>;

/** Answer of `POST /v1/policies/{name}/tests:run`: 200 whether the cases pass or not. */
export const PolicyTestRunSchema = z
  .object({
    policy: z.string(),
    source: PolicySourceSchema,
    version: z.number().int(),
    /**
     * The run's result: true only when there are cases, every one passed, and no test document
     * of the policy has an error (a broken document is a test that did not run).
     */
    ok: z.boolean(),
    passed: z.number().int(),
    failed: z.number().int(),
    cases: z.array(PolicyTestCaseResultSchema),
    empty: PolicyTestsEmptySchema.nullable(),
    /**
     * Problems in the repository's test files that concern this policy, as the listing gives
     * them: a document with an error is reported here (file, line, column, message), not run.
     */
    diagnostics: z.array(DiagnosticSchema),
  })
  .meta({ id: "PolicyTestRun" });
export type PolicyTestRun = z.infer<typeof PolicyTestRunSchema>;
