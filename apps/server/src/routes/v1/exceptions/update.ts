import { ExceptionDocumentSchema, ExceptionResourceSchema } from "@celgate/contracts";
import { z } from "zod";
import { AUTHOR, defineRoute, errorResponse, jsonContent } from "../../../lib/route.js";
import { NameParam } from "./get.js";

export default defineRoute({
  roles: AUTHOR,
  openapi: {
    method: "put",
    path: "/v1/exceptions/{name}",
    tags: ["exceptions"],
    summary: "Replace an exception",
    description: "`If-Match` with the current ETag is required: 428 without it, 412 when it is stale.",
    request: {
      params: NameParam,
      headers: z.object({ "if-match": z.string() }),
      body: {
        required: true,
        content: {
          "application/json": { schema: ExceptionDocumentSchema },
          "application/yaml": { schema: ExceptionDocumentSchema },
        },
      },
    },
    responses: {
      200: jsonContent(ExceptionResourceSchema, "Replaced"),
      404: errorResponse("No such exception"),
      412: errorResponse("Stale If-Match"),
      422: errorResponse("Not a valid PolicyException"),
      428: errorResponse("If-Match missing"),
    },
  },
  handler: async (c, s) => {
    const e = await s.exceptions.replace(
      c.get("principal").name,
      c.req.valid("param").name,
      c.req.valid("header")["if-match"],
      c.get("body"),
    );
    c.header("ETag", e.etag);
    return c.json(e, 200);
  },
});
