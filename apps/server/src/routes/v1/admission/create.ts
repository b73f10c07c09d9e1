import { AdmissionReviewRequestSchema, AdmissionReviewResponseSchema } from "@celgate/contracts";
import { readBody, validate } from "../../../lib/body.js";
import { defineRoute, EVALUATE, jsonContent } from "../../../lib/route.js";

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
    responses: { 200: jsonContent(AdmissionReviewResponseSchema, "The review's response") },
  },
  handler: async (c, s) => {
    const body = await readBody(c);
    const review = validate(AdmissionReviewRequestSchema, body.json, "AdmissionReview");
    return c.json(await s.admission.review(c.get("principal"), review), 200);
  },
});
