CREATE TABLE "audit" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"target_kind" text NOT NULL,
	"target_name" text NOT NULL,
	"detail" jsonb
);
--> statement-breakpoint
CREATE TABLE "evaluations" (
	"id" text PRIMARY KEY NOT NULL,
	"seq" bigserial NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	"evaluated_at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"token_id" text NOT NULL,
	"source" text NOT NULL,
	"context" jsonb NOT NULL,
	"params" jsonb,
	"selector" text,
	"policy_names" jsonb,
	"policy_set_digest" text NOT NULL,
	"policy_count" integer NOT NULL,
	"policy_versions" jsonb NOT NULL,
	"decision" text NOT NULL,
	"summary" jsonb NOT NULL,
	"report" jsonb NOT NULL,
	"input_hash" text NOT NULL,
	"images_hash" text,
	"resources" jsonb NOT NULL,
	"images" text[] NOT NULL,
	"policies" text[] NOT NULL,
	"idempotency_key" text,
	"request_hash" text,
	CONSTRAINT "evaluations_seq_unique" UNIQUE("seq")
);
--> statement-breakpoint
CREATE TABLE "exceptions" (
	"name" text PRIMARY KEY NOT NULL,
	"version" integer NOT NULL,
	"etag" text NOT NULL,
	"expires" timestamp with time zone NOT NULL,
	"document" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "images" (
	"digest" text PRIMARY KEY NOT NULL,
	"name_tag" text,
	"facts" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inputs" (
	"hash" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"text" text,
	"data" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "policies" (
	"name" text PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"version" integer NOT NULL,
	"etag" text NOT NULL,
	"labels" jsonb NOT NULL,
	"document" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "policy_versions" (
	"name" text NOT NULL,
	"version" integer NOT NULL,
	"change" text NOT NULL,
	"source" text NOT NULL,
	"actor" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"document" jsonb,
	CONSTRAINT "policy_versions_name_version_pk" PRIMARY KEY("name","version")
);
--> statement-breakpoint
CREATE TABLE "state" (
	"key" text PRIMARY KEY NOT NULL,
	"value" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text NOT NULL,
	"expires_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "tokens_hash_unique" UNIQUE("hash")
);
--> statement-breakpoint
CREATE INDEX "audit_target" ON "audit" USING btree ("target_kind","target_name");--> statement-breakpoint
CREATE UNIQUE INDEX "evaluations_idempotency" ON "evaluations" USING btree ("token_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "evaluations_recorded_at" ON "evaluations" USING btree ("recorded_at");--> statement-breakpoint
CREATE INDEX "evaluations_resources" ON "evaluations" USING gin ("resources");--> statement-breakpoint
CREATE INDEX "evaluations_images" ON "evaluations" USING gin ("images");--> statement-breakpoint
CREATE INDEX "evaluations_policies" ON "evaluations" USING gin ("policies");--> statement-breakpoint
CREATE INDEX "evaluations_context" ON "evaluations" USING gin ("context");--> statement-breakpoint
CREATE INDEX "images_name_tag" ON "images" USING btree ("name_tag");