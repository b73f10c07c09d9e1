// Instances sharing one database must agree on CELGATE_ADMIN_TOKEN: a start whose value (or
// whose absence of one) differs from that of an instance still running there is refused,
// naming the variable, and changes nothing; once those instances are gone, it starts. Checked
// with real listening servers through real HTTP: in process on PGlite and PostgreSQL, and as
// separate processes (dist/main.js) on PostgreSQL, one of them killed with SIGKILL.
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { type Database, openPglite, openPostgres } from "../../../db/client.js";
import { ConfigError, loadConfig } from "../../../env.js";
import { sha256Hex } from "../../../lib/ids.js";
import { type RunningServer, startServer } from "../../../server.js";
import {
  BACKENDS,
  capturingLogger,
  createPostgresDatabase,
  FIXTURE_POLICY_DIR,
} from "../../../test/harness.js";
import { built, type Child, startChild } from "../../../test/process.js";

const X = "replica-admin-token-x-0123456789";
const Y = "replica-admin-token-y-0123456789";

/** The status of GET /v1/whoami with `token` on the server at `port`. */
async function whoami(port: number, token: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/whoami`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await res.body?.cancel();
  return res.status;
}

/** Two pools on one new PostgreSQL database (and its URL), as two replicas hold them; closed and dropped by `cleanup`. */
async function twoPools(
  cleanup: (() => Promise<void>)[],
): Promise<{ a: Database; b: Database; url: string }> {
  const created = await createPostgresDatabase();
  cleanup.push(created.drop);
  const a = await openPostgres(created.url, { poolSize: 3 });
  const b = await openPostgres(created.url, { poolSize: 3 });
  cleanup.push(async () => {
    await a.close();
    await b.close();
  });
  return { a, b, url: created.url };
}

describe.each(BACKENDS)("instances of one database with different CELGATE_ADMIN_TOKEN on %s", (backend) => {
  let cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup = [];
  });

  /** Two handles on one new database: one shared PGlite, or two pools on one PostgreSQL database. */
  async function shared(): Promise<[Database, Database]> {
    if (backend === "pglite") {
      const database = await openPglite("memory://");
      cleanup.push(() => database.close());
      return [database, database];
    }
    const { a, b } = await twoPools(cleanup);
    return [a, b];
  }

  async function start(database: Database, env: Record<string, string>) {
    const { logger, lines } = capturingLogger();
    const server: RunningServer = await startServer(
      loadConfig({
        HOST: "127.0.0.1",
        PORT: "0",
        CELGATE_POLICY_DIR: FIXTURE_POLICY_DIR,
        CELGATE_EVALUATOR_THREADS: "0",
        CELGATE_SHUTDOWN_TIMEOUT_S: "1",
        ...(backend === "postgres" ? { DATABASE_URL: "postgres://unused.invalid/db" } : {}),
        ...env,
      }),
      { logger, database, print: () => {} },
    );
    cleanup.push(() => server.close());
    return { server, lines, port: server.port };
  }

  /** The refusal of a start, as main prints it (ConfigError: exit code 2). */
  async function refused(database: Database, env: Record<string, string>): Promise<string> {
    const err: unknown = await start(database, env).then(
      () => new Error("the start was not refused"),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }

  it("refuses a start with another value or none while an instance runs; changes nothing", async () => {
    const [a, b] = await shared();
    const A = await start(a, { CELGATE_ADMIN_TOKEN: X });
    expect(await whoami(A.port, X)).toBe(200);
    const created = await fetch(`http://127.0.0.1:${A.port}/v1/tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${X}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "second admin", role: "admin" }),
    });
    const second = ((await created.json()) as { token: string }).token;

    // another value: refused, naming the variable and what to do
    const other = await refused(b, { CELGATE_ADMIN_TOKEN: Y });
    expect(other).toContain(
      "CELGATE_ADMIN_TOKEN is set here, unlike an instance still running on this database",
    );
    expect(other).toContain("set to another value");
    expect(other).toContain("must agree on CELGATE_ADMIN_TOKEN");
    expect(other).toContain("stop them all");
    expect(other).not.toContain(X);
    // no value: refused too (it would revoke the running instance's token)
    const none = await refused(b, {});
    expect(none).toContain("CELGATE_ADMIN_TOKEN is unset here");
    expect(none).toContain("without it revokes the stored admin token");

    // the running instance's token was neither replaced nor revoked; the refused value was not taken
    expect(await whoami(A.port, X)).toBe(200);
    expect(await whoami(A.port, Y)).toBe(401);
    const env = await fetch(`http://127.0.0.1:${A.port}/v1/tokens?limit=500`, {
      headers: { authorization: `Bearer ${second}` },
    });
    const items = ((await env.json()) as { items: { id: string; revokedAt: string | null }[] }).items;
    expect(items.find((t) => t.id === "tok_env_admin")?.revokedAt).toBeNull();

    // the same value: a replica starts, and both take it
    const B = await start(b, { CELGATE_ADMIN_TOKEN: X });
    expect(await whoami(B.port, X)).toBe(200);
    expect(await whoami(A.port, X)).toBe(200);
    // still refused while either runs
    await A.server.close();
    expect(await refused(a, { CELGATE_ADMIN_TOKEN: Y })).toContain("CELGATE_ADMIN_TOKEN");
    await B.server.close();

    // every instance of the old value stopped: the new one starts, and the old one is refused
    const C = await start(a, { CELGATE_ADMIN_TOKEN: Y });
    expect(await whoami(C.port, Y)).toBe(200);
    expect(await whoami(C.port, X)).toBe(401);
  }, 120_000);

  it("refuses a start with a value while an instance without one runs", async () => {
    const [a, b] = await shared();
    await start(a, {});
    const message = await refused(b, { CELGATE_ADMIN_TOKEN: X });
    expect(message).toContain("one with it unset");
    expect(message).toContain("replaces the stored admin token with its value");
  }, 120_000);

  it("gives the claim up when the start fails after it", async () => {
    const [a] = await shared();
    // refused later in the start: the policy folder is not there
    await expect(
      start(a, { CELGATE_ADMIN_TOKEN: X, CELGATE_POLICY_DIR: "/nonexistent/celgate-policies" }),
    ).rejects.toThrow(/CELGATE_POLICY_DIR/);
    const B = await start(a, { CELGATE_ADMIN_TOKEN: Y });
    expect(await whoami(B.port, Y)).toBe(200);
  }, 60_000);

  it("honours the stored token only while it holds the instance's own value", async () => {
    const [a] = await shared();
    const A = await start(a, { CELGATE_ADMIN_TOKEN: X });
    // what a start that was not refused (an older release) would have written behind A's back
    await a.db.execute(sql`update tokens set hash = ${sha256Hex(Y)} where id = 'tok_env_admin'`);
    // token lookups are cached for a second
    await new Promise((r) => setTimeout(r, 1100));
    // A was not given Y: it refuses it, whatever the table says
    expect(await whoami(A.port, Y)).toBe(401);
    expect(await whoami(A.port, X)).toBe(401);
  }, 60_000);
});

describe.runIf(BACKENDS.includes("postgres"))("the claim on CELGATE_ADMIN_TOKEN on PostgreSQL", () => {
  let cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup = [];
  });

  it("is taken again after its connection was lost", async () => {
    const { a, b, url } = await twoPools(cleanup);
    const { logger, lines } = capturingLogger();
    const config = (token: string) =>
      loadConfig({
        HOST: "127.0.0.1",
        PORT: "0",
        DATABASE_URL: url,
        CELGATE_POLICY_DIR: FIXTURE_POLICY_DIR,
        CELGATE_EVALUATOR_THREADS: "0",
        CELGATE_ADMIN_TOKEN: token,
      });
    const A = await startServer(config(X), { logger, database: a, print: () => {} });
    cleanup.push(() => A.close());
    // the database ends the session that holds A's claim (as a restart of PostgreSQL would)
    await a.db.execute(
      sql`select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and objsubid = 2 and pid <> pg_backend_pid()`,
    );
    await expect
      .poll(() => lines.join("\n"), { timeout: 10_000 })
      .toContain("claimed CELGATE_ADMIN_TOKEN again");
    expect(lines.join("\n")).toContain("lost the database connection that holds this instance's claim");
    const err = await startServer(config(Y), { logger: capturingLogger().logger, database: b }).then(
      (s) => s.close().then(() => new Error("the start was not refused")),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect(await whoami(A.port, X)).toBe(200);
  }, 60_000);
});

describe.runIf(built && BACKENDS.includes("postgres"))(
  "separate processes on one PostgreSQL with different CELGATE_ADMIN_TOKEN",
  () => {
    let cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanup.reverse()) await c();
      cleanup = [];
    });

    const spawn = async (url: string, token: string, waitReady = true): Promise<Child> => {
      const child = await startChild(
        {
          DATABASE_URL: url,
          CELGATE_ADMIN_TOKEN: token,
          CELGATE_POLICY_DIR: FIXTURE_POLICY_DIR,
          CELGATE_EVALUATOR_THREADS: "0",
        },
        { waitReady },
      );
      cleanup.push(async () => {
        if (child.proc.exitCode === null && child.proc.signalCode === null) {
          child.proc.kill("SIGTERM");
          await child.exited;
        }
      });
      return child;
    };

    it("refuses the second with exit code 2 while the first runs; starts it once the first is killed", async () => {
      const created = await createPostgresDatabase();
      cleanup.push(created.drop);
      const first = await spawn(created.url, X);
      expect(await whoami(first.port, X)).toBe(200);

      const second = await spawn(created.url, Y, false);
      expect((await second.exited).code).toBe(2);
      const stderr = second.stderr();
      expect(stderr).toMatch(/^celgate: CELGATE_ADMIN_TOKEN is set here, unlike an instance still running/);
      expect(stderr).toContain("application celgate");
      expect(stderr).not.toContain(Y);
      expect(await whoami(first.port, X)).toBe(200);

      // killed without a chance to clean up: its session ends with its process, and the claim with it
      first.proc.kill("SIGKILL");
      await first.exited;
      const third = await spawn(created.url, Y);
      expect(await whoami(third.port, Y)).toBe(200);
      expect(await whoami(third.port, X)).toBe(401);
    }, 120_000);
  },
);
