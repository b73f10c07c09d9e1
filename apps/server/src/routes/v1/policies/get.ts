import { PolicyResourceSchema } from "@celgate/contracts";
import { z } from "zod";
import { defineRoute, errorResponse, jsonContent, READ } from "../../../lib/route.js";

export const NameParam = z.object({ name: z.string() });

export default defineRoute({
  roles: READ,
  openapi: {
    method: "get",
    path: "/v1/policies/{name}",
    tags: ["policies"],
    summary: "Read a policy",
    description: "The `ETag` header carries the version to send as `If-Match` when replacing it.",
    request: { params: NameParam },
    responses: { 200: jsonContent(PolicyResourceSchema, "The policy"), 404: errorResponse("No such policy") },
  },
  handler: async (c, s) => {
    const policy = await s.policies.get(c.req.valid("param").name);
    c.header("ETag", policy.etag);
    return c.json(policy, 200);
  },
});
