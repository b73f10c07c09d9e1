import { z } from "zod";
import { defineRoute, jsonContent } from "../../lib/route.js";

const Health = z.object({ status: z.literal("ok") });
const Ready = z.object({
  status: z.enum(["ready", "unready"]),
  checks: z.object({ database: z.boolean(), policies: z.boolean() }),
  policies: z.number().int().optional(),
  /** Why the instance is not ready, when it is not. */
  reason: z.string().optional(),
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
    const broken = s.database.broken();
    const database = broken === null && (await s.database.ping(1500));
    let policies = false;
    let failure: string | null = null;
    if (database) {
      try {
        await s.runtime.get();
        policies = true;
      } catch (err) {
        failure = s.runtime.failure ?? (err as Error).message;
      }
    }
    const ready = database && policies;
    const reason = ready
      ? undefined
      : (broken ?? (database ? (failure ?? "the policy set is not loaded") : "the database does not answer"));
    const body = {
      status: ready ? ("ready" as const) : ("unready" as const),
      checks: { database, policies },
      ...(s.runtime.current ? { policies: s.runtime.current.set.policies.length } : {}),
      ...(reason ? { reason } : {}),
    };
    return c.json(body, ready ? 200 : 503);
  },
});
