import { ValidationResultSchema } from "@celgate/contracts";
import { z } from "zod";
import { defineRoute, jsonContent, VALIDATE } from "../../../lib/route.js";

const Document = z.record(z.string(), z.unknown());

export default defineRoute({
  roles: VALIDATE,
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
          // any document is accepted: what is wrong with it is the answer, not a refusal
          "application/json": {
            schema: z
              .union([Document, z.array(Document)])
              .describe("A Policy or PolicyException document, or a list of them"),
          },
          "application/yaml": {
            schema: z.string().describe("One or more documents, separated by `---`"),
          },
        },
      },
    },
    responses: { 200: jsonContent(ValidationResultSchema, "The result") },
  },
  handler: async (c, s) => {
    const body = c.req.valid("json");
    // A JSON list of documents becomes a multi-document stream for the engine.
    const text = Array.isArray(body)
      ? body.map((d) => JSON.stringify(d)).join("\n---\n")
      : c.get("body").text;
    return c.json(s.policies.validate(text), 200);
  },
});
