DROP INDEX "evaluations_context";--> statement-breakpoint
DROP INDEX "evaluations_resources";--> statement-breakpoint
CREATE INDEX "evaluations_resources" ON "evaluations" USING gin ("resources" jsonb_path_ops);--> statement-breakpoint
-- Reports are the largest value of a history row and were compressed with pglz, the most costly
-- step of an insert on the database's side; lz4 costs a fraction of that. Rows written before
-- keep pglz (both are read alike). A server built without lz4 keeps pglz.
DO $$ BEGIN
  ALTER TABLE "evaluations" ALTER COLUMN "report" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN NULL;
END $$;
