CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- Inputs stored before this migration may hold raw secrets: RedactionService.redactHistory() rewrites them.
INSERT INTO "settings" ("key", "value") VALUES ('history_redaction_cutoff', now()::text) ON CONFLICT DO NOTHING;
