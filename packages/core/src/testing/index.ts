export type { PlannedTestCase, RunTestsOptions, TestCaseResult, TestRunResult } from "./run-tests.js";
export { judgeTestCase, planPolicyTests, runPolicyTests, summarizeTestRun } from "./run-tests.js";
