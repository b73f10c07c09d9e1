import { InventoryListQuerySchema, InventoryListSchema, PaginationQuerySchema } from "@celgate/contracts";
import { validateQuery } from "../../../lib/body.js";
import { defineRoute, jsonContent, READ } from "../../../lib/route.js";

const Query = InventoryListQuerySchema.extend(PaginationQuerySchema.shape);

export default defineRoute({
  roles: READ,
  openapi: {
    method: "get",
    path: "/v1/inventory",
    tags: ["inventory"],
    summary: "What is deployed, as celgate last saw it admitted",
    description:
      "The latest admitted object per (cluster, namespace, kind, name): from admission reviews (CREATE and UPDATE that were allowed add or replace, DELETE removes) and from evaluations whose context has `cluster` and `deployed: true`. Ordered by cluster, namespace, kind and name. `?object=true` includes each object, with secret values redacted.",
    request: { query: Query },
    responses: { 200: jsonContent(InventoryListSchema, "A page of the inventory") },
  },
  handler: async (c, s) => c.json(await s.inventory.list(validateQuery(c, Query)), 200),
});
