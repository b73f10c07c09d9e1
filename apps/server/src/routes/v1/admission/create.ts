import { AdmissionReviewRequestSchema, AdmissionReviewResponseSchema } from "@celgate/contracts";
import { defineRoute, EVALUATE, errorResponse, jsonContent } from "../../../lib/route.js";

export default defineRoute({
  roles: EVALUATE,
  openapi: {
    method: "post",
    path: "/v1/admission",
    tags: ["admission"],
    summary: "Kubernetes AdmissionReview v1 webhook",
    description:
      "Evaluates `request.object` against the policy set in force and records it in history (source `admission`). The `uid` is echoed; a deny decision answers `allowed: false` with a 403 status message; failing warn-action policies become `warnings`.",
    request: {
      body: { required: true, content: { "application/json": { schema: AdmissionReviewRequestSchema } } },
    },
    responses: {
      200: jsonContent(AdmissionReviewResponseSchema, "The review's response"),
      422: errorResponse("The object is too large to evaluate"),
    },
  },
  handler: async (c, s) => c.json(await s.admission.review(c.get("principal"), c.req.valid("json")), 200),
});
