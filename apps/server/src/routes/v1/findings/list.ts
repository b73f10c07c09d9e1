import { FindingListQuerySchema, FindingListSchema, PaginationQuerySchema } from "@celgate/contracts";
import { validateQuery } from "../../../lib/body.js";
import { defineRoute, jsonContent, READ } from "../../../lib/route.js";

const Query = FindingListQuerySchema.extend(PaginationQuerySchema.shape);

export default defineRoute({
  roles: READ,
  openapi: {
    method: "get",
    path: "/v1/findings",
    tags: ["findings"],
    summary: "Deployed objects that a re-evaluation found failing, newest first",
    description:
      "A finding opens when a re-evaluation (after a new scan, a policy or exception change, or an exception's expiry) turns an object that passed a policy into one that fails it, and resolves when it passes again or is deleted. `?status=open` (default), `resolved` or `all`; `?severity=high` returns high and critical.",
    request: { query: Query },
    responses: { 200: jsonContent(FindingListSchema, "A page of findings") },
  },
  handler: async (c, s) => c.json(await s.findings.list(validateQuery(c, Query)), 200),
});
