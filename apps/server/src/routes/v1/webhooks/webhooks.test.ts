// A webhook URL can carry a token (an incoming webhook's is in its path, others put one in the
// query): once created, it is shown redacted wherever the API or the log shows it (the list,
// the audit log, delivery errors), and used whole only to deliver. On both databases, through
// real requests, with a real receiver.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audit } from "../../../db/schema.js";
import { rowsOf } from "../../../services/changes.js";
import { redactedUrl, withoutUrl } from "../../../services/webhook-targets.js";
import { BACKENDS, type Json, openFinding, setupApp, type TestApp } from "../../../test/harness.js";

const TOKEN = "T0001/B0002/xoxbPathToken0123456789";
const QUERY_TOKEN = "qs-token-0123456789abcdef";
const SLACK = `https://hooks.slack.com/services/${TOKEN}?token=${QUERY_TOKEN}`;

describe("a redacted webhook URL", () => {
  it("keeps the scheme, host and port, and hides userinfo, path, query and fragment", () => {
    expect(redactedUrl(SLACK)).toBe("https://hooks.slack.com/…");
    expect(redactedUrl("http://10.0.0.8:8080/hook")).toBe("http://10.0.0.8:8080/…");
    expect(redactedUrl("https://[2001:db8::1]:8443/x?y=1")).toBe("https://[2001:db8::1]:8443/…");
    expect(redactedUrl("https://user:pw@hooks.example/")).toBe("https://hooks.example/…");
    expect(redactedUrl("https://hooks.example/?key=k")).toBe("https://hooks.example/…");
    expect(redactedUrl("https://hooks.example/?")).toBe("https://hooks.example/…");
    expect(redactedUrl("https://hooks.example#frag")).toBe("https://hooks.example/…");
    // nothing to hide: shown whole; redacting twice changes nothing
    expect(redactedUrl("https://hooks.example")).toBe("https://hooks.example/");
    expect(redactedUrl("https://hooks.slack.com/…")).toBe("https://hooks.slack.com/…");
    expect(redactedUrl("not a url")).toBe("…");
  });

  it("is what a delivery error quotes instead of the URL", () => {
    expect(withoutUrl(`connect to ${SLACK} failed`, SLACK)).toBe(
      "connect to https://hooks.slack.com/… failed",
    );
    expect(withoutUrl(`POST /services/${TOKEN}?token=${QUERY_TOKEN} refused`, SLACK)).toBe("POST … refused");
    expect(withoutUrl("connect ECONNREFUSED 10.0.0.8:443", SLACK)).toBe("connect ECONNREFUSED 10.0.0.8:443");
  });
});

describe.each(BACKENDS)("webhook URLs on %s", (backend) => {
  let t: TestApp;
  let server: Server;
  let port: number;
  const paths: string[] = [];

  beforeAll(async () => {
    // the harness allows loopback receivers (CELGATE_WEBHOOK_TARGETS=any)
    t = await setupApp(backend, { services: { webhooks: { maxAttempts: 1, timeoutMs: 2000 } } });
    server = createServer((req, res) => {
      paths.push(req.url ?? "");
      req.resume();
      req.on("end", () => res.writeHead(204).end());
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await t.close();
  });

  const hidden = (body: unknown) => {
    const text = JSON.stringify(body);
    expect(text).not.toContain("xoxbPathToken0123456789");
    expect(text).not.toContain(QUERY_TOKEN);
  };

  /** Queues one delivery of a finding to every webhook, delivers it, and waits for the outcome. */
  async function deliver(id: string) {
    await t.database.db.transaction((tx) =>
      t.services.webhooks.enqueue(tx, "finding.opened", [openFinding(id)]),
    );
    while ((await t.services.webhooks.deliverDue()) > 0) await t.services.webhooks.idle();
    await t.services.webhooks.idle();
  }

  it("shows the URL whole at creation only, redacted in the list and the audit log", async () => {
    const created = await t.call("POST", "/v1/webhooks", {
      body: { url: SLACK, events: ["finding.opened"], description: "slack #alerts" },
    });
    expect(created.status).toBe(201);
    expect(created.body.url).toBe(SLACK); // shown once, with the secret
    expect(created.headers.get("cache-control")).toBe("no-store");

    const list = await t.call("GET", "/v1/webhooks");
    expect(list.status).toBe(200);
    const listed = list.body.items.find((w: Json) => w.id === created.body.id);
    expect(listed).toMatchObject({ url: "https://hooks.slack.com/…", description: "slack #alerts" });
    hidden(list.body);

    const log = await t.call("GET", `/v1/audit?targetKind=webhook&targetName=${created.body.id}`);
    expect(log.body.items).toEqual([
      expect.objectContaining({
        action: "webhook.create",
        detail: { url: "https://hooks.slack.com/…", events: ["finding.opened"] },
      }),
    ]);
    hidden(log.body);
    // nor is it in the audit table itself
    hidden(rowsOf(await t.database.db.execute(sql`select detail from audit where target_kind = 'webhook'`)));

    expect((await t.call("DELETE", `/v1/webhooks/${created.body.id}`)).status).toBe(204);
    const deleted = await t.call("GET", `/v1/audit?targetKind=webhook&targetName=${created.body.id}`);
    expect(deleted.body.items[0]).toMatchObject({
      action: "webhook.delete",
      detail: { url: "https://hooks.slack.com/…" },
    });
    hidden(deleted.body);
  });

  it("refuses a URL with credentials as a declared 422, storing and auditing nothing of it", async () => {
    const before = await t.call("GET", "/v1/audit");
    // the harness checks every answer against the route's declared responses
    const res = await t.call("POST", "/v1/webhooks", {
      body: { url: `http://hook-user:Cr3dPassw0rd@127.0.0.1:${port}/x`, events: ["finding.opened"] },
    });
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/credentials/);
    expect(JSON.stringify(res.body)).not.toContain("Cr3dPassw0rd");
    const after = await t.call("GET", "/v1/audit");
    expect(after.body.items.length).toBe(before.body.items.length);
    const rows = await t.database.db.execute(sql`select * from webhooks`);
    expect(JSON.stringify(rowsOf(rows))).not.toContain("Cr3dPassw0rd");
  });

  it("redacts the URLs of audit rows written before URLs were redacted", async () => {
    await t.database.db.insert(audit).values({
      actor: "test",
      action: "webhook.create",
      targetKind: "webhook",
      targetName: "wh_legacy",
      detail: { url: SLACK, events: ["finding.opened"] },
    });
    const log = await t.call("GET", "/v1/audit?targetKind=webhook&targetName=wh_legacy");
    expect(log.body.items[0].detail).toEqual({
      url: "https://hooks.slack.com/…",
      events: ["finding.opened"],
    });
    hidden(log.body);
  });

  it("delivers to the whole URL, and keeps it out of the outcome it records", async () => {
    const url = `http://127.0.0.1:${port}/services/${TOKEN}?token=${QUERY_TOKEN}`;
    const made = await t.call("POST", "/v1/webhooks", { body: { url, events: ["finding.opened"] } });
    expect(made.status).toBe(201);
    await deliver("fd_delivered");
    expect(paths).toEqual([`/services/${TOKEN}?token=${QUERY_TOKEN}`]);
    const list = await t.call("GET", "/v1/webhooks");
    expect(list.body.items.find((w: Json) => w.id === made.body.id).url).toBe(`http://127.0.0.1:${port}/…`);
    const log = await t.call("GET", `/v1/audit?targetKind=webhook&targetName=${made.body.id}`);
    expect(log.body.items.map((e: Json) => e.action)).toEqual(["webhook.deliver", "webhook.create"]);
    hidden(log.body);

    // a receiver that is gone: the attempt fails, and what is kept of it names no token
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await deliver("fd_failed");
    const failed = await t.call("GET", `/v1/audit?targetKind=webhook&targetName=${made.body.id}`);
    expect(failed.body.items[0]).toMatchObject({
      action: "webhook.fail",
      detail: { error: expect.any(String) },
    });
    hidden(failed.body);
    hidden(rowsOf(await t.database.db.execute(sql`select last_error from webhook_deliveries`)));
    // listening again for afterAll
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  });
});
