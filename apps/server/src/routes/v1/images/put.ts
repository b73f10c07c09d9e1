import { ImageDigestSchema, ImageFactsInputSchema, StoredImageSchema } from "@celgate/contracts";
import { z } from "zod";
import { defineRoute, EVALUATE, errorResponse, jsonContent } from "../../../lib/route.js";

export const DigestParam = z.object({ digest: ImageDigestSchema });

export default defineRoute({
  roles: EVALUATE,
  openapi: {
    method: "put",
    path: "/v1/images/{digest}",
    tags: ["images"],
    summary: "Store the facts of an image",
    description:
      "The body is native image facts, a Trivy JSON report or a Grype JSON report (detected). Evaluations use stored facts for every image referenced by this digest (or by the facts' name and tag).",
    request: {
      params: DigestParam,
      body: { required: true, content: { "application/json": { schema: ImageFactsInputSchema } } },
    },
    responses: {
      200: jsonContent(StoredImageSchema, "Replaced"),
      201: jsonContent(StoredImageSchema, "Stored"),
      422: errorResponse("The facts describe another image"),
    },
  },
  handler: async (c, s) => {
    const { image, created } = await s.images.put(
      c.get("principal").name,
      c.req.valid("param").digest,
      c.req.valid("json"),
    );
    return c.json(image, created ? 201 : 200);
  },
});
