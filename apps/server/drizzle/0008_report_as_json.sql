-- The report is stored as the text the service answered (json), not converted to jsonb: no query
-- looks inside it but `-> 'receipt'`, and jsonb's conversion of the row's largest value was the
-- largest share of an insert's cost on the database's side after its compression. Existing rows
-- are rewritten once, keeping jsonb's rendering of their text (same values, jsonb's key order).
ALTER TABLE "evaluations" ALTER COLUMN "report" SET DATA TYPE json;--> statement-breakpoint
-- A column's type change resets its compression: lz4 again, as migration 0007 set it.
DO $$ BEGIN
  IF current_setting('server_version_num')::integer >= 140000 THEN
    EXECUTE 'ALTER TABLE "evaluations" ALTER COLUMN "report" SET COMPRESSION lz4';
  END IF;
EXCEPTION WHEN feature_not_supported THEN NULL;
END $$;
