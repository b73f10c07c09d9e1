// The token of CELGATE_ADMIN_TOKEN (tok_env_admin) belongs to the configuration: the API refuses
// to revoke it (a revocation the next start would undo), and a start without the variable
// revokes it. Checked on the real listening server, restarted on the same database.
import { afterEach, describe, expect, it } from "vitest";
import type { Database } from "../../../db/client.js";
import { loadConfig } from "../../../env.js";
import { type RunningServer, startServer } from "../../../server.js";
import {
  BACKENDS,
  capturingLogger,
  FIXTURE_POLICY_DIR,
  type Json,
  openTestDatabase,
} from "../../../test/harness.js";

const ENV_TOKEN = "env-admin-token-0123456789";

describe.each(BACKENDS)("the CELGATE_ADMIN_TOKEN token on %s", (backend) => {
  let cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup = [];
  });

  async function start(database: Database, env: Record<string, string>) {
    const { logger, lines } = capturingLogger();
    const printed: string[] = [];
    const server: RunningServer = await startServer(
      loadConfig({
        HOST: "127.0.0.1",
        PORT: "0",
        CELGATE_POLICY_DIR: FIXTURE_POLICY_DIR,
        CELGATE_EVALUATOR_THREADS: "0",
        ...(backend === "postgres" ? { DATABASE_URL: "postgres://unused.invalid/db" } : {}),
        ...env,
      }),
      { logger, database, print: (l) => printed.push(l) },
    );
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${server.port}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Json };
    };
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await server.close();
    };
    cleanup.push(close);
    return { close, call, lines, printed };
  }

  async function open() {
    const { database, drop } = await openTestDatabase(backend);
    cleanup.push(drop);
    return database;
  }

  it("refuses to revoke it with a 409 naming the variable; a start without the variable revokes it", async () => {
    const database = await open();
    let s = await start(database, { CELGATE_ADMIN_TOKEN: ENV_TOKEN });
    const other = await s.call("POST", "/v1/tokens", ENV_TOKEN, { name: "second admin", role: "admin" });
    expect(other.status).toBe(201);
    // not the last live admin, yet refused: the revocation would not survive the next start
    const refused = await s.call("DELETE", "/v1/tokens/tok_env_admin", other.body.token);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain("CELGATE_ADMIN_TOKEN");
    expect(refused.body.detail).toContain("restarting");
    expect((await s.call("GET", "/v1/whoami", ENV_TOKEN)).status).toBe(200);
    await s.close();

    // the same variable: still the same live token, nothing changed
    s = await start(database, { CELGATE_ADMIN_TOKEN: ENV_TOKEN });
    expect((await s.call("GET", "/v1/whoami", ENV_TOKEN)).body.id).toBe("tok_env_admin");
    await s.close();

    // the variable removed: the token is revoked at start, and the start says so
    s = await start(database, {});
    expect(s.lines.join("\n")).toContain("tok_env_admin) is now revoked");
    expect(s.printed).toEqual([]);
    expect((await s.call("GET", "/v1/whoami", ENV_TOKEN)).status).toBe(401);
    const list = await s.call("GET", "/v1/tokens?limit=500", other.body.token);
    const env = list.body.items.find((t: Json) => t.id === "tok_env_admin");
    expect(env.revokedAt).not.toBeNull();
    const audit = await s.call(
      "GET",
      "/v1/audit?targetKind=token&targetName=tok_env_admin",
      other.body.token,
    );
    expect(audit.body.items[0]).toMatchObject({ actor: "system", action: "token.revoke" });
    await s.close();

    // another value: the token is the new secret, the old one stays refused
    s = await start(database, { CELGATE_ADMIN_TOKEN: `${ENV_TOKEN}-rotated` });
    expect((await s.call("GET", "/v1/whoami", `${ENV_TOKEN}-rotated`)).body.id).toBe("tok_env_admin");
    expect((await s.call("GET", "/v1/whoami", ENV_TOKEN)).status).toBe(401);
    await s.close();
  }, 60_000);

  it("generates an admin token when removing the variable leaves none", async () => {
    const database = await open();
    let s = await start(database, { CELGATE_ADMIN_TOKEN: ENV_TOKEN });
    expect((await s.call("DELETE", "/v1/tokens/tok_env_admin", ENV_TOKEN)).status).toBe(409);
    await s.close();
    s = await start(database, {});
    expect((await s.call("GET", "/v1/whoami", ENV_TOKEN)).status).toBe(401);
    const secret = s.printed.join("\n").match(/cg_[A-Za-z0-9_-]{43}/)?.[0];
    expect(s.printed.join("\n")).toContain("CELGATE_ADMIN_TOKEN is no longer set");
    expect((await s.call("GET", "/v1/whoami", secret!)).body.role).toBe("admin");
    await s.close();
  }, 60_000);
});
