import { ImageFactsInputSchema, ImagePushResultSchema } from "@celgate/contracts";
import { defineRoute, EVALUATE, errorResponse, jsonContent } from "../../../lib/route.js";

export default defineRoute({
  roles: EVALUATE,
  openapi: {
    method: "post",
    path: "/v1/images",
    tags: ["images"],
    summary: "Store the facts of every image in a document",
    description:
      "The body is native image facts (one or a list), a Trivy JSON report or a Grype JSON report (detected). Each image is stored under its digest when it has one, else under its normalised `registry/repository:tag` (a scan of a tag has no digest; `latest` without a tag); evaluations find them by digest or by name and tag. Answers the stored keys.",
    request: {
      body: { required: true, content: { "application/json": { schema: ImageFactsInputSchema } } },
    },
    responses: {
      200: jsonContent(ImagePushResultSchema, "Stored; `created` says which keys are new"),
      400: errorResponse("Not image facts"),
      422: errorResponse("Facts of an unknown format, or describing no image"),
    },
  },
  handler: async (c, s) => {
    return c.json(await s.images.push(c.get("principal").name, c.req.valid("json")), 200);
  },
});
