import {
  ExceptionListQuerySchema,
  ExceptionListSchema,
  PaginationQuerySchema,
  parseDuration,
} from "@celgate/contracts";
import { boundedDuration } from "../../../lib/duration.js";
import { defineRoute, jsonContent, READ } from "../../../lib/route.js";

const Query = ExceptionListQuerySchema.extend({
  ...PaginationQuerySchema.shape,
  expiring: boundedDuration(ExceptionListQuerySchema.shape.expiring),
});

export default defineRoute({
  roles: READ,
  openapi: {
    method: "get",
    path: "/v1/exceptions",
    tags: ["exceptions"],
    summary: "List exceptions",
    description:
      "`?expiring=7d`: only live exceptions that lapse within that time. `?policy=` those that name a policy (or `*`).",
    request: { query: Query },
    responses: { 200: jsonContent(ExceptionListSchema, "A page of exceptions") },
  },
  handler: async (c, s) => {
    const q = c.req.valid("query");
    return c.json(
      await s.exceptions.list({
        ...q,
        expiringMs: q.expiring === undefined ? undefined : parseDuration(q.expiring),
      }),
      200,
    );
  },
});
