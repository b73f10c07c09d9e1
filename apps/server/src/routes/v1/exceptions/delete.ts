import { z } from "zod";
import { AUTHOR, defineRoute, errorResponse } from "../../../lib/route.js";
import { NameParam } from "./get.js";

export default defineRoute({
  roles: AUTHOR,
  openapi: {
    method: "delete",
    path: "/v1/exceptions/{name}",
    tags: ["exceptions"],
    summary: "Delete an exception",
    request: { params: NameParam, headers: z.object({ "if-match": z.string().optional() }) },
    responses: {
      204: { description: "Deleted" },
      404: errorResponse("No such exception"),
      412: errorResponse("Stale If-Match"),
    },
  },
  handler: async (c, s) => {
    await s.exceptions.remove(
      c.get("principal").name,
      c.req.valid("param").name,
      c.req.valid("header")["if-match"],
    );
    return c.body(null, 204);
  },
});
