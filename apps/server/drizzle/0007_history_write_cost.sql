DROP INDEX "evaluations_context";--> statement-breakpoint
DROP INDEX "evaluations_resources";--> statement-breakpoint
CREATE INDEX "evaluations_resources" ON "evaluations" USING gin ("resources" jsonb_path_ops);--> statement-breakpoint
-- Reports are the largest value of a history row and were compressed with pglz, the most costly
-- step of an insert on the database's side; lz4 costs a fraction of that. Rows written before
-- keep pglz (both are read alike). PostgreSQL 13 (no per-column compression) and servers built
-- without lz4 keep pglz.
DO $$ BEGIN
  IF current_setting('server_version_num')::integer >= 140000 THEN
    EXECUTE 'ALTER TABLE "evaluations" ALTER COLUMN "report" SET COMPRESSION lz4';
  END IF;
EXCEPTION WHEN feature_not_supported THEN NULL;
END $$;
