import { PaginationQuerySchema, WebhookListSchema } from "@celgate/contracts";
import { validateQuery } from "../../../lib/body.js";
import { ADMIN, defineRoute, jsonContent } from "../../../lib/route.js";

export default defineRoute({
  roles: ADMIN,
  openapi: {
    method: "get",
    path: "/v1/webhooks",
    tags: ["webhooks"],
    summary: "List outgoing webhooks: URLs redacted, never their secrets",
    description:
      "Each `url` is redacted: its scheme, host and port, then `/…` in place of any userinfo, path, query or fragment (where incoming-webhook URLs carry their token), e.g. `https://hooks.slack.com/…`. Tell webhooks to one host apart by `description`.",
    request: { query: PaginationQuerySchema },
    responses: { 200: jsonContent(WebhookListSchema, "A page of webhooks") },
  },
  handler: async (c, s) => c.json(await s.webhooks.list(validateQuery(c, PaginationQuerySchema)), 200),
});
