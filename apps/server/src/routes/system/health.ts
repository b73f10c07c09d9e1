import { HealthSchema as Health, ReadinessSchema as Ready } from "@celgate/contracts";
import { defineRoute, jsonContent } from "../../lib/route.js";

export const healthz = defineRoute({
  roles: "public",
  openapi: {
    method: "get",
    path: "/healthz",
    tags: ["system"],
    summary: "Liveness: the process answers (nothing else is checked, the database is not touched)",
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
  // Answered from the state the background check keeps (services/readiness.ts): a probe never
  // waits behind queries or evaluations, and never runs a query of its own while that state is recent.
  handler: async (c, s) => {
    const state = await s.readiness.state();
    const body = {
      status: state.ready ? ("ready" as const) : ("unready" as const),
      checks: state.checks,
      ...(state.policies === undefined ? {} : { policies: state.policies }),
      ...(state.reason === undefined ? {} : { reason: state.reason }),
    };
    return c.json(body, state.ready ? 200 : 503);
  },
});
