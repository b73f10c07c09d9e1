import { ExceptionDocumentSchema, ExceptionResourceSchema } from "@celgate/contracts";
import { AUTHOR, defineRoute, errorResponse, jsonContent } from "../../../lib/route.js";

export default defineRoute({
  roles: AUTHOR,
  openapi: {
    method: "post",
    path: "/v1/exceptions",
    tags: ["exceptions"],
    summary: "Create an exception (waiver)",
    request: {
      body: {
        required: true,
        content: {
          "application/json": { schema: ExceptionDocumentSchema },
          "application/yaml": { schema: ExceptionDocumentSchema },
        },
      },
    },
    responses: {
      201: jsonContent(ExceptionResourceSchema, "Created"),
      409: errorResponse("An exception of that name exists"),
      422: errorResponse("Not a valid PolicyException"),
    },
  },
  handler: async (c, s) => {
    const e = await s.exceptions.create(c.get("principal").name, c.get("body"));
    c.header("ETag", e.etag);
    c.header("Location", `/v1/exceptions/${encodeURIComponent(e.name)}`);
    return c.json(e, 201);
  },
});
