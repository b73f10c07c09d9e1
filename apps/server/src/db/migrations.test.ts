import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, createPostgresDatabase } from "../test/harness.js";
import { MIGRATIONS_DIR, openPostgres } from "./client.js";

/** A copy of the migrations folder holding only the first `count` migrations (as an older release had). */
function migrationsUpTo(count: number): string {
  const dir = mkdtempSync(join(tmpdir(), "celgate-migrations-"));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  const journalPath = join(dir, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { idx: number }[] };
  journal.entries = journal.entries.filter((e) => e.idx < count);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

// Upgrading keeps what was recorded: history written by an older release reads the same after
// the migrations that came later (PostgreSQL, where long-lived histories are kept).
describe.runIf(BACKENDS.includes("postgres"))("migrating a database with history", () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let older: string;
  beforeAll(async () => {
    database = await createPostgresDatabase();
    older = migrationsUpTo(8);
  });
  afterAll(async () => {
    rmSync(older, { recursive: true, force: true });
    await database?.drop();
  });

  it("keeps reports and policy versions recorded as jsonb (before migration 0008) readable, receipt included", async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const report = {
      apiVersion: "celgate.dev/v1",
      kind: "EvaluationReport",
      id: "ev_before",
      decision: "allow",
      results: [],
      receipt: { payloadType: "application/vnd.in-toto+json", payload: "e30=", signatures: [] },
    };
    const versions = { "no-privileged": 3, "run-as-non-root": 1 };
    try {
      await migrate(drizzle(client), { migrationsFolder: older });
      const { rows: before } = await client.query(
        "select format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = 'evaluations'::regclass and attname = 'report'",
      );
      expect(before).toEqual([{ type: "jsonb" }]);
      await client.query(
        `insert into evaluations (id, evaluated_at, actor, token_id, source, context, policy_set_digest,
           policy_count, policy_versions, decision, summary, report, input_hash, resources, images, policies)
         values ('ev_before', now(), 't', 't', 'api', '{}', 'sha256:d', 0, $2::jsonb, 'allow', '{}', $1::jsonb,
           'sha256:i', '[]', '{}', '{}')`,
        [JSON.stringify(report), JSON.stringify(versions)],
      );
    } finally {
      await client.end();
    }
    // the service's start applies the rest
    const upgraded = await openPostgres(database.url, { poolSize: 1 });
    try {
      const { rows } = (await upgraded.db.execute(
        "select format_type(atttypid, atttypmod) as type, attcompression from pg_attribute where attrelid = 'evaluations'::regclass and attname = 'report'",
      )) as unknown as { rows: unknown[] };
      expect(rows).toEqual([{ type: "json", attcompression: "l" }]);
      const { rows: stored } = (await upgraded.db.execute(
        "select report, report -> 'receipt' as receipt, policy_versions from evaluations where id = 'ev_before'",
      )) as unknown as { rows: unknown[] };
      expect(stored).toEqual([{ report, receipt: report.receipt, policy_versions: versions }]);
    } finally {
      await upgraded.close();
    }
  });
});
