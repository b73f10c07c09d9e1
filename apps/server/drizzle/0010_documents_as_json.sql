-- Policy and exception documents (and a policy's labels) are stored as json, which keeps the
-- text written, rather than jsonb, which hands keys back in an order of its own (kind, spec,
-- metadata, apiVersion; nested keys by length): a document is answered with its keys in the
-- order its author wrote them. No query looks inside them but the exception filters, which
-- cast what they read to jsonb. Existing rows keep jsonb's rendering of their text here (same
-- values); their author's order is lost, and the service puts them in the schema's order
-- (apiVersion, kind, metadata, spec, and the spec's fields as declared) when it opens the
-- database (src/db/data-migrations.ts), then marks the setting done.
ALTER TABLE "exceptions" ALTER COLUMN "document" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "policies" ALTER COLUMN "labels" SET DATA TYPE json, ALTER COLUMN "document" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "policy_versions" ALTER COLUMN "document" SET DATA TYPE json;--> statement-breakpoint
INSERT INTO "settings" ("key", "value") VALUES ('document_order', 'pending') ON CONFLICT DO NOTHING;
