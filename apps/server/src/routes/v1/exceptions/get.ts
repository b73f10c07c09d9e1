import { ExceptionResourceSchema } from "@celgate/contracts";
import { z } from "zod";
import { defineRoute, errorResponse, jsonContent, READ } from "../../../lib/route.js";

export const NameParam = z.object({ name: z.string() });

export default defineRoute({
  roles: READ,
  openapi: {
    method: "get",
    path: "/v1/exceptions/{name}",
    tags: ["exceptions"],
    summary: "Read an exception (with ETag)",
    request: { params: NameParam },
    responses: {
      200: jsonContent(ExceptionResourceSchema, "The exception"),
      404: errorResponse("No such exception"),
    },
  },
  handler: async (c, s) => {
    const e = await s.exceptions.get(c.req.valid("param").name);
    c.header("ETag", e.etag);
    return c.json(e, 200);
  },
});
