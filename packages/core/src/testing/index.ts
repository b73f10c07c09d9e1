export type { RunTestsOptions, TestCaseResult, TestRunResult } from "./run-tests.js";
export { runPolicyTests } from "./run-tests.js";
