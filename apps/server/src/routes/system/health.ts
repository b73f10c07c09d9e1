import { z } from "zod";
import { defineRoute, jsonContent } from "../../lib/route.js";

const Health = z.object({ status: z.literal("ok") });
const Ready = z.object({
  status: z.enum(["ready", "unready"]),
  checks: z.object({ database: z.boolean(), policies: z.boolean() }),
  policies: z.number().int().optional(),
});

export const healthz = defineRoute({
  roles: "public",
  openapi: {
    method: "get",
    path: "/healthz",
    tags: ["system"],
    summary: "Liveness: the process answers",
    responses: { 200: jsonContent(Health, "Alive") },
  },
  handler: (c) => c.json({ status: "ok" as const }, 200),
});

export const readyz = defineRoute({
  roles: "public",
  openapi: {
    method: "get",
    path: "/readyz",
    tags: ["system"],
    summary: "Readiness: the database answers and the policy set is compiled",
    responses: { 200: jsonContent(Ready, "Ready"), 503: jsonContent(Ready, "Not ready") },
  },
  handler: async (c, s) => {
    const database = await s.database.ping(1500);
    let policies = s.runtime.current !== null;
    if (database) {
      try {
        await s.runtime.get();
        policies = true;
      } catch {
        policies = false;
      }
    }
    const ready = database && policies;
    const body = {
      status: ready ? ("ready" as const) : ("unready" as const),
      checks: { database, policies },
      ...(s.runtime.current ? { policies: s.runtime.current.set.policies.length } : {}),
    };
    return c.json(body, ready ? 200 : 503);
  },
});
