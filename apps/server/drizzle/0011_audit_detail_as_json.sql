-- The detail of an audit row is stored as json, which keeps the text written, rather than jsonb,
-- as the documents are since migration 0010: the row of an exception's deletion carries the
-- deleted document, which is answered with its keys in the order its author wrote them. No
-- query looks inside a detail but the webhook URL data migration, which casts what it reads
-- to jsonb. Existing rows keep jsonb's rendering of their text here (same values); the service
-- puts the documents of older deletion rows in their schema's order when it opens the database
-- (src/db/data-migrations.ts), then marks the setting done.
ALTER TABLE "audit" ALTER COLUMN "detail" SET DATA TYPE json;--> statement-breakpoint
INSERT INTO "settings" ("key", "value") VALUES ('audited_document_order', 'pending') ON CONFLICT DO NOTHING;
