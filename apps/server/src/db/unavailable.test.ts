// The database goes away and comes back: readiness fails, writes answer 503 problems, the
// process stays up and recovers by itself.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app.js";
import { createLogger } from "../lib/logger.js";
import { Metrics } from "../lib/metrics.js";
import { createServices, type Services } from "../services/index.js";
import { BACKENDS, createPostgresDatabase, deploymentYaml, FIXTURE_POLICY_DIR } from "../test/harness.js";
import { TcpProxy } from "../test/process.js";
import { checkResponses } from "../test/responses.js";
import { type Database, openPostgres } from "./client.js";

const ADMIN = "unavailable-admin-token-0123456789";

describe.skipIf(!BACKENDS.includes("postgres"))("PostgreSQL unreachable", () => {
  let dropDb: () => Promise<void>;
  let database: Database;
  let services: Services;
  let app: ReturnType<typeof createApp>;
  const proxy = new TcpProxy("127.0.0.1", 5432);

  beforeAll(async () => {
    const created = await createPostgresDatabase();
    dropDb = created.drop;
    const port = await proxy.start();
    const url = new URL(created.url);
    url.host = `127.0.0.1:${port}`;
    database = await openPostgres(url.toString(), { poolSize: 4 });
    const logger = createLogger("silent");
    services = createServices({ database, logger, metrics: new Metrics(), policyPollMs: 0 });
    await services.tokens.seedAdmin(ADMIN);
    await services.policies.syncRepository(FIXTURE_POLICY_DIR, logger);
    app = createApp({ services, bodyLimit: 1 << 20 });
    checkResponses(app);
  });
  afterAll(async () => {
    await proxy.cut();
    await database.close();
    await dropDb();
  });

  const call = async (method: string, path: string, body?: string, contentType = "application/json") => {
    const res = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": contentType },
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  const evaluation = JSON.stringify({ manifests: deploymentYaml("x") });

  it("fails readiness and answers 503 while down, recovers when back", async () => {
    expect((await call("GET", "/readyz")).status).toBe(200);
    expect((await call("POST", "/v1/evaluations", evaluation)).status).toBe(201);

    await proxy.cut();
    // readiness is cached for a few seconds (services/readiness.ts): it turns within them
    let ready = await call("GET", "/readyz");
    for (const deadline = Date.now() + 10_000; ready.status === 200 && Date.now() < deadline; )
      ready = await new Promise((r) => setTimeout(r, 100)).then(() => call("GET", "/readyz"));
    expect(ready.status).toBe(503);
    expect(ready.body.checks.database).toBe(false);
    const write = await call("POST", "/v1/evaluations", evaluation);
    expect(write.status).toBe(503);
    expect(write.headers.get("content-type")).toContain("application/problem+json");
    expect(write.headers.get("retry-after")).toBe("1");
    expect(write.body).toMatchObject({
      status: 503,
      title: "Service unavailable",
      requestId: expect.any(String),
    });
    expect(JSON.stringify(write.body)).not.toMatch(/ECONNREFUSED|insert|select|127\.0\.0\.1/);
    await new Promise((r) => setTimeout(r, 1100)); // past the token cache
    const policy = await call("GET", "/v1/policies");
    expect(policy.status).toBe(503);
    expect((await call("GET", "/healthz")).status).toBe(200);

    await proxy.start(proxy.port);
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await call("GET", "/readyz")).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    const after = await call("POST", "/v1/evaluations", evaluation);
    expect(after.status).toBe(201);
    expect((await call("GET", `/v1/evaluations/${after.body.id}`)).status).toBe(200);
  });
});
