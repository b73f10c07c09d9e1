import { ImageListQuerySchema, ImageListSchema, PaginationQuerySchema } from "@celgate/contracts";
import { validateQuery } from "../../../lib/body.js";
import { boundedDuration } from "../../../lib/duration.js";
import { defineRoute, jsonContent, READ } from "../../../lib/route.js";

const Query = ImageListQuerySchema.extend({
  ...PaginationQuerySchema.shape,
  stale: boundedDuration(ImageListQuerySchema.shape.stale),
});

export default defineRoute({
  roles: READ,
  openapi: {
    method: "get",
    path: "/v1/images",
    tags: ["images"],
    summary: "The stored image facts in brief, by key",
    description:
      "Each image's key, reference, scan summary by severity, scan time and age, and signature count. `?stale=7d` returns images whose newest scan is older than 7 days or that have no scan; `?repository=` narrows to one `registry/repository`.",
    request: { query: Query },
    responses: { 200: jsonContent(ImageListSchema, "A page of images") },
  },
  handler: async (c, s) => c.json(await s.images.list(validateQuery(c, Query)), 200),
});
