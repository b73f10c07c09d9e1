// The embedded database in its worker thread: values cross unchanged, transactions behave as
// PGlite's own, and every failure (a stuck engine, a worker that dies, a caller that waits too
// long) ends as an error, never a hang. Durability: an acknowledged write survives a close, and
// a worker killed in the middle of writing.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite, types } from "@electric-sql/pglite";
import { count, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, isDatabaseBroken, LOCKS, openPglite, tryAdvisoryXactLock } from "./client.js";
import { DatabaseBrokenError, DatabaseTimeoutError } from "./errors.js";
import { PgliteWorkerConnection } from "./pglite-remote.js";
import { state } from "./schema.js";

const tempDir = () => mkdtempSync(join(tmpdir(), "celgate-pglite-worker-"));
const until = async (check: () => boolean, ms = 30_000) => {
  for (const deadline = Date.now() + ms; !check() && Date.now() < deadline; )
    await new Promise((r) => setTimeout(r, 25));
};

// One table holding one of each kind of value the schema stores, and a few it could.
const VALUES_TABLE = `create table v (
  id int primary key, ts timestamp, tstz timestamptz, d date, iv interval, j jsonb, js json,
  big bigint, small int, n numeric, f float8, b bool, t text, bytes bytea, u uuid,
  tsa timestamp[], tstza timestamptz[], na numeric[], ta text[], nothing text)`;
const VALUES_ROWS = `insert into v values
  (1, '2026-12-06 14:15:16.123456', '2026-12-06 14:15:16.5+02', '2026-12-06', '1 day 02:03:04',
   '{"a":[1,2.5,null,"x"],"b":{"c":true},"big":12345678901234567890}', '{"k": 1}',
   9223372036854775807, -2147483648, 12345678901234567890.123456789, 0.1, true, E'\\u00e9t\\u00e9 \\n "q"',
   '\\x00ff10', '3f1e0c1a-7b7e-4c6e-9a67-2d1c3b4a5e6f',
   array['2026-01-01 00:00:00'::timestamp], array['2026-01-01 00:00:00+00'::timestamptz],
   array[1.5, 2]::numeric[], array['a', null, 'c'], null),
  (2, null, null, null, null, 'null', null, 42, null, null, 'NaN', false, '', '\\x', null,
   null, null, null, array[]::text[], null)`;

/** The options drizzle-orm 0.45's pglite driver passes (session.js), built the same way. */
const drizzleOptions = (rowMode: "object" | "array") => ({
  rowMode,
  parsers: Object.fromEntries(
    [types.TIMESTAMP, types.TIMESTAMPTZ, types.INTERVAL, types.DATE, 1231, 1115, 1185, 1187, 1182].map(
      (t) => [t, (value: string) => value],
    ),
  ),
});

describe("values cross the thread boundary unchanged", { timeout: 60_000 }, () => {
  let local: PGlite;
  let remote: PgliteWorkerConnection;
  beforeAll(async () => {
    [local, remote] = await Promise.all([
      PGlite.create("memory://"),
      PgliteWorkerConnection.open("memory://"),
    ]);
    for (const db of [local, remote]) {
      await db.exec(VALUES_TABLE);
      await db.exec(VALUES_ROWS);
    }
  });
  afterAll(async () => {
    await Promise.all([local?.close(), remote?.close()]);
  });

  const cases: [string, Parameters<PGlite["query"]>[2]][] = [
    ["PGlite's own parsers", undefined],
    ["drizzle's options, objects", drizzleOptions("object")],
    ["drizzle's options, arrays", drizzleOptions("array")],
    [
      "a parser that is not the identity, applied on this side",
      // PGlite's type says (value) => any; it calls parser(value, typeId)
      {
        parsers: {
          [types.INT4]: ((value: string, typeId: number) => `${typeId}:${value}`) as (v: string) => string,
        },
      },
    ],
  ];
  it.each(cases)("with %s", async (_name, options) => {
    const query = "select * from v order by id";
    const expected = await local.query(query, [], options);
    const got = await remote.query(query, [], options as never);
    expect(got.rows).toEqual(expected.rows);
    expect(got.fields).toEqual(expected.fields);
    expect(got.rows.length).toBe(2);
    // the kinds themselves, not only equality: structured clone keeps them
    const row = (await remote.query("select * from v where id = 1")).rows[0] as Record<string, unknown>;
    expect(row.ts).toBeInstanceOf(Date);
    expect(typeof row.big).toBe("bigint");
    expect(row.bytes).toBeInstanceOf(Uint8Array);
    expect(row.nothing).toBeNull();
  });

  it("sends parameters of every kind as PGlite receives them", async () => {
    const params = [
      new Date("2026-12-06T14:15:16.789Z"),
      { a: [1, "two", null], nested: { ok: true } },
      12345678901234567n,
      new Uint8Array([0, 1, 254, 255]),
      null,
      "it's",
    ];
    const query =
      "select $1::timestamptz as a, $2::jsonb as b, $3::bigint as c, $4::bytea as d, $5::text as e, $6::text as f";
    expect((await remote.query(query, params)).rows).toEqual((await local.query(query, params)).rows);
  });

  it("keeps an error's SQLSTATE and details, and refuses what cannot cross", async () => {
    const err = await remote.query("insert into v (id) values (1)").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: "23505", constraint: "v_pkey", table: "v" });
    await expect(remote.query("select $1::text", [() => 1])).rejects.toThrow(/could not be cloned/);
    await expect(remote.query("select 1", [], { serializers: {} } as never)).rejects.toThrow(/serializers/);
    expect((await remote.query("select 1 as one")).rows).toEqual([{ one: 1 }]);
  });
});

describe("transactions in the worker", () => {
  let database: Database;
  let remote: PgliteWorkerConnection;
  beforeAll(async () => {
    database = await openPglite("memory://");
    remote = database.engine!.instance;
  });
  afterAll(() => database.close());

  it("commits, rolls back on throw, and nests savepoints (drizzle)", async () => {
    const { db } = database;
    await db.transaction(async (tx) => {
      await tx.insert(state).values({ key: "committed", value: 1 });
      await tx
        .transaction(async (inner) => {
          await inner.insert(state).values({ key: "inner-rolled-back", value: 2 });
          throw new Error("inner");
        })
        .catch(() => {});
      await tx.transaction(async (inner) => {
        await inner.insert(state).values({ key: "inner-kept", value: 3 });
      });
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(state).values({ key: "rolled-back", value: 4 });
        throw new Error("outer");
      }),
    ).rejects.toThrow("outer");
    const keys = (await db.select().from(state)).map((r) => r.key).sort();
    expect(keys).toEqual(["committed", "inner-kept", "policy_generation"]);
    expect(await db.execute(sql`select 1 as one`)).toMatchObject({ rows: [{ one: 1 }] });
  });

  it("runs a query sent during a transaction after it, not inside it", async () => {
    const { db } = database;
    let outside: Promise<number> | undefined;
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(state).values({ key: "only-in-tx", value: 5 });
        outside = db
          .select({ n: count() })
          .from(state)
          .where(eq(state.key, "only-in-tx"))
          .then((r) => r[0]?.n ?? -1);
        // the outside query gets its turn only once this transaction is over
        await new Promise((r) => setTimeout(r, 100));
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(await outside).toBe(0);
  });

  it("takes the advisory locks of the background jobs", async () => {
    const locked = await database.db.transaction((tx) => tryAdvisoryXactLock(tx, LOCKS.retention));
    expect(locked).toBe(true);
  });

  it("answers a commit that PostgreSQL turned into a rollback with its error", async () => {
    await expect(
      remote.transaction(async (tx) => {
        await tx.query("select 1/0").catch(() => {});
      }),
    ).rejects.toMatchObject({ code: "25P02" });
    expect((await remote.query("select 2 as two")).rows).toEqual([{ two: 2 }]);
  });
});

describe("failures end as errors, never as hangs", { timeout: 120_000 }, () => {
  it("rejects a request that waits too long, and drops it: it never runs", async () => {
    const remote = await PgliteWorkerConnection.open("memory://", { timeoutMs: 400 });
    try {
      await remote.exec("create table t (n int)");
      let release: () => void = () => {};
      const held = remote.transaction(async (tx) => {
        await tx.query("insert into t values (1)");
        await new Promise<void>((r) => {
          release = r;
        });
      });
      const started = Date.now();
      await expect(remote.query("insert into t values (2)")).rejects.toBeInstanceOf(DatabaseTimeoutError);
      expect(Date.now() - started).toBeLessThan(20_000);
      // the worker was idle, waiting for the transaction: not stuck, so still in service
      expect(remote.lost).toBeNull();
      release();
      await held;
      expect((await remote.query("select n from t order by n")).rows).toEqual([{ n: 1 }]);
    } finally {
      await remote.close();
    }
  });

  it("loses the connection when one engine call runs past the limit", async () => {
    const remote = await PgliteWorkerConnection.open("memory://", { timeoutMs: 500 });
    let lostWith: string | null = null;
    remote.onLost = (reason) => {
      lostWith = reason;
    };
    try {
      const err = await remote
        .query("select count(*) from generate_series(1, 200000000)")
        .catch((e: unknown) => e);
      // first its caller stops waiting; then the call still running is found stuck
      expect(err).toBeInstanceOf(DatabaseTimeoutError);
      await until(() => lostWith !== null, 10_000);
      expect(lostWith).toMatch(/did not finish within 500 ms/);
      await expect(remote.query("select 1")).rejects.toBeInstanceOf(DatabaseBrokenError);
    } finally {
      await remote.close();
    }
  });

  it("rejects what is in flight when the worker dies, and refuses what follows", async () => {
    const remote = await PgliteWorkerConnection.open("memory://");
    try {
      const inFlight = remote.query("select count(*) from generate_series(1, 50000000)");
      await remote.terminate();
      await expect(inFlight).rejects.toBeInstanceOf(DatabaseBrokenError);
      expect(remote.lost).toMatch(/stopped/);
      await expect(remote.query("select 1")).rejects.toThrow(/unavailable/);
    } finally {
      await remote.close();
    }
  });

  it("marks the service's database broken when its worker dies, and reopens a file-backed one", async () => {
    const database = await openPglite(tempDir());
    try {
      await database.db.insert(state).values({ key: "before-crash", value: 7 });
      const first = database.engine!.instance;
      await first.terminate();
      await until(() => database.broken() !== null, 5000);
      expect(database.broken()).toMatch(/worker stopped/);
      await until(() => database.broken() === null);
      expect(database.broken()).toBeNull();
      expect(database.engine!.instance).not.toBe(first);
      expect(await database.ping()).toBe(true);
      const rows = await database.db.select().from(state).where(eq(state.key, "before-crash"));
      expect(rows).toEqual([{ key: "before-crash", value: 7 }]);
    } finally {
      await database.close();
    }
  }, 90_000);

  it("keeps an in-memory database broken after its worker dies", async () => {
    const database = await openPglite("memory://");
    try {
      await database.engine!.instance.terminate();
      await until(() => database.broken() !== null, 5000);
      expect(await database.ping()).toBe(false);
      const err = await database.db
        .select()
        .from(state)
        .catch((e: unknown) => e);
      expect(isDatabaseBroken(err)).toBe(true);
      expect((err as Error).cause).toBeInstanceOf(DatabaseBrokenError);
    } finally {
      await database.close();
    }
  });
});

describe("durability", () => {
  it("keeps what was written across a close and a reopen; close waits for what is in flight", async () => {
    const dir = tempDir();
    const first = await openPglite(dir);
    const writes = Array.from({ length: 20 }, (_, i) =>
      first.db
        .insert(state)
        .values({ key: `k${i}`, value: i })
        .execute(),
    );
    await first.close(); // not awaiting the writes first: close lets them finish
    await Promise.all(writes);
    const late = await first.db
      .select()
      .from(state)
      .catch((e: unknown) => e);
    expect((late as Error).cause).toMatchObject({ message: expect.stringMatching(/closed/) });
    const second = await openPglite(dir);
    try {
      const rows = await second.db.select().from(state);
      expect(rows.filter((r) => r.key.startsWith("k")).length).toBe(20);
    } finally {
      await second.close();
    }
  }, 90_000);

  it("keeps every acknowledged write when the worker is killed in the middle of writing", async () => {
    const dir = tempDir();
    const database = await openPglite(dir);
    const acknowledged: number[] = [];
    let failed = 0;
    const writer = (async () => {
      for (let i = 0; i < 5000 && failed === 0; i++) {
        try {
          await database.db.transaction(async (tx) => {
            await tx.insert(state).values({ key: `w${i}`, value: i });
          });
          acknowledged.push(i);
        } catch {
          failed++;
        }
      }
    })();
    await until(() => acknowledged.length >= 30);
    await database.engine!.instance.terminate();
    await writer;
    await database.close();
    expect(failed).toBe(1);
    const reopened = await openPglite(dir);
    try {
      const stored = new Set(
        (await reopened.db.select().from(state)).filter((r) => r.key.startsWith("w")).map((r) => r.value),
      );
      expect(acknowledged.length).toBeGreaterThanOrEqual(30);
      for (const i of acknowledged) expect(stored.has(i), `write ${i}`).toBe(true);
    } finally {
      await reopened.close();
    }
  }, 120_000);
});
