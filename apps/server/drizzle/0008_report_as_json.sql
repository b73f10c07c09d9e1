-- The report is stored as the text the service answered (json), not converted to jsonb: no query
-- looks inside it but `-> 'receipt'`, and building jsonb from the row's largest value was the
-- largest share of an insert's cost on the database's side after its compression. Existing rows
-- are rewritten once, keeping jsonb's rendering of their text (same values, jsonb's key order).
-- The policy versions of a row (40 names for the built-in library) are only kept, never queried:
-- json too.
ALTER TABLE "evaluations" ALTER COLUMN "report" SET DATA TYPE json, ALTER COLUMN "policy_versions" SET DATA TYPE json;--> statement-breakpoint
-- lz4 for every value of a history row that PostgreSQL may compress, not only the report
-- (migration 0007): once the report is stored apart, a row is still over the 2 kB at which
-- PostgreSQL compresses its other values (the policy versions and names of a set of 40), and
-- pglz costs several times lz4. The type change above reset the report's to the default.
-- Stored inputs (manifests, image facts) are new with most evaluations: lz4 too.
DO $$ BEGIN
  IF current_setting('server_version_num')::integer >= 140000 THEN
    EXECUTE 'ALTER TABLE "evaluations" ALTER COLUMN "report" SET COMPRESSION lz4, '
      'ALTER COLUMN "context" SET COMPRESSION lz4, ALTER COLUMN "params" SET COMPRESSION lz4, '
      'ALTER COLUMN "policy_names" SET COMPRESSION lz4, ALTER COLUMN "policy_versions" SET COMPRESSION lz4, '
      'ALTER COLUMN "summary" SET COMPRESSION lz4, '
      'ALTER COLUMN "resources" SET COMPRESSION lz4, ALTER COLUMN "images" SET COMPRESSION lz4, '
      'ALTER COLUMN "policies" SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE "inputs" ALTER COLUMN "text" SET COMPRESSION lz4, ALTER COLUMN "data" SET COMPRESSION lz4';
  END IF;
EXCEPTION WHEN feature_not_supported THEN NULL;
END $$;
