import { TokenSchema } from "@celgate/contracts";
import { z } from "zod";
import { ADMIN, defineRoute, errorResponse, jsonContent } from "../../../lib/route.js";

export default defineRoute({
  roles: ADMIN,
  openapi: {
    method: "delete",
    path: "/v1/tokens/{id}",
    tags: ["tokens"],
    summary: "Revoke a token",
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: jsonContent(TokenSchema, "Revoked"),
      404: errorResponse("No such token"),
      409: errorResponse("The last live admin token, or the token of CELGATE_ADMIN_TOKEN (tok_env_admin)"),
    },
  },
  handler: async (c, s) =>
    c.json(await s.tokens.revoke(c.get("principal").name, c.req.valid("param").id), 200),
});
