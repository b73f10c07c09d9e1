import {
  EvaluationStatsQuerySchema,
  EvaluationStatsSchema,
  MAX_STATS_BUCKETS,
  STATS_DEFAULT_DAYS,
} from "@celgate/contracts";
import { defineRoute, errorResponse, jsonContent, READ } from "../../../lib/route.js";
import { evaluationStats } from "../../../services/evaluation-stats.js";

export default defineRoute({
  roles: READ,
  openapi: {
    method: "get",
    path: "/v1/evaluations:stats",
    tags: ["evaluations"],
    summary: "Evaluations counted per period, source and decision",
    description: `Counts the evaluations recorded from \`since\` (default: ${STATS_DEFAULT_DAYS} days before \`until\`) to \`until\` (default: now), both included as in the history list's filters, per UTC hour or day (default day), source and decision. The counting is done by the database: every evaluation of the range counts, however many. Only non-zero counts are listed. A range of more than ${MAX_STATS_BUCKETS} periods, or one that ends before it starts, is a 400.`,
    request: { query: EvaluationStatsQuerySchema },
    responses: {
      200: jsonContent(EvaluationStatsSchema, "The counts"),
      400: errorResponse("A range of more than the bucket limit, or until before since"),
    },
  },
  handler: async (c, s) => c.json(await evaluationStats(s.database.db, c.req.valid("query")), 200),
});
