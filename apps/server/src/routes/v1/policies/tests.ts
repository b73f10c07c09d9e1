import { PolicyTestListSchema, PolicyTestRunSchema } from "@celgate/contracts";
import { defineRoute, errorResponse, jsonContent, READ } from "../../../lib/route.js";
import { NameParam } from "./get.js";

// Every role may read and run a policy's tests: the cases are the repository's own (no input
// comes from the caller), nothing is recorded, and `celgate test` on the same folder shows the
// same. A run costs what its cases cost, each bounded by the evaluator's time limit, and it
// passes through the same concurrency limit as evaluations (app.ts).

export const listTests = defineRoute({
  roles: READ,
  openapi: {
    method: "get",
    path: "/v1/policies/{name}/tests",
    tags: ["policies"],
    summary: "The PolicyTest cases of a policy",
    description:
      "The cases of the PolicyTest documents beside the policy in the policy repository (CELGATE_POLICY_DIR), each with its expected outcome and its resource (inline, or the fixture file's text). Each case has its line and column in its test file. A policy created through the API has none: `cases` is empty and `empty.reason` says why (`api-policy`; `no-tests` for a repository policy without tests; `invalid-tests` when no case can run and `diagnostics` holds an error). `diagnostics` lists the problems in the policy's test files, and those of every test file that cannot be read or attributed to a policy that exists (YAML that does not parse, an empty test file, a test of a policy not in the repository, a symbolic link), each with its file and line.",
    request: { params: NameParam },
    responses: {
      200: jsonContent(PolicyTestListSchema, "The cases"),
      404: errorResponse("No such policy"),
    },
  },
  handler: async (c, s) => c.json(await s.policyTests.list(c.req.valid("param").name), 200),
});

export const runTests = defineRoute({
  roles: READ,
  openapi: {
    method: "post",
    path: "/v1/policies/{name}/tests:run",
    tags: ["policies"],
    summary: "Run a policy's tests against its stored version",
    description:
      "Evaluates each case with the stored policy alone, on the evaluator (its workers and its time limit per evaluation), and answers 200 with each case's expected and actual outcome, whether it passed, why not, and the policy's messages. Records nothing. A test document with an error is not run: it is in `diagnostics` (file, line, column, message) and the run fails (`ok: false`). `ok` is true only when there are cases, all pass, and no test document has an error. A policy without tests answers with no cases and `empty.reason`.",
    request: { params: NameParam },
    responses: {
      200: jsonContent(PolicyTestRunSchema, "Each case's result"),
      404: errorResponse("No such policy"),
    },
  },
  handler: async (c, s) => c.json(await s.policyTests.run(c.req.valid("param").name), 200),
});
