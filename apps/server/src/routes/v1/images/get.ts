import { StoredImageSchema } from "@celgate/contracts";
import { defineRoute, errorResponse, jsonContent, READ } from "../../../lib/route.js";
import { DigestParam } from "./put.js";

export default defineRoute({
  roles: READ,
  openapi: {
    method: "get",
    path: "/v1/images/{digest}",
    tags: ["images"],
    summary: "Read the stored facts of an image",
    request: { params: DigestParam },
    responses: { 200: jsonContent(StoredImageSchema, "The facts"), 404: errorResponse("Nothing stored") },
  },
  handler: async (c, s) => {
    return c.json(await s.images.get(c.req.valid("param").digest), 200);
  },
});
