import { ImageDigestSchema, StoredImageSchema } from "@celgate/contracts";
import { validate } from "../../../lib/body.js";
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
    const digest = validate(ImageDigestSchema, c.req.param("digest"), "digest in the path");
    return c.json(await s.images.get(digest), 200);
  },
});
