export type { PlannedTestCase, RunTestsOptions, TestCaseResult, TestRunResult } from "./run-tests.js";
export {
  judgeTestCase,
  planPolicyTests,
  runPolicyTests,
  summarizeTestRun,
  unknownPolicyDiagnostics,
} from "./run-tests.js";
