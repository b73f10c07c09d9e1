import { EvaluationReportSchema, EvaluationRequestSchema, EvaluationSourceSchema } from "@celgate/contracts";
import { z } from "zod";
import { readBody, validate, validateQuery } from "../../../lib/body.js";
import { problems } from "../../../lib/errors.js";
import { defineRoute, EVALUATE, errorResponse, jsonContent } from "../../../lib/route.js";

// With a YAML body (the manifests themselves), the other options come from the query string.
// Any other query parameter is refused, never ignored: `?now=` or `?context.x=` would otherwise
// look applied. With a JSON body every option is in the body, and a query string is refused too.
const YamlQuery = z.strictObject({
  select: z.string().max(1024).optional(),
  dryRun: z.enum(["true", "false"]).optional(),
  includeSkipped: z.enum(["true", "false"]).optional(),
});
const JsonQuery = z.strictObject(
  {},
  { error: "with a JSON body the options are fields of the body; the query string takes none" },
);

export default defineRoute({
  roles: EVALUATE,
  openapi: {
    method: "post",
    path: "/v1/evaluations",
    tags: ["evaluations"],
    summary: "Evaluate manifests against the policy set in force",
    description:
      "Recorded in history (201, with `Location`) unless `dryRun` (200). `Idempotency-Key`: a retry with the same key and body returns the same report and id and records nothing new; the same key with another body is a 422. `X-Celgate-Source: cli` marks evaluations made by the CLI. A YAML body (`application/yaml`) is taken as the manifests, with `select`, `dryRun` and `includeSkipped` in the query (any other query parameter is a 400); with a JSON body the query string must be empty.",
    request: {
      headers: z.object({
        "idempotency-key": z.string().max(255).optional(),
        "x-celgate-source": z.enum(["api", "cli"]).optional(),
      }),
      body: {
        required: true,
        content: {
          "application/json": { schema: EvaluationRequestSchema },
          "application/yaml": { schema: z.string() },
        },
      },
    },
    responses: {
      200: jsonContent(EvaluationReportSchema, "The report (dryRun, not recorded)"),
      201: jsonContent(EvaluationReportSchema, "The report, recorded in history"),
      422: errorResponse("Idempotency-Key reused with a different body"),
    },
  },
  handler: async (c, s) => {
    const body = await readBody(c, { yaml: true });
    let request: z.infer<typeof EvaluationRequestSchema>;
    if (body.mediaType === "yaml") {
      const q = validateQuery(c, YamlQuery);
      request = {
        manifests: body.text,
        ...(q.select !== undefined ? { select: q.select } : {}),
        ...(q.dryRun === "true" ? { dryRun: true } : {}),
        ...(q.includeSkipped === "true" ? { includeSkipped: true } : {}),
      };
    } else {
      validateQuery(c, JsonQuery);
      request = validate(EvaluationRequestSchema, body.json);
    }
    const key = c.req.header("idempotency-key");
    if (key !== undefined && (key.length === 0 || key.length > 255))
      throw problems.badRequest("Idempotency-Key must be 1 to 255 characters");
    const sourceHeader = c.req.header("x-celgate-source");
    const source =
      sourceHeader === undefined
        ? "api"
        : validate(EvaluationSourceSchema.exclude(["admission"]), sourceHeader, "X-Celgate-Source header");
    const { report, json, recorded, replayed } = await s.evaluations.run(c.get("principal"), request, {
      source,
      idempotencyKey: key,
    });
    if (replayed) c.header("Idempotent-Replayed", "true");
    if (!recorded) return c.json(report, 200);
    c.header("Location", `/v1/evaluations/${report.id}`);
    if (json !== undefined) return c.body(json, 201, { "Content-Type": "application/json" });
    return c.json(report, 201);
  },
});
