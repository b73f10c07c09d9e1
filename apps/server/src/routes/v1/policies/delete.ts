import { z } from "zod";
import { AUTHOR, defineRoute, errorResponse } from "../../../lib/route.js";
import { NameParam } from "./get.js";

export default defineRoute({
  roles: AUTHOR,
  openapi: {
    method: "delete",
    path: "/v1/policies/{name}",
    tags: ["policies"],
    summary: "Delete a policy",
    description: "`If-Match` is optional; when given it must match. Its versions stay readable.",
    request: { params: NameParam, headers: z.object({ "if-match": z.string().optional() }) },
    responses: {
      204: { description: "Deleted" },
      404: errorResponse("No such policy"),
      409: errorResponse("The policy comes from the repository"),
      412: errorResponse("Stale If-Match"),
    },
  },
  handler: async (c, s) => {
    await s.policies.remove(
      c.get("principal").name,
      c.req.valid("param").name,
      c.req.valid("header")["if-match"],
    );
    return c.body(null, 204);
  },
});
