CREATE TYPE "public"."audit_target_kind" AS ENUM('policy', 'exception', 'token', 'image', 'replay');--> statement-breakpoint
CREATE TYPE "public"."decision" AS ENUM('allow', 'warn', 'deny');--> statement-breakpoint
CREATE TYPE "public"."evaluation_source" AS ENUM('api', 'admission', 'cli');--> statement-breakpoint
CREATE TYPE "public"."input_kind" AS ENUM('manifests', 'manifest-files', 'resources', 'images');--> statement-breakpoint
CREATE TYPE "public"."policy_change" AS ENUM('create', 'update', 'delete');--> statement-breakpoint
CREATE TYPE "public"."policy_source" AS ENUM('api', 'repository');--> statement-breakpoint
CREATE TYPE "public"."role" AS ENUM('admin', 'author', 'evaluator', 'viewer');--> statement-breakpoint
ALTER TABLE "audit" ALTER COLUMN "target_kind" SET DATA TYPE "public"."audit_target_kind" USING "target_kind"::"public"."audit_target_kind";--> statement-breakpoint
ALTER TABLE "evaluations" ALTER COLUMN "source" SET DATA TYPE "public"."evaluation_source" USING "source"::"public"."evaluation_source";--> statement-breakpoint
ALTER TABLE "evaluations" ALTER COLUMN "decision" SET DATA TYPE "public"."decision" USING "decision"::"public"."decision";--> statement-breakpoint
ALTER TABLE "inputs" ALTER COLUMN "kind" SET DATA TYPE "public"."input_kind" USING "kind"::"public"."input_kind";--> statement-breakpoint
ALTER TABLE "policies" ALTER COLUMN "source" SET DATA TYPE "public"."policy_source" USING "source"::"public"."policy_source";--> statement-breakpoint
ALTER TABLE "policy_versions" ALTER COLUMN "change" SET DATA TYPE "public"."policy_change" USING "change"::"public"."policy_change";--> statement-breakpoint
ALTER TABLE "policy_versions" ALTER COLUMN "source" SET DATA TYPE "public"."policy_source" USING "source"::"public"."policy_source";--> statement-breakpoint
ALTER TABLE "tokens" ALTER COLUMN "role" SET DATA TYPE "public"."role" USING "role"::"public"."role";