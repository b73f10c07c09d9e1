import { PolicyDocumentSchema, ValidationResultSchema } from "@celgate/contracts";
import { z } from "zod";
import { readBody } from "../../../lib/body.js";
import { defineRoute, jsonContent } from "../../../lib/route.js";

export default defineRoute({
  roles: ["admin", "author", "evaluator"],
  openapi: {
    method: "post",
    path: "/v1/policies:validate",
    tags: ["policies"],
    summary: "Compile and check policies without saving",
    description:
      "The body holds one or more documents (YAML, several separated by `---`, or JSON: one document or a list). Answers 200 with `valid` and every diagnostic.",
    request: {
      body: {
        required: true,
        content: {
          "application/json": { schema: z.union([PolicyDocumentSchema, z.array(PolicyDocumentSchema)]) },
          "application/yaml": { schema: z.string() },
        },
      },
    },
    responses: { 200: jsonContent(ValidationResultSchema, "The result") },
  },
  handler: async (c, s) => {
    const body = await readBody(c, { yaml: true });
    // A JSON list of documents becomes a multi-document stream for the engine.
    const text = Array.isArray(body.json)
      ? body.json.map((d) => JSON.stringify(d)).join("\n---\n")
      : body.text;
    return c.json(s.policies.validate(text), 200);
  },
});
