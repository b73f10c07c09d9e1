import { z } from "zod";
import { ADMIN, defineRoute, errorResponse } from "../../../lib/route.js";

export default defineRoute({
  roles: ADMIN,
  openapi: {
    method: "delete",
    path: "/v1/webhooks/{id}",
    tags: ["webhooks"],
    summary: "Delete a webhook and its undelivered deliveries",
    request: { params: z.object({ id: z.string() }) },
    responses: { 204: { description: "Deleted" }, 404: errorResponse("No such webhook") },
  },
  handler: async (c, s) => {
    await s.webhooks.remove(c.get("principal").name, c.req.param("id")!);
    return c.body(null, 204);
  },
});
