import { EvaluationReportSchema, EvaluationRequestSchema, EvaluationSourceSchema } from "@celgate/contracts";
import { z } from "zod";
import { problems } from "../../../lib/errors.js";
import { defineRoute, EVALUATE, errorResponse, jsonContent } from "../../../lib/route.js";

const Flag = z.enum(["true", "false"]);

// With a YAML body (the manifests themselves), the other options come from the query string;
// a JSON body carries them itself.
const YamlQuery = z.object({
  select: EvaluationRequestSchema.shape.select.describe("YAML body only: the request's `select`"),
  dryRun: Flag.optional().describe("YAML body only: the request's `dryRun`"),
  includeSkipped: Flag.optional().describe("YAML body only: the request's `includeSkipped`"),
});

export default defineRoute({
  roles: EVALUATE,
  openapi: {
    method: "post",
    path: "/v1/evaluations",
    tags: ["evaluations"],
    summary: "Evaluate manifests against the policy set in force",
    description:
      "Recorded in history (201, with `Location`) unless `dryRun` (200). `Idempotency-Key`: a retry with the same key and body returns the same report and id and records nothing new; the same key with another body is a 422. `X-Celgate-Source: cli` marks evaluations made by the CLI. A YAML body (`application/yaml`) is taken as the manifests, with `select`, `dryRun` and `includeSkipped` in the query (any other query parameter is a 400); with a JSON body the query string must be empty. Input that holds no Kubernetes resource (empty, only comments or `---`, an empty list, documents without apiVersion and kind) is a 400 `no-resources` naming each skipped document; nothing is evaluated or recorded.",
    request: {
      query: YamlQuery,
      headers: z.object({
        "idempotency-key": z
          .string()
          .min(1)
          .max(255)
          .optional()
          .describe("A retry with the same key and body returns the first report and records nothing new"),
        "x-celgate-source": EvaluationSourceSchema.exclude(["admission"])
          .optional()
          .describe("`cli` marks evaluations made by the CLI; default `api`"),
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
      422: errorResponse(
        "Idempotency-Key reused with a different body, or the input is too large to evaluate",
      ),
    },
  },
  handler: async (c, s) => {
    const body = c.req.valid("json");
    const q = c.req.valid("query");
    let request: z.infer<typeof EvaluationRequestSchema>;
    if (typeof body === "string") {
      request = {
        manifests: body,
        ...(q.select !== undefined ? { select: q.select } : {}),
        ...(q.dryRun === "true" ? { dryRun: true } : {}),
        ...(q.includeSkipped === "true" ? { includeSkipped: true } : {}),
      };
    } else {
      // two places for one option would leave one of them silently ignored
      const given = Object.keys(q);
      if (given.length > 0)
        throw problems.badRequest(
          `with a JSON body, give ${given.join(", ")} in the body, not the query (the query options are for YAML bodies)`,
          given.map((path) => ({ path, message: "only with a YAML body; put it in the JSON body" })),
        );
      request = body;
    }
    const headers = c.req.valid("header");
    const outcome = await s.evaluations.run(c.get("principal"), request, {
      source: headers["x-celgate-source"] ?? "api",
      idempotencyKey: headers["idempotency-key"],
      releaseSlot: c.get("releaseEvaluationSlot"),
    });
    if (outcome.replayed) c.header("Idempotent-Replayed", "true");
    const status = outcome.recorded ? 201 : 200;
    if (outcome.recorded) c.header("Location", `/v1/evaluations/${outcome.id ?? outcome.report.id}`);
    // the report's text, when the service has it, is sent as it is (reading `report` would parse it)
    if (outcome.json !== undefined)
      return c.body(outcome.json, status, { "Content-Type": "application/json" });
    return c.json(outcome.report, status);
  },
});
