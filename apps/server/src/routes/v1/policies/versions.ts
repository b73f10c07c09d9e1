import {
  decimalIntegerSchema,
  PaginationQuerySchema,
  PolicyVersionListSchema,
  PolicyVersionSchema,
} from "@celgate/contracts";
import { z } from "zod";
import { defineRoute, errorResponse, jsonContent, READ } from "../../../lib/route.js";
import { NameParam } from "./get.js";

export const listVersions = defineRoute({
  roles: READ,
  openapi: {
    method: "get",
    path: "/v1/policies/{name}/versions",
    tags: ["policies"],
    summary: "Every stored version of a policy, newest first",
    request: { params: NameParam, query: PaginationQuerySchema },
    responses: { 200: jsonContent(PolicyVersionListSchema, "Versions"), 404: errorResponse("Never stored") },
  },
  handler: async (c, s) => {
    const q = c.req.valid("query");
    return c.json(await s.policies.versions(c.req.valid("param").name, q.limit, q.cursor), 200);
  },
});

/** Versions are PostgreSQL `integer`s: a larger number is a 400 here, not a failed query (500). */
const INT4_MAX = 2_147_483_647;
const VersionParams = z.object({ name: z.string(), n: decimalIntegerSchema(1, INT4_MAX) });

export const getVersion = defineRoute({
  roles: READ,
  openapi: {
    method: "get",
    path: "/v1/policies/{name}/versions/{n}",
    tags: ["policies"],
    summary: "One stored version of a policy",
    request: { params: VersionParams },
    responses: {
      200: jsonContent(PolicyVersionSchema, "The version"),
      404: errorResponse("No such version"),
    },
  },
  handler: async (c, s) => {
    const p = c.req.valid("param");
    return c.json(await s.policies.version(p.name, p.n), 200);
  },
});
