import { EvaluationReportSchema } from "@celgate/contracts";
import { z } from "zod";
import { defineRoute, errorResponse, jsonContent, READ } from "../../../lib/route.js";

export default defineRoute({
  roles: READ,
  openapi: {
    method: "get",
    path: "/v1/evaluations/{id}",
    tags: ["evaluations"],
    summary: "One recorded report, exactly as returned when it was made",
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: jsonContent(EvaluationReportSchema, "The report"),
      404: errorResponse("No such evaluation"),
    },
  },
  handler: async (c, s) => c.json(await s.evaluations.get(c.req.valid("param").id), 200),
});
