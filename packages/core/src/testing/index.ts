export { runPolicyTests } from "./run-tests.js";
export type { RunTestsOptions, TestCaseResult, TestRunResult } from "./run-tests.js";
