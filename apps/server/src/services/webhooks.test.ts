// Webhook delivery against hostile and careless targets, on both databases, with real HTTP
// receivers: the address policy (CELGATE_WEBHOOK_TARGETS) at creation and at every connection,
// redirects, receivers that hang or never stop sending, and the secret kept out of sight.
import { lookup } from "node:dns/promises";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { Writable } from "node:stream";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/client.js";
import { webhooks as webhooksTable } from "../db/schema.js";
import { createLogger } from "../lib/logger.js";
import { Metrics } from "../lib/metrics.js";
import { BACKENDS, openFinding, openTestDatabase } from "../test/harness.js";
import { DomainError } from "./errors.js";
import { refusedAddress, refusedUrl } from "./webhook-targets.js";
import { type WebhookDeliveryOptions, WebhookService } from "./webhooks.js";

const SECRET = "s3cret-webhook-key-0123456789-abcdefghijkl";

/** A real receiver on every interface; `answer` writes the response (or does nothing: it hangs). */
async function receiver(answer: (res: ServerResponse) => void) {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    req.resume();
    req.on("end", () => answer(res));
  });
  await new Promise<void>((r) => server.listen(0, "0.0.0.0", r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    hits: () => hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe("the webhook address policy", () => {
  it("classifies addresses; public only by default", () => {
    for (const a of ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1", "::ffff:7f00:1"])
      expect(refusedAddress(a, "public")).toContain("loopback");
    for (const a of ["169.254.169.254", "::ffff:169.254.169.254", "fd00:ec2::254", "100.100.100.200"])
      expect(refusedAddress(a, "private")).toContain("metadata");
    expect(refusedAddress("169.254.1.1", "private")).toContain("link-local");
    expect(refusedAddress("fe80::1", "public")).toContain("link-local");
    for (const a of ["10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "fd12::1"]) {
      expect(refusedAddress(a, "public")).toContain("CELGATE_WEBHOOK_TARGETS=private");
      expect(refusedAddress(a, "private")).toBeNull();
    }
    for (const a of [
      "0.0.0.0",
      "::",
      "224.0.0.1",
      "255.255.255.255",
      "::127.0.0.1",
      "64:ff9b::7f00:1",
      "2002:7f00:1::",
      "::ffff:0:7f00:1",
      "::ffff:0:a9fe:a9fe",
      "fec0::1",
    ])
      expect(refusedAddress(a, "private")).toContain("reserved");
    for (const a of ["93.184.216.34", "2606:4700::1111", "172.32.0.1"])
      expect(refusedAddress(a, "public")).toBeNull();
    expect(refusedAddress("127.0.0.1", "any")).toBeNull();
  });

  it("refuses URLs it can judge without DNS", () => {
    expect(refusedUrl("http://127.1:8080/", "public")).toContain("loopback"); // WHATWG reads 127.1 as 127.0.0.1
    expect(refusedUrl("http://2130706433/", "public")).toContain("loopback");
    expect(refusedUrl("http://0x7f.1/", "public")).toContain("loopback"); // hex and octal parts too
    expect(refusedUrl("http://0251.0376.0251.0376/", "private")).toContain("metadata");
    expect(refusedUrl("http://[::ffff:0:7f00:1]/", "private")).toContain("reserved");
    expect(refusedUrl("http://[::ffff:a9fe:a9fe]/latest", "private")).toContain("metadata");
    expect(refusedUrl("http://LOCALHOST./x", "private")).toContain("names this machine");
    expect(refusedUrl("http://api.localhost/x", "public")).toContain("names this machine");
    expect(refusedUrl("https://user:pw@hooks.example/x", "any")).toContain("credentials");
    expect(refusedUrl("https://hooks.example/x", "public")).toBeNull();
    expect(refusedUrl("http://10.0.0.8/x", "private")).toBeNull();
  });
});

describe.each(BACKENDS)("webhook delivery on %s", (backend) => {
  let database: Database;
  let drop: () => Promise<void>;
  const logged: string[] = [];
  const logger = createLogger(
    "debug",
    new Writable({
      write(chunk, _enc, done) {
        logged.push(String(chunk));
        done();
      },
    }),
  );
  const service = (o: Partial<WebhookDeliveryOptions> = {}) =>
    new WebhookService(database.db, logger, new Metrics(), { timeoutMs: 1000, maxAttempts: 1, ...o });

  beforeAll(async () => {
    ({ database, drop } = await openTestDatabase(backend));
  });
  afterAll(() => drop());

  /** Stores a webhook as it is (as if its URL resolved elsewhere when it was created), queues one delivery, delivers it. */
  async function deliverTo(url: string, options: Partial<WebhookDeliveryOptions>) {
    const id = `wh_${Math.random().toString(36).slice(2)}`;
    // one webhook at a time: the delivery queued is this one's only
    await database.db.execute(sql`delete from webhook_deliveries`);
    await database.db.delete(webhooksTable);
    await database.db.insert(webhooksTable).values({
      id,
      url,
      events: ["finding.opened"],
      secret: SECRET,
      createdBy: "test",
    });
    const s = service(options);
    await database.db.transaction((tx) => s.enqueue(tx, "finding.opened", [openFinding(`fd_${id}`)]));
    const started = Date.now();
    while ((await s.deliverDue()) > 0) await s.idle();
    await s.idle();
    const r = (await database.db.execute(
      sql`select status, last_status, last_error from webhook_deliveries where webhook_id = ${id}`,
    )) as unknown as { rows: { status: string; last_status: number | null; last_error: string | null }[] };
    return { ...r.rows[0]!, ms: Date.now() - started };
  }

  it("refuses at creation a URL the policy rules out, and never shows the secret again", async () => {
    for (const url of [
      "http://127.0.0.1:9/x",
      "http://169.254.169.254/latest/meta-data",
      "http://localhost/x",
    ]) {
      const err = await service()
        .create("admin", { url, events: ["finding.opened"] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe("invalid-input");
    }
    await expect(
      service({ targets: "private" }).create("admin", {
        url: "http://10.0.0.9/x",
        events: ["finding.opened"],
      }),
    ).resolves.toMatchObject({ url: "http://10.0.0.9/x" });
    const made = await service().create("admin", {
      url: "https://hooks.example/x",
      events: ["finding.opened"],
      secret: SECRET,
    });
    expect(made.secret).toBe(SECRET);
    expect(JSON.stringify(await service().list({ limit: 100 }))).not.toContain(SECRET);
    const audit = await database.db.execute(sql`select detail from audit where target_kind = 'webhook'`);
    expect(JSON.stringify(audit)).not.toContain(SECRET);
  });

  it("connects only to addresses the policy allows, checked on what the name resolves to", async () => {
    const r = await receiver((res) => res.writeHead(204).end());
    try {
      // this machine's name resolves to one of its own addresses: loopback or private, never public
      const name = hostname();
      const { address } = await lookup(name);
      expect(refusedAddress(address, "public"), `${name} resolves to ${address}`).not.toBeNull();
      const refused = await deliverTo(`http://${name}:${r.port}/hook`, {});
      expect(refused.status).toBe("failed");
      expect(refused.last_error).toContain(`the receiver's host ${name} is refused: ${address} is`);
      expect(r.hits()).toBe(0);
      const literal = await deliverTo(`http://127.0.0.1:${r.port}/hook`, {});
      expect(literal.last_error).toContain("loopback");
      expect(r.hits()).toBe(0);
      // allowed explicitly, the same receiver is reached
      const allowed = await deliverTo(`http://${name}:${r.port}/hook`, { targets: "any" });
      expect(allowed).toMatchObject({ status: "delivered", last_status: 204 });
      expect(r.hits()).toBe(1);
    } finally {
      await r.close();
    }
  });

  it("does not follow a redirect", async () => {
    const target = await receiver((res) => res.writeHead(204).end());
    const redirecting = await receiver((res) =>
      res.writeHead(307, { location: `http://127.0.0.1:${target.port}/metadata` }).end(),
    );
    try {
      const d = await deliverTo(`http://127.0.0.1:${redirecting.port}/hook`, { targets: "any" });
      expect(d).toMatchObject({
        status: "failed",
        last_status: 307,
        last_error: "the receiver answered 307",
      });
      expect(target.hits()).toBe(0);
    } finally {
      await target.close();
      await redirecting.close();
    }
  });

  it("bounds a receiver that hangs, and one that never stops sending", async () => {
    const hanging = await receiver(() => {});
    const endless = await receiver((res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      const chunk = "x".repeat(64 * 1024);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once("drain", pump);
      };
      pump();
    });
    try {
      const slow = await deliverTo(`http://127.0.0.1:${hanging.port}/hook`, {
        targets: "any",
        timeoutMs: 300,
      });
      expect(slow).toMatchObject({ status: "failed", last_error: "no answer within 300 ms" });
      expect(slow.ms).toBeLessThan(3000);
      const flood = await deliverTo(`http://127.0.0.1:${endless.port}/hook`, {
        targets: "any",
        timeoutMs: 5000,
      });
      expect(flood).toMatchObject({ status: "delivered", last_status: 200 });
      expect(flood.ms).toBeLessThan(3000);
    } finally {
      await hanging.close();
      await endless.close();
    }
    expect(logged.join("\n")).not.toContain(SECRET);
  });
});

describe.each(BACKENDS)("webhook delivery order on %s", (backend) => {
  let database: Database;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ database, drop } = await openTestDatabase(backend));
  });
  afterAll(() => drop());

  it("sends a finding's events in the order they happened, retries included, without holding other findings", async () => {
    // the receiver refuses the first attempt of every finding.opened: the retry comes later
    const accepted: string[] = [];
    const refusedOnce = new Set<string>();
    const server: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString("utf8");
      });
      req.on("end", () => {
        const payload = JSON.parse(body) as { id: string; event: string; finding: { id: string } };
        if (payload.event === "finding.opened" && !refusedOnce.has(payload.id)) {
          refusedOnce.add(payload.id);
          res.writeHead(503).end();
          return;
        }
        accepted.push(`${payload.finding.id} ${payload.event}`);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    try {
      await database.db.insert(webhooksTable).values({
        id: "wh_order",
        url: `http://127.0.0.1:${port}/hook`,
        events: ["finding.opened", "finding.resolved"],
        secret: SECRET,
        createdBy: "test",
      });
      const s = new WebhookService(database.db, createLogger("error"), new Metrics(), {
        targets: "any",
        timeoutMs: 2000,
        maxAttempts: 5,
        backoffMs: 20,
        maxBackoffMs: 40,
      });
      // fd_a opens, then resolves in a later transaction, while fd_b resolves on its own
      await database.db.transaction((tx) => s.enqueue(tx, "finding.opened", [openFinding("fd_a")]));
      const resolved = { ...openFinding("fd_a"), status: "resolved" as const, resolution: "passed" as const };
      await database.db.transaction((tx) => s.enqueue(tx, "finding.resolved", [resolved]));
      await database.db.transaction((tx) => s.enqueue(tx, "finding.resolved", [{ ...resolved, id: "fd_b" }]));
      const until = Date.now() + 10_000;
      while (accepted.length < 3 && Date.now() < until) {
        await s.deliverDue();
        await s.idle();
        await new Promise((r) => setTimeout(r, 25));
      }
      // fd_b is not held behind fd_a's retry; fd_a's resolution never overtakes its opening
      expect(accepted).toEqual(["fd_b finding.resolved", "fd_a finding.opened", "fd_a finding.resolved"]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
