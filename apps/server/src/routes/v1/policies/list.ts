import { PaginationQuerySchema, PolicyListQuerySchema, PolicyListSchema } from "@celgate/contracts";
import { defineRoute, jsonContent, READ } from "../../../lib/route.js";

const Query = PolicyListQuerySchema.extend(PaginationQuerySchema.shape);

export default defineRoute({
  roles: READ,
  openapi: {
    method: "get",
    path: "/v1/policies",
    tags: ["policies"],
    summary: "List policies",
    description:
      "`?select=` filters by a Kubernetes label selector over policy labels (`pss in (baseline,restricted)`).",
    request: { query: Query },
    responses: { 200: jsonContent(PolicyListSchema, "A page of policies") },
  },
  handler: async (c, s) => {
    const q = c.req.valid("query");
    return c.json(await s.policies.list(q), 200);
  },
});
