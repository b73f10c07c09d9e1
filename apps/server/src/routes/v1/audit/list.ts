import { AuditListQuerySchema, AuditListSchema, PaginationQuerySchema } from "@celgate/contracts";
import { defineRoute, jsonContent, READ } from "../../../lib/route.js";

const Query = AuditListQuerySchema.extend(PaginationQuerySchema.shape);

export default defineRoute({
  roles: READ,
  openapi: {
    method: "get",
    path: "/v1/audit",
    tags: ["audit"],
    summary: "Every change to policies, exceptions and tokens, newest first",
    request: { query: Query },
    responses: { 200: jsonContent(AuditListSchema, "A page of the audit log") },
  },
  handler: async (c, s) => c.json(await s.audit.list(c.req.valid("query")), 200),
});
