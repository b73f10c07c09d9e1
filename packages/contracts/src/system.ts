import { z } from "zod";

/** Answer of `GET /healthz` (liveness): the process answers; nothing else is checked. */
export const HealthSchema = z.object({ status: z.literal("ok") }).meta({ id: "Health" });
export type Health = z.infer<typeof HealthSchema>;

/**
 * Answer of `GET /readyz`, 200 when ready and 503 when not: whether the database answers and
 * the policy set in force is compiled.
 */
export const ReadinessSchema = z
  .object({
    status: z.enum(["ready", "unready"]),
    checks: z.object({ database: z.boolean(), policies: z.boolean() }),
    /** Policies in the compiled set in force, once one was loaded. */
    policies: z.number().int().optional(),
    /** Why the instance is not ready, when it is not. */
    reason: z.string().optional(),
  })
  .meta({ id: "Readiness" });
export type Readiness = z.infer<typeof ReadinessSchema>;
