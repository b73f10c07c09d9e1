import { z } from "zod";
import { openEnum, pageSchema, readPageSchema } from "./common.js";
import { PolicyActionSchema, SEVERITIES, type Severity, SeveritySchema } from "./report.js";

// --- Continuous re-evaluation: inventory, findings, webhooks (docs/operations.md) ---

/** Where an inventory entry came from. */
export const INVENTORY_SOURCES = ["admission", "evaluation"] as const;
export const InventorySourceSchema = z.enum(INVENTORY_SOURCES).meta({ id: "InventorySource" });

const name = z.string().min(1).max(253);

export const InventoryEntrySchema = z
  .object({
    cluster: z.string(),
    namespace: z.string().nullable().describe("Null for cluster-scoped kinds."),
    kind: z.string(),
    name: z.string(),
    apiVersion: z.string(),
    source: InventorySourceSchema,
    evaluationId: z.string().nullable().describe("The recorded evaluation that last admitted it."),
    images: z.array(z.string()).describe("Image keys: digests and normalised name:tag of each reference."),
    failing: z.array(z.string()).describe("Policies failing at the last evaluation."),
    object: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("With `?object=true`: the object, redacted."),
    recordedAt: z.string(),
    updatedAt: z.string(),
    evaluatedAt: z.string(),
  })
  .meta({
    id: "InventoryEntry",
    description: "The latest admitted object of one (cluster, namespace, kind, name).",
  });
export type InventoryEntry = z.infer<typeof InventoryEntrySchema>;
export const InventoryListSchema = pageSchema(InventoryEntrySchema, "InventoryList");
/** An inventory entry as a client reads it: its `source` may be one a newer service added (openEnum), kept as sent. */
export const InventoryEntryReadSchema = InventoryEntrySchema.extend({
  source: openEnum(INVENTORY_SOURCES),
}).meta({
  title: "InventoryEntry",
});
export type InventoryEntryRead = z.infer<typeof InventoryEntryReadSchema>;
/** A page of inventory as a client reads it (InventoryEntryReadSchema). */
export const InventoryListReadSchema = readPageSchema(InventoryEntryReadSchema, "InventoryList");

export const InventoryListQuerySchema = z
  .object({
    cluster: name.optional(),
    namespace: name.optional(),
    kind: name.optional(),
    name: name.optional(),
    image: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .describe("A digest or a normalised `registry/repository:tag`."),
    failing: z.enum(["true", "false"]).optional().describe("`true`: only entries failing a policy."),
    object: z.enum(["true", "false"]).optional().describe("`true`: include each redacted object."),
  })
  .strict();
export type InventoryListQuery = z.infer<typeof InventoryListQuerySchema>;

/** What made a re-evaluation run; the cause of a finding. */
export const FINDING_CAUSES = ["new-scan", "policy-change", "exception-change", "exception-expired"] as const;
export const FindingCauseSchema = z.enum(FINDING_CAUSES).meta({
  id: "FindingCause",
  description:
    "The causes this service emits. A later version may add causes: a client keeps a finding of a cause it does not know and shows it as sent.",
});
export type FindingCause = z.infer<typeof FindingCauseSchema>;

export const FINDING_STATUSES = ["open", "resolved"] as const;
export const FindingStatusSchema = z.enum(FINDING_STATUSES).meta({ id: "FindingStatus" });

/** How a finding was resolved: the object passes again, or it is no longer deployed. */
export const FINDING_RESOLUTIONS = ["passed", "deleted"] as const;

export const FindingSchema = z
  .object({
    id: z.string(),
    status: FindingStatusSchema,
    resource: z.object({
      cluster: z.string(),
      namespace: z.string().nullable(),
      kind: z.string(),
      name: z.string(),
    }),
    policy: z.string(),
    policyVersion: z.number().int().nullable(),
    severity: SeveritySchema,
    action: PolicyActionSchema,
    message: z.string(),
    cause: FindingCauseSchema,
    trigger: z
      .record(z.string(), z.unknown())
      .describe(
        "The triggering fact: `{image, vulnerabilities}` for a scan, `{policy, version}` for a policy change, `{exception, expires}` for an exception.",
      ),
    openedAt: z.string(),
    resolvedAt: z.string().nullable(),
    resolution: z.enum(FINDING_RESOLUTIONS).nullable(),
  })
  .meta({
    id: "Finding",
    description: "A deployed object that a re-evaluation found failing a policy it passed before.",
  });
export type Finding = z.infer<typeof FindingSchema>;
export const FindingListSchema = pageSchema(FindingSchema, "FindingList");

/**
 * A finding as a client reads it (the SDK, `celgate findings`): its `cause` and `resolution`
 * may be ones a newer service added (openEnum), kept as sent; its `severity` and `action`,
 * which `--fail-on` and a caller's verdict rest on, and its `status`, are checked as strictly
 * as FindingSchema does. The service answers with FindingSchema.
 */
export const FindingReadSchema = FindingSchema.extend({
  cause: openEnum(FINDING_CAUSES),
  resolution: openEnum(FINDING_RESOLUTIONS).nullable(),
});
/** A finding as a client reads it: its cause and resolution may be ones a newer service added. */
export type FindingRead = z.infer<typeof FindingReadSchema>;
/** A page of findings as a client reads it (FindingReadSchema); the service answers with FindingListSchema. */
export const FindingListReadSchema = readPageSchema(FindingReadSchema, "FindingList");

export const FindingListQuerySchema = z
  .object({
    status: z.enum(["open", "resolved", "all"]).default("open"),
    cluster: name.optional(),
    namespace: name.optional(),
    kind: name.optional(),
    name: name.optional(),
    policy: name.optional(),
    cause: FindingCauseSchema.optional(),
    severity: SeveritySchema.optional().describe("Only findings at or above this severity."),
  })
  .strict();
export type FindingListQuery = z.infer<typeof FindingListQuerySchema>;

/**
 * The severities at or above `severity`, gravest first: what `?severity=` of GET /v1/findings
 * selects, and what `celgate findings --fail-on` counts.
 */
export function severitiesAtOrAbove(severity: Severity): Severity[] {
  return SEVERITIES.slice(0, SEVERITIES.indexOf(severity) + 1);
}

/** Events a webhook can subscribe to. */
export const WEBHOOK_EVENTS = ["finding.opened", "finding.resolved"] as const;
export const WebhookEventSchema = z.enum(WEBHOOK_EVENTS).meta({ id: "WebhookEvent" });
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;

export const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(WebhookEventSchema),
    description: z.string().nullable(),
    createdAt: z.string(),
    createdBy: z.string(),
  })
  .meta({ id: "Webhook", description: "An outgoing webhook; its signing secret is shown only at creation." });
export type Webhook = z.infer<typeof WebhookSchema>;
export const WebhookListSchema = pageSchema(WebhookSchema, "WebhookList");

export const CreateWebhookRequestSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: "an http:// or https:// URL" }).max(2048),
    events: z.array(WebhookEventSchema).min(1).max(WEBHOOK_EVENTS.length),
    secret: z
      .string()
      .min(32, "at least 32 characters")
      .max(256)
      .optional()
      .describe("The HMAC-SHA256 key; generated when absent."),
    description: z.string().max(500).optional(),
  })
  .strict()
  .meta({ id: "CreateWebhookRequest" });
export type CreateWebhookRequest = z.infer<typeof CreateWebhookRequestSchema>;

export const CreatedWebhookSchema = WebhookSchema.extend({
  secret: z.string().describe("The signing secret. Shown once; store it now."),
}).meta({ id: "CreatedWebhook" });
export type CreatedWebhook = z.infer<typeof CreatedWebhookSchema>;

/**
 * A webhook as a client reads it: its `events` may hold ones a newer service added (openEnum),
 * kept as sent. What a client sends (CreateWebhookRequestSchema) stays one of WEBHOOK_EVENTS.
 */
export const WebhookReadSchema = WebhookSchema.extend({ events: z.array(openEnum(WEBHOOK_EVENTS)) }).meta({
  title: "Webhook",
});
export type WebhookRead = z.infer<typeof WebhookReadSchema>;
/** A page of webhooks as a client reads it (WebhookReadSchema). */
export const WebhookListReadSchema = readPageSchema(WebhookReadSchema, "WebhookList");
/** The created webhook as a client reads it (WebhookReadSchema and its secret). */
export const CreatedWebhookReadSchema = WebhookReadSchema.extend({
  secret: CreatedWebhookSchema.shape.secret,
}).meta({
  title: "CreatedWebhook",
});
export type CreatedWebhookRead = z.infer<typeof CreatedWebhookReadSchema>;

/** The header that carries `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`. */
export const WEBHOOK_SIGNATURE_HEADER = "x-celgate-signature";
/** The header that carries the delivery's Unix time in seconds, part of the signed text. */
export const WEBHOOK_TIMESTAMP_HEADER = "x-celgate-timestamp";

/** The body of every delivery. */
export const WebhookPayloadSchema = z
  .object({
    id: z.string().describe("The delivery id: the same on every retry of one delivery."),
    event: WebhookEventSchema,
    sentAt: z.string(),
    finding: FindingSchema,
  })
  .meta({ id: "WebhookPayload" });
export type WebhookPayload = z.infer<typeof WebhookPayloadSchema>;
