import { EvaluationListQuerySchema, EvaluationListSchema, PaginationQuerySchema } from "@celgate/contracts";
import { validateQuery } from "../../../lib/body.js";
import { problems } from "../../../lib/errors.js";
import { defineRoute, jsonContent, READ } from "../../../lib/route.js";

const Query = EvaluationListQuerySchema.extend(PaginationQuerySchema.shape);

export default defineRoute({
  roles: READ,
  openapi: {
    method: "get",
    path: "/v1/evaluations",
    tags: ["evaluations"],
    summary: "Evaluation history, newest first",
    description:
      "Filters combine with AND. `namespace`, `kind` and `name` must hold for one resource of the evaluation; `policy` selects evaluations where that policy had a non-skip result; `image` matches a reference as written or its digest; `context.<key>=<value>` matches the context given at evaluation time.",
    request: { query: Query },
    responses: { 200: jsonContent(EvaluationListSchema, "A page of history") },
  },
  handler: async (c, s) => {
    // Unknown keys are dropped by the schema; `context.*` ones are collected here.
    const q = validateQuery(c, Query);
    const context: Record<string, string> = {};
    for (const [k, v] of Object.entries(c.req.query())) {
      if (!k.startsWith("context.")) continue;
      const key = k.slice("context.".length);
      if (!key || key.length > 100) throw problems.badRequest(`invalid context filter ${k}`);
      context[key] = v;
    }
    return c.json(await s.evaluations.list({ ...q, context }), 200);
  },
});
