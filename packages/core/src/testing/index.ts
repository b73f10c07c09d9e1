export type { PlannedTestCase, RunTestsOptions, TestCaseResult, TestRunResult } from "./run-tests.js";
export {
  judgeTestCase,
  planPolicyTests,
  runPolicyTests,
  summarizeTestRun,
  unknownParamDiagnostics,
  unknownPolicyDiagnostics,
} from "./run-tests.js";
export { testFileDiagnostics } from "./test-files.js";
