import { PaginationQuerySchema, TokenListSchema } from "@celgate/contracts";
import { ADMIN, defineRoute, jsonContent } from "../../../lib/route.js";

export default defineRoute({
  roles: ADMIN,
  openapi: {
    method: "get",
    path: "/v1/tokens",
    tags: ["tokens"],
    summary: "List tokens (never their secrets)",
    request: { query: PaginationQuerySchema },
    responses: { 200: jsonContent(TokenListSchema, "A page of tokens") },
  },
  handler: async (c, s) => {
    const q = c.req.valid("query");
    return c.json(await s.tokens.list(q.limit, q.cursor), 200);
  },
});
