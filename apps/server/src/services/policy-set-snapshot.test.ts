// A policy set is loaded from one moment of the database: its policies, its exceptions and its
// generation are read in one transaction, so a report never mixes the policies of one moment
// with the exceptions of another. PostgreSQL only: a second connection holds the exceptions
// table locked while the load is under way, and changes land in between. (PGlite has one
// connection, and a transaction there holds it whole: nothing can land in between.)
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BACKENDS,
  databaseUrl,
  exceptionYaml,
  minReplicasPolicy,
  setupApp,
  type TestApp,
} from "../test/harness.js";

const onPostgres = BACKENDS.includes("postgres") ? describe : describe.skip;

onPostgres("a policy set loaded while policies and exceptions change (postgres)", () => {
  let t: TestApp;
  let other: pg.Client;
  beforeAll(async () => {
    t = await setupApp("postgres");
    const result = (await t.database.db.execute("select current_database() as name")) as unknown as {
      rows: { name: string }[];
    };
    other = new pg.Client({ connectionString: databaseUrl(result.rows[0]!.name) });
    await other.connect();
  });
  afterAll(async () => {
    await other.end();
    await t.close();
  });

  it("holds the policies and the exceptions of one moment, never of two", async () => {
    // an exception row made through the API, kept aside, to be written by the other connection
    expect((await t.call("POST", "/v1/exceptions", { yaml: exceptionYaml("late") })).status).toBe(201);
    const kept = await other.query("select row_to_json(e) as row from exceptions e where name = 'late'");
    expect((await t.call("DELETE", "/v1/exceptions/late")).status).toBe(204);
    await t.services.runtime.get();

    // a change of the counter, so that the next check loads the set again
    await other.query("update state set value = value + 1 where key = 'policy_generation'");
    await other.query("begin");
    await other.query("lock table exceptions in access exclusive mode");
    t.services.runtime.invalidate();
    const loading = t.services.runtime.get();
    // the load waits for the lock: a policy is created, then the exception, each committed
    await waitForLockWait(other);
    const created = await t.call("POST", "/v1/policies", {
      yaml: minReplicasPolicy("true", "always").replace("name: min-replicas", "name: created-first"),
    });
    expect(created.status).toBe(201);
    await other.query(
      "insert into exceptions select * from json_populate_record(null::exceptions, $1::json)",
      [JSON.stringify(kept.rows[0].row)],
    );
    await other.query("update state set value = value + 1 where key = 'policy_generation'");
    await other.query("commit");

    const snapshot = await loading;
    const names = snapshot.documents.map((d) => d.metadata.name);
    const exceptions = snapshot.exceptions.map((e) => e.metadata.name);
    // the exception was made after the policy: a set that has it has the policy too
    if (exceptions.includes("late")) expect(names).toContain("created-first");
    // and the generation named is the one these rows are of: the next check reloads
    const next = await (async () => {
      t.services.runtime.invalidate();
      return t.services.runtime.get();
    })();
    expect(next.documents.map((d) => d.metadata.name)).toContain("created-first");
    expect(next.exceptions.map((e) => e.metadata.name)).toContain("late");
  });
});

/** Until a query of the database waits for a lock (the load's read of the locked table). */
async function waitForLockWait(client: pg.Client): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await client.query(
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
    );
    if ((rows[0] as { n: number }).n > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("no query waited for the lock");
}
