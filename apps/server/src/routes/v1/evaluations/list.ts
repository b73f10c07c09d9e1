import { EvaluationListQuerySchema, EvaluationListSchema, PaginationQuerySchema } from "@celgate/contracts";
import { z } from "zod";
import { defineRoute, jsonContent, READ } from "../../../lib/route.js";

const CONTEXT = "context.";
/**
 * Context filters one query may hold: each is a condition on the stored context that no index
 * serves, so a viewer's query of hundreds (a 16 KiB URL holds some 1,500) would make the
 * database check each of them against every row of the history.
 */
export const MAX_CONTEXT_FILTERS = 16;

/**
 * The declared filters and pagination, plus `context.<key>` filters; any other key is refused
 * like an unknown option of a strict query.
 */
const Query = EvaluationListQuerySchema.extend(PaginationQuerySchema.shape)
  .catchall(z.string())
  .superRefine((q, ctx) => {
    const filters = Object.keys(q).filter((key) => key.startsWith(CONTEXT)).length;
    if (filters > MAX_CONTEXT_FILTERS)
      ctx.addIssue({
        code: "custom",
        path: ["context"],
        message: `at most ${MAX_CONTEXT_FILTERS} context.<key> filters in one query, not ${filters}`,
      });
    for (const key of Object.keys(q)) {
      if (key in EvaluationListQuerySchema.shape || key in PaginationQuerySchema.shape) continue;
      const contextKey = key.startsWith(CONTEXT) ? key.slice(CONTEXT.length) : undefined;
      if (contextKey === undefined)
        ctx.addIssue({ code: "unrecognized_keys", keys: [key], input: q, path: [] });
      else if (!contextKey || contextKey.length > 100)
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: "a context filter is context.<key> with a key of 1 to 100 characters",
        });
    }
  });

export default defineRoute({
  roles: READ,
  openapi: {
    method: "get",
    path: "/v1/evaluations",
    tags: ["evaluations"],
    summary: "Evaluation history, newest first",
    description: `Filters combine with AND. \`namespace\`, \`kind\` and \`name\` must hold for one resource of the evaluation; \`policy\` selects evaluations where that policy had a non-skip result; \`image\` matches a reference as written or its digest; \`context.<key>=<value>\` matches the context given at evaluation time (at most ${MAX_CONTEXT_FILTERS} such filters).`,
    request: { query: Query },
    responses: { 200: jsonContent(EvaluationListSchema, "A page of history") },
  },
  handler: async (c, s) => {
    const q = c.req.valid("query");
    // no prototype: `context.__proto__=x` is a filter on that key like any other, where on a
    // plain object the assignment would be ignored and the filter dropped (matching everything)
    const context: Record<string, string> = Object.create(null);
    for (const [k, v] of Object.entries(q))
      if (k.startsWith(CONTEXT) && typeof v === "string") context[k.slice(CONTEXT.length)] = v;
    return c.json(await s.evaluations.list({ ...q, context }), 200);
  },
});
