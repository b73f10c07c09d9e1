ALTER TYPE "public"."audit_target_kind" ADD VALUE 'webhook';--> statement-breakpoint
CREATE TABLE "findings" (
	"id" text PRIMARY KEY NOT NULL,
	"seq" bigserial NOT NULL,
	"cluster" text NOT NULL,
	"namespace" text NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"policy" text NOT NULL,
	"policy_version" integer,
	"severity" text NOT NULL,
	"action" text NOT NULL,
	"message" text NOT NULL,
	"cause" text NOT NULL,
	"trigger" jsonb NOT NULL,
	"change_id" bigint,
	"status" text NOT NULL,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolution" text,
	CONSTRAINT "findings_seq_unique" UNIQUE("seq")
);
--> statement-breakpoint
CREATE TABLE "inventory" (
	"cluster" text NOT NULL,
	"namespace" text NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"api_version" text NOT NULL,
	"object" jsonb NOT NULL,
	"request" jsonb,
	"context" jsonb NOT NULL,
	"images" text[] NOT NULL,
	"source" text NOT NULL,
	"evaluation_id" text,
	"failing" jsonb NOT NULL,
	"revision" integer DEFAULT 1 NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"evaluated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inventory_cluster_namespace_kind_name_pk" PRIMARY KEY("cluster","namespace","kind","name")
);
--> statement-breakpoint
CREATE TABLE "reevaluation_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"cause" text NOT NULL,
	"subject" text NOT NULL,
	"detail" jsonb NOT NULL,
	"dedupe" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"claimed_by" text,
	"claimed_until" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"done_at" timestamp with time zone,
	"entries" integer,
	"error" text,
	CONSTRAINT "reevaluation_changes_dedupe_unique" UNIQUE("dedupe")
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"webhook_id" text NOT NULL,
	"event" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"claimed_until" timestamp with time zone,
	"last_status" integer,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "webhooks" (
	"id" text PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"events" jsonb NOT NULL,
	"secret" text NOT NULL,
	"description" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "findings_open" ON "findings" USING btree ("cluster","namespace","kind","name","policy") WHERE status = 'open';--> statement-breakpoint
CREATE INDEX "findings_status" ON "findings" USING btree ("status","policy");--> statement-breakpoint
CREATE INDEX "inventory_images" ON "inventory" USING gin ("images");--> statement-breakpoint
CREATE INDEX "inventory_kind" ON "inventory" USING btree ("kind");--> statement-breakpoint
CREATE INDEX "reevaluation_changes_pending" ON "reevaluation_changes" USING btree ("done_at","id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due" ON "webhook_deliveries" USING btree ("status","next_attempt_at");