import { CreatedWebhookSchema, CreateWebhookRequestSchema } from "@celgate/contracts";
import { readBody, validate } from "../../../lib/body.js";
import { ADMIN, defineRoute, errorResponse, jsonContent } from "../../../lib/route.js";

export default defineRoute({
  roles: ADMIN,
  openapi: {
    method: "post",
    path: "/v1/webhooks",
    tags: ["webhooks"],
    summary: "Create an outgoing webhook; its signing secret and whole URL are in this response only",
    description:
      "Each event is POSTed as JSON with `x-celgate-signature: sha256=<hex>`, the HMAC-SHA256 of `<x-celgate-timestamp>.<body>` keyed with the secret. Failed deliveries are retried with backoff; the final outcome is in the audit log. The URL is used whole to deliver; after this response it is shown redacted (list, audit log, logs).",
    request: {
      body: { required: true, content: { "application/json": { schema: CreateWebhookRequestSchema } } },
    },
    responses: {
      201: jsonContent(CreatedWebhookSchema, "Created"),
      422: errorResponse(
        "The URL is refused: credentials in it (user:password@), another scheme, or a target the service may not reach (CELGATE_WEBHOOK_TARGETS)",
      ),
    },
  },
  handler: async (c, s) => {
    const body = await readBody(c);
    const created = await s.webhooks.create(
      c.get("principal").name,
      validate(CreateWebhookRequestSchema, body.json),
    );
    c.header("Cache-Control", "no-store");
    return c.json(created, 201);
  },
});
