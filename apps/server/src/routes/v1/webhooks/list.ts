import { PaginationQuerySchema, WebhookListSchema } from "@celgate/contracts";
import { validateQuery } from "../../../lib/body.js";
import { ADMIN, defineRoute, jsonContent } from "../../../lib/route.js";

export default defineRoute({
  roles: ADMIN,
  openapi: {
    method: "get",
    path: "/v1/webhooks",
    tags: ["webhooks"],
    summary: "List outgoing webhooks (never their secrets)",
    request: { query: PaginationQuerySchema },
    responses: { 200: jsonContent(WebhookListSchema, "A page of webhooks") },
  },
  handler: async (c, s) => c.json(await s.webhooks.list(validateQuery(c, PaginationQuerySchema)), 200),
});
