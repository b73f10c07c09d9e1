import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditService } from "../services/audit.js";
import { rowsOf } from "../services/changes.js";
import { BACKENDS, type Backend, createPostgresDatabase } from "../test/harness.js";
import { type Database, MIGRATIONS_DIR, openPglite, openPostgres } from "./client.js";
import { orderAuditedDocuments, orderStoredDocuments, redactStoredWebhookUrls } from "./data-migrations.js";

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

/**
 * A database of `backend` at the migrations of `folder`, with `statements` run on it as an
 * older release would have, then opened as the service opens it (the rest of the migrations
 * and the data migrations applied). `drop` closes and removes it.
 */
async function upgradedDatabase(
  backend: Backend,
  folder: string,
  statements: string,
): Promise<{ database: Database; drop(): Promise<void> }> {
  if (backend === "pglite") {
    const dir = mkdtempSync(join(tmpdir(), "celgate-upgrade-"));
    const lite = new PGlite(dir);
    try {
      await migratePglite(drizzlePglite(lite), { migrationsFolder: folder });
      await lite.exec(statements);
    } finally {
      await lite.close();
    }
    const database = await openPglite(dir);
    return {
      database,
      drop: async () => {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const created = await createPostgresDatabase();
  const client = new pg.Client({ connectionString: created.url });
  await client.connect();
  try {
    await migrate(drizzle(client), { migrationsFolder: folder });
    await client.query(statements);
  } finally {
    await client.end();
  }
  const database = await openPostgres(created.url, { poolSize: 1 });
  return {
    database,
    drop: async () => {
      await database.close();
      await created.drop();
    },
  };
}

// Releases before webhook URLs were redacted stored them whole in the audit log and in delivery
// errors; an incoming webhook's URL carries its token. The start that applies migration 0009
// rewrites them at rest, with the service's rule, and touches no other row.
describe.each(BACKENDS)("upgrading webhook rows stored whole, on %s", (backend) => {
  const PATH_TOKEN = "xoxbPathToken0123456789";
  const QUERY_TOKEN = "qs-token-0123456789abcdef";
  const GONE_TOKEN = "goneToken9876543210";
  const ORPHAN_TOKEN = "orphanToken5555";
  const TOKENS = [PATH_TOKEN, QUERY_TOKEN, GONE_TOKEN, ORPHAN_TOKEN];
  const LIVE = `https://hooks.slack.com/services/T0001/B0002/${PATH_TOKEN}?token=${QUERY_TOKEN}`;
  // as given: the rule's WHATWG parse lowers the host and drops the default port
  const GONE = `https://Hooks.Example.COM:443/in/${GONE_TOKEN}`;
  const json = (value: unknown) => `'${JSON.stringify(value)}'::jsonb`;
  const audit = (id: number, action: string, kind: string, name: string, detail: unknown) =>
    `insert into audit (id, actor, action, target_kind, target_name, detail) values (${id}, 'admin', '${action}', '${kind}', '${name}', ${json(detail)});`;
  // what the older release wrote, row by row (its statements, its values)
  const OLD_ROWS = [
    `insert into webhooks (id, url, events, secret, created_by) values ('wh_live', '${LIVE}', '["finding.opened"]', 'whsec_1', 'admin');`,
    audit(1, "webhook.create", "webhook", "wh_live", { url: LIVE, events: ["finding.opened"] }),
    audit(2, "webhook.create", "webhook", "wh_gone", { url: GONE, events: ["finding.opened"] }),
    audit(3, "webhook.fail", "webhook", "wh_live", {
      delivery: "whd_1",
      status: null,
      error: `TypeError: Failed to parse URL from ${LIVE}`,
    }),
    // its path only: known as wh_gone's from the rows of its creation and deletion
    audit(4, "webhook.fail", "webhook", "wh_gone", {
      delivery: "whd_2",
      error: `POST /in/${GONE_TOKEN} refused`,
    }),
    audit(5, "webhook.delete", "webhook", "wh_gone", { url: GONE }),
    // a webhook known by no row: a URL in the text is redacted all the same
    audit(6, "webhook.fail", "webhook", "wh_orphan", {
      error: `getaddrinfo ENOTFOUND https://hooks.orphan.example/x/${ORPHAN_TOKEN}`,
    }),
    // rows to leave alone: redacted already, no URL, bare URL, another kind
    audit(7, "webhook.create", "webhook", "wh_new", {
      url: "https://hooks.example/…",
      events: ["finding.resolved"],
    }),
    audit(8, "webhook.deliver", "webhook", "wh_live", { delivery: "whd_3", status: 204 }),
    audit(9, "webhook.fail", "webhook", "wh_live", {
      error: "connect ECONNREFUSED 10.0.0.8:443",
      status: null,
    }),
    audit(10, "webhook.create", "webhook", "wh_bare", { url: "https://hooks.bare.example/", events: [] }),
    audit(11, "token.create", "token", "tok_1", { name: "ci https://ci.example/job/1", role: "viewer" }),
    `insert into webhook_deliveries (id, webhook_id, event, payload, status, attempts, last_error) values
      (1, 'wh_live', 'finding.opened', '{"finding":{}}', 'pending', 1, 'connect to ${LIVE} timed out'),
      (2, 'wh_live', 'finding.opened', '{"finding":{}}', 'failed', 8, 'the receiver answered 500');`,
  ].join("\n");
  const UNTOUCHED_AUDIT = [7, 8, 9, 10, 11];

  let older: string;
  let upgraded: Awaited<ReturnType<typeof upgradedDatabase>>;
  const rows = async (query: string) =>
    rowsOf(await upgraded.database.db.execute(sql.raw(query))) as Record<string, unknown>[];

  beforeAll(async () => {
    older = migrationsUpTo(9);
    upgraded = await upgradedDatabase(backend, older, OLD_ROWS);
  });
  afterAll(async () => {
    rmSync(older, { recursive: true, force: true });
    await upgraded?.drop();
  });

  it("leaves no token in the audit log or the deliveries, and redacts with the service's rule", async () => {
    const stored = JSON.stringify([
      await rows("select * from audit"),
      await rows("select * from webhook_deliveries"),
    ]);
    for (const token of TOKENS) expect(stored).not.toContain(token);
    const detail = new Map((await rows("select id, detail from audit")).map((r) => [Number(r.id), r.detail]));
    expect(detail.get(1)).toEqual({ url: "https://hooks.slack.com/…", events: ["finding.opened"] });
    expect(detail.get(2)).toEqual({ url: "https://hooks.example.com/…", events: ["finding.opened"] });
    expect(detail.get(3)).toEqual({
      delivery: "whd_1",
      status: null,
      error: "TypeError: Failed to parse URL from https://hooks.slack.com/…",
    });
    expect(detail.get(4)).toEqual({ delivery: "whd_2", error: "POST … refused" });
    expect(detail.get(5)).toEqual({ url: "https://hooks.example.com/…" });
    expect(detail.get(6)).toEqual({ error: "getaddrinfo ENOTFOUND https://hooks.orphan.example/…" });
    expect(await rows("select id, last_error from webhook_deliveries order by id")).toEqual([
      { id: expect.anything(), last_error: "connect to https://hooks.slack.com/… timed out" },
      { id: expect.anything(), last_error: "the receiver answered 500" },
    ]);
    // the audit log reads what is stored
    const log = await new AuditService(upgraded.database.db).list({ targetKind: "webhook", limit: 50 });
    for (const token of TOKENS) expect(JSON.stringify(log)).not.toContain(token);
  });

  it("keeps the webhook's own URL whole (deliveries need it) and writes no row that held nothing to hide", async () => {
    expect(await rows("select id, url from webhooks")).toEqual([{ id: "wh_live", url: LIVE }]);
    // xmin names the transaction that wrote a row's version: the redaction's is the one that
    // marked its setting done (a later migration, 0011, rewrote the whole audit table before)
    const [redaction] = await rows(
      "select xmin::text as xmin from settings where key = 'webhook_url_redaction'",
    );
    for (const r of await rows("select id, xmin::text as xmin from audit order by id"))
      if (UNTOUCHED_AUDIT.includes(Number(r.id)))
        expect(r.xmin, `audit row ${r.id}`).not.toBe(redaction?.xmin);
      else expect(r.xmin, `audit row ${r.id}`).toBe(redaction?.xmin);
    const deliveries = await rows("select xmin::text as xmin from webhook_deliveries order by id");
    expect(deliveries.map((r) => r.xmin === redaction?.xmin)).toEqual([true, false]);
  });

  it("runs once, and changes nothing when run again", async () => {
    expect(await rows("select value from settings where key = 'webhook_url_redaction'")).toEqual([
      { value: "done" },
    ]);
    const before = JSON.stringify(await rows("select *, xmin::text as xmin from audit order by id"));
    expect(await redactStoredWebhookUrls(upgraded.database.db)).toBe(0);
    await upgraded.database.db.execute(
      sql`update settings set value = 'pending' where key = 'webhook_url_redaction'`,
    );
    expect(await redactStoredWebhookUrls(upgraded.database.db)).toBe(0);
    expect(JSON.stringify(await rows("select *, xmin::text as xmin from audit order by id"))).toBe(before);
  });
});

// Releases before migration 0010 stored policy and exception documents as jsonb, which kept no
// key order (kind, spec, metadata, apiVersion; nested keys by length). Their author's order is
// lost: the start that applies 0010 puts them in their schema's order, once, values unchanged.
describe.each(BACKENDS)("upgrading documents stored as jsonb, on %s", (backend) => {
  const POLICY = {
    apiVersion: "celgate.dev/v1",
    kind: "Policy",
    metadata: { name: "old-policy", labels: { team: "shop", a: "first" } },
    spec: {
      description: "stored by an older release",
      severity: "high",
      action: "deny",
      failurePolicy: "Fail",
      match: { kinds: ["Deployment"], namespaces: ["shop"] },
      validations: [{ expression: "object.spec.?replicas.orValue(1) <= 10", message: "at most ten" }],
    },
  };
  const EXCEPTION = {
    apiVersion: "celgate.dev/v1",
    kind: "PolicyException",
    metadata: { name: "old-exception" },
    spec: {
      policies: ["owner-label"],
      match: { kinds: ["Deployment"], namespaces: ["legacy"] },
      reason: "legacy workloads",
      expires: "2099-01-01T00:00:00.000Z",
    },
  };
  // a document the schema no longer reads (a field it does not know): its top level is ordered
  const STRAY = {
    apiVersion: "celgate.dev/v1",
    kind: "Policy",
    metadata: { name: "stray" },
    spec: { validations: [{ expression: "true" }], retired: true },
  };
  const jsonb = (value: unknown) => `'${JSON.stringify(value)}'::jsonb`;
  const OLD_ROWS = [
    `insert into policies (name, source, version, etag, labels, document, updated_by) values
      ('old-policy', 'api', 2, '"v2"', ${jsonb(POLICY.metadata.labels)}, ${jsonb(POLICY)}, 'admin'),
      ('stray', 'api', 1, '"v1"', '{}', ${jsonb(STRAY)}, 'admin');`,
    `insert into policy_versions (name, version, change, source, actor, document) values
      ('old-policy', 1, 'create', 'api', 'admin', ${jsonb(POLICY)}),
      ('old-policy', 2, 'update', 'api', 'admin', ${jsonb(POLICY)}),
      ('gone', 1, 'create', 'api', 'admin', ${jsonb({ ...POLICY, metadata: { name: "gone" } })}),
      ('gone', 2, 'delete', 'api', 'admin', null);`,
    `insert into exceptions (name, version, etag, expires, document, updated_by) values
      ('old-exception', 1, '"v1"', '2099-01-01T00:00:00Z', ${jsonb(EXCEPTION)}, 'admin');`,
  ].join("\n");

  let older: string;
  let upgraded: Awaited<ReturnType<typeof upgradedDatabase>>;
  const rows = async (query: string) =>
    rowsOf(await upgraded.database.db.execute(sql.raw(query))) as Record<string, unknown>[];

  beforeAll(async () => {
    older = migrationsUpTo(10);
    upgraded = await upgradedDatabase(backend, older, OLD_ROWS);
  });
  afterAll(async () => {
    rmSync(older, { recursive: true, force: true });
    await upgraded?.drop();
  });

  it("stores each in its schema's order (a map, such as labels, keeps jsonb's), values and versions unchanged", async () => {
    // what jsonb kept of the labels: shorter keys first
    const labels = { a: "first", team: "shop" };
    const policy = { ...POLICY, metadata: { name: "old-policy", labels } };
    // the labels as read (their text is jsonb's rendering, spaces included: not rewritten)
    const policies = (
      await rows("select name, version, etag, labels, document::text as document from policies order by name")
    ).map((r) => ({ ...r, labels: JSON.stringify(r.labels) }));
    expect(policies).toEqual([
      {
        name: "old-policy",
        version: 2,
        etag: '"v2"',
        labels: JSON.stringify(labels),
        document: JSON.stringify(policy),
      },
      {
        name: "stray",
        version: 1,
        etag: '"v1"',
        labels: "{}",
        // jsonb's order inside spec, which the schema does not read
        document: JSON.stringify({ ...STRAY, spec: { retired: true, validations: STRAY.spec.validations } }),
      },
    ]);
    expect(
      await rows(
        "select name, version, document::text as document from policy_versions order by name, version",
      ),
    ).toEqual([
      { name: "gone", version: 1, document: JSON.stringify({ ...policy, metadata: { name: "gone" } }) },
      { name: "gone", version: 2, document: null },
      { name: "old-policy", version: 1, document: JSON.stringify(policy) },
      { name: "old-policy", version: 2, document: JSON.stringify(policy) },
    ]);
    expect(await rows("select document::text as document from exceptions")).toEqual([
      { document: JSON.stringify(EXCEPTION) },
    ]);
  });

  it("runs once, rewrites nothing in order already, and leaves documents stored after it alone", async () => {
    expect(await rows("select value from settings where key = 'document_order'")).toEqual([
      { value: "done" },
    ]);
    const before = JSON.stringify(
      await rows("select document::text, xmin::text from policy_versions order by name, version"),
    );
    await upgraded.database.db.execute(
      sql`update settings set value = 'pending' where key = 'document_order'`,
    );
    expect(await orderStoredDocuments(upgraded.database.db)).toBe(0);
    expect(
      JSON.stringify(
        await rows("select document::text, xmin::text from policy_versions order by name, version"),
      ),
    ).toBe(before);
    // done: a document stored in its author's order is never put in the schema's
    const authored = { ...EXCEPTION, metadata: { name: "new-exception" } };
    const written = JSON.stringify({
      spec: authored.spec,
      kind: authored.kind,
      metadata: authored.metadata,
      apiVersion: authored.apiVersion,
    });
    await upgraded.database.db.execute(
      sql`insert into exceptions (name, version, etag, expires, document, updated_by)
          values ('new-exception', 1, '"v1"', now(), ${written}::json, 'admin')`,
    );
    expect(await orderStoredDocuments(upgraded.database.db)).toBe(0);
    expect(
      await rows("select document::text as document from exceptions where name = 'new-exception'"),
    ).toEqual([{ document: written }]);
  });
});

// Releases before migration 0011 stored the audit detail as jsonb: the document an exception's
// deletion row carries lost its author's order. The start that applies 0011 puts it in its
// schema's order, once, the rest of the row unchanged.
describe.each(BACKENDS)("upgrading audited documents stored as jsonb, on %s", (backend) => {
  const EXCEPTION = {
    apiVersion: "celgate.dev/v1",
    kind: "PolicyException",
    metadata: { name: "deleted-exception", annotations: { "z.example/b": "2", "a.example/a": "1" } },
    spec: {
      policies: ["owner-label"],
      match: { kinds: ["Deployment"], namespaces: ["legacy"] },
      reason: "legacy workloads",
      expires: "2099-01-01T00:00:00.000Z",
    },
  };
  const jsonb = (value: unknown) => `'${JSON.stringify(value)}'::jsonb`;
  const OLD_ROWS = `insert into audit (id, actor, action, target_kind, target_name, detail) values
    (1, 'admin', 'exception.create', 'exception', 'deleted-exception', ${jsonb({ policies: ["owner-label"], reason: "legacy workloads" })}),
    (2, 'admin', 'exception.delete', 'exception', 'deleted-exception', ${jsonb({ document: EXCEPTION })}),
    (3, 'admin', 'exception.delete', 'exception', 'odd', ${jsonb({ document: null })}),
    (4, 'admin', 'policy.delete', 'policy', 'p', ${jsonb({ version: 3 })});`;

  let older: string;
  let upgraded: Awaited<ReturnType<typeof upgradedDatabase>>;
  const rows = async (query: string) =>
    rowsOf(await upgraded.database.db.execute(sql.raw(query))) as Record<string, unknown>[];

  beforeAll(async () => {
    older = migrationsUpTo(11);
    upgraded = await upgradedDatabase(backend, older, OLD_ROWS);
  });
  afterAll(async () => {
    rmSync(older, { recursive: true, force: true });
    await upgraded?.drop();
  });

  it("stores a deleted exception's document in its schema's order (annotations keep jsonb's), the rest unchanged", async () => {
    // what jsonb kept of the annotations: shorter keys first, then by bytes
    const annotations = { "a.example/a": "1", "z.example/b": "2" };
    const document = { ...EXCEPTION, metadata: { name: "deleted-exception", annotations } };
    const detail = await rows("select detail::text as detail from audit order by id");
    expect(detail[1]).toEqual({ detail: JSON.stringify({ document }) });
    // the audit log answers it so
    const log = await new AuditService(upgraded.database.db).list({ targetKind: "exception", limit: 50 });
    expect(
      JSON.stringify(log.items.find((i) => i.action === "exception.delete" && i.targetName !== "odd")),
    ).toContain(`"detail":${JSON.stringify({ document })}`);
    // rows without a document to order are read as before
    expect(detail.map((r) => JSON.parse(String(r.detail)))).toEqual([
      { reason: "legacy workloads", policies: ["owner-label"] },
      { document },
      { document: null },
      { version: 3 },
    ]);
  });

  it("runs once, rewrites nothing in order already, and leaves rows written after it alone", async () => {
    expect(await rows("select value from settings where key = 'audited_document_order'")).toEqual([
      { value: "done" },
    ]);
    const before = JSON.stringify(await rows("select detail::text, xmin::text from audit order by id"));
    await upgraded.database.db.execute(
      sql`update settings set value = 'pending' where key = 'audited_document_order'`,
    );
    expect(await orderAuditedDocuments(upgraded.database.db)).toBe(0);
    expect(JSON.stringify(await rows("select detail::text, xmin::text from audit order by id"))).toBe(before);
    // done: a deletion audited in its author's order is never put in the schema's
    const written = JSON.stringify({
      document: {
        spec: EXCEPTION.spec,
        kind: EXCEPTION.kind,
        apiVersion: EXCEPTION.apiVersion,
        metadata: { name: "new" },
      },
    });
    await upgraded.database.db.execute(
      sql`insert into audit (id, actor, action, target_kind, target_name, detail)
          values (5, 'admin', 'exception.delete', 'exception', 'new', ${written}::json)`,
    );
    expect(await orderAuditedDocuments(upgraded.database.db)).toBe(0);
    expect(await rows("select detail::text as detail from audit where target_name = 'new'")).toEqual([
      { detail: written },
    ]);
  });
});
