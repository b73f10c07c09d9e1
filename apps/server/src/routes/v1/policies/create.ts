import { PolicyDocumentSchema, PolicyResourceSchema } from "@celgate/contracts";
import { AUTHOR, defineRoute, errorResponse, jsonContent } from "../../../lib/route.js";

export default defineRoute({
  roles: AUTHOR,
  openapi: {
    method: "post",
    path: "/v1/policies",
    tags: ["policies"],
    summary: "Create a policy",
    description: "The body is one Policy document, as JSON or YAML (`Content-Type: application/yaml`).",
    request: {
      body: {
        required: true,
        content: {
          "application/json": { schema: PolicyDocumentSchema },
          "application/yaml": { schema: PolicyDocumentSchema },
        },
      },
    },
    responses: {
      201: jsonContent(PolicyResourceSchema, "Created"),
      409: errorResponse("A policy of that name exists"),
      422: errorResponse("The policy does not compile"),
    },
  },
  handler: async (c, s) => {
    // the body as the validator read it: the service does not parse it again
    const policy = await s.policies.create(c.get("principal").name, c.get("body"));
    c.header("ETag", policy.etag);
    c.header("Location", `/v1/policies/${encodeURIComponent(policy.name)}`);
    return c.json(policy, 201);
  },
});
