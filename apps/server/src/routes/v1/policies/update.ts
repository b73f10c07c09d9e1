import { PolicyDocumentSchema, PolicyResourceSchema } from "@celgate/contracts";
import { z } from "zod";
import { AUTHOR, defineRoute, errorResponse, jsonContent } from "../../../lib/route.js";
import { NameParam } from "./get.js";

export default defineRoute({
  roles: AUTHOR,
  openapi: {
    method: "put",
    path: "/v1/policies/{name}",
    tags: ["policies"],
    summary: "Replace a policy",
    description: "`If-Match` with the current ETag is required: 428 without it, 412 when it is stale.",
    request: {
      params: NameParam,
      headers: z.object({ "if-match": z.string() }),
      body: {
        required: true,
        content: {
          "application/json": { schema: PolicyDocumentSchema },
          "application/yaml": { schema: PolicyDocumentSchema },
        },
      },
    },
    responses: {
      200: jsonContent(PolicyResourceSchema, "Replaced"),
      404: errorResponse("No such policy"),
      409: errorResponse("The policy comes from the repository"),
      412: errorResponse("Stale If-Match"),
      422: errorResponse("The policy does not compile"),
      428: errorResponse("If-Match missing"),
    },
  },
  handler: async (c, s) => {
    const policy = await s.policies.replace(
      c.get("principal").name,
      c.req.valid("param").name,
      c.req.valid("header")["if-match"],
      c.get("body"),
    );
    c.header("ETag", policy.etag);
    return c.json(policy, 200);
  },
});
