import { CreatedTokenSchema, CreateTokenRequestSchema } from "@celgate/contracts";
import { ADMIN, defineRoute, jsonContent } from "../../../lib/route.js";

export default defineRoute({
  roles: ADMIN,
  openapi: {
    method: "post",
    path: "/v1/tokens",
    tags: ["tokens"],
    summary: "Create a token; its secret is in this response only",
    request: {
      body: { required: true, content: { "application/json": { schema: CreateTokenRequestSchema } } },
    },
    responses: { 201: jsonContent(CreatedTokenSchema, "Created") },
  },
  handler: async (c, s) => {
    const token = await s.tokens.create(c.get("principal").name, c.req.valid("json"));
    c.header("Cache-Control", "no-store");
    return c.json(token, 201);
  },
});
