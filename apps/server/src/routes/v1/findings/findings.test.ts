// Continuous re-evaluation end to end, on both databases: inventory from admission, findings
// opened and resolved by scans and by an exception's expiry, signed webhook deliveries, a
// receiver that hangs or is down, and two replicas sharing one change queue.
import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgres } from "../../../db/client.js";
import { reevaluationChanges } from "../../../db/schema.js";
import { createEvaluator } from "../../../evaluator/index.js";
import { createLogger } from "../../../lib/logger.js";
import { Metrics } from "../../../lib/metrics.js";
import { createServices, type Services } from "../../../services/index.js";
import {
  BACKENDS,
  createPostgresDatabase,
  emptyRepository,
  type Json,
  setupApp,
  type TestApp,
} from "../../../test/harness.js";

const BUDGET = readFileSync(
  fileURLToPath(
    new URL(
      "../../../../../../policies/image-vulnerabilities/image-vulnerability-budget.yaml",
      import.meta.url,
    ),
  ),
  "utf8",
);
const POLICY = "image-vulnerability-budget";
const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;
let clock = Date.parse("2026-06-01T00:00:00Z");

/** Native image facts of one digest; each call is a newer scan than the one before. */
function scanOf(digest: string, critical: string[]) {
  clock += 60_000;
  return {
    ref: `registry.example/shop/web@${digest}`,
    digest,
    scan: {
      scanner: "trivy",
      scannedAt: new Date(clock).toISOString(),
      vulnerabilities: critical.map((id) => ({
        id,
        severity: "critical",
        package: "openssl",
        installedVersion: "3.0.0",
        fixedVersion: "3.0.1",
      })),
    },
  };
}

function podReview(uid: string, name: string, digest: string, operation = "CREATE") {
  const object = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "shop" },
    spec: { containers: [{ name: "app", image: `registry.example/shop/web@${digest}` }] },
  };
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace: "shop",
      name,
      operation,
      userInfo: { username: "alice" },
      object: operation === "DELETE" ? null : object,
      oldObject: operation === "DELETE" ? object : null,
      dryRun: false,
    },
  };
}

/** Polls `check` until it returns a value (not undefined); fails after `ms`. */
async function eventually<T>(check: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

/** A real HTTP receiver: `answer` says how to respond (a status, or hang without answering). */
async function receiver(answer: () => number | "hang") {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      const a = answer();
      if (a !== "hang") res.writeHead(a).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const SERVICE_OPTIONS = {
  reevaluation: { pollMs: 100, batchSize: 10, retryMs: 200 },
  webhooks: { pollMs: 100, timeoutMs: 10_000, backoffMs: 100, maxBackoffMs: 400, maxAttempts: 50 },
};

describe.each(BACKENDS)("continuous re-evaluation (%s)", (backend) => {
  let t: TestApp;
  let good: Awaited<ReturnType<typeof receiver>>;
  let secret: string;
  const evaluator = createEvaluator({ threads: 2, timeoutMs: 10_000 });

  beforeAll(async () => {
    t = await setupApp(backend, {
      ...emptyRepository("findings"),
      evaluator,
      services: SERVICE_OPTIONS,
    });
    expect((await t.call("POST", "/v1/policies", { yaml: BUDGET })).status).toBe(201);
    good = await receiver(() => 204);
    const hook = await t.call("POST", "/v1/webhooks", {
      body: { url: good.url, events: ["finding.opened", "finding.resolved"] },
    });
    expect(hook.status).toBe(201);
    secret = hook.body.secret;
    // the policy's creation queued a re-evaluation (of an empty inventory): done before the tests,
    // or a slow loop (or a retry of it, after a failure under load) could process it after a
    // test's scan and open that test's finding as a policy change
    await eventually(async () => {
      await t.services.reevaluation.drain();
      const pending = await t.services.database.db
        .select({ id: reevaluationChanges.id })
        .from(reevaluationChanges)
        .where(isNull(reevaluationChanges.doneAt));
      return pending.length === 0 ? true : undefined;
    }, "the policy's re-evaluation done");
    t.services.reevaluation.start();
    t.services.webhooks.start();
  }, 180_000);

  afterAll(async () => {
    await t?.services.reevaluation.stop();
    await good?.close();
    await t?.services.webhooks.stop();
    await evaluator.close();
    await t?.close();
  });

  const openFindings = async (name: string) =>
    (await t.call("GET", `/v1/findings?name=${name}`)).body.items as Json[];

  it("opens a finding naming the pod, the policy and the CVE when a scan turns critical, and resolves it on a clean scan", async () => {
    const digest = digestOf(1);
    expect((await t.call("POST", "/v1/images", { body: scanOf(digest, []) })).status).toBe(200);
    const admitted = await t.call("POST", "/v1/admission", { body: podReview("u1", "web", digest) });
    expect(admitted.body.response.allowed).toBe(true);

    const inv = await t.call("GET", "/v1/inventory?kind=Pod&name=web&object=true");
    expect(inv.status).toBe(200);
    expect(inv.body.items).toHaveLength(1);
    expect(inv.body.items[0]).toMatchObject({
      cluster: "default",
      namespace: "shop",
      kind: "Pod",
      name: "web",
      source: "admission",
      failing: [],
      images: expect.arrayContaining([digest]),
    });

    expect((await t.call("POST", "/v1/images", { body: scanOf(digest, ["CVE-2026-1111"]) })).status).toBe(
      200,
    );
    const [finding] = await eventually(async () => {
      const items = await openFindings("web");
      return items.length > 0 ? items : undefined;
    }, "a finding for web");
    expect(finding).toMatchObject({
      status: "open",
      resource: { cluster: "default", namespace: "shop", kind: "Pod", name: "web" },
      policy: POLICY,
      severity: "critical",
      cause: "new-scan",
      trigger: { image: digest, vulnerabilities: ["CVE-2026-1111"] },
    });
    expect(finding.message).toContain("CVE-2026-1111");
    expect((await t.call("GET", "/v1/inventory?failing=true")).body.items.map((e: Json) => e.name)).toContain(
      "web",
    );

    // the gauge counts it
    await t.services.findings.refreshGauges();
    const metrics = await (await t.request("GET", "/metrics", { token: null })).text();
    expect(metrics).toContain(`celgate_findings_open{policy="${POLICY}",severity="critical"} 1`);

    // the webhook receiver gets a delivery whose signature checks out with the secret
    const opened = await eventually(
      async () => good.received.find((r) => JSON.parse(r.body).finding.id === finding.id),
      "the finding.opened delivery",
    );
    const timestamp = String(opened.headers["x-celgate-timestamp"]);
    const expected = `sha256=${createHmac("sha256", secret).update(`${timestamp}.${opened.body}`).digest("hex")}`;
    const got = String(opened.headers["x-celgate-signature"]);
    expect(got.length).toBe(expected.length);
    expect(timingSafeEqual(Buffer.from(got), Buffer.from(expected))).toBe(true);
    expect(JSON.parse(opened.body)).toMatchObject({ event: "finding.opened", finding: { policy: POLICY } });
    const audit = await eventually(async () => {
      const items = (await t.call("GET", "/v1/audit?targetKind=webhook")).body.items as Json[];
      return items.find((a) => a.action === "webhook.deliver" && a.detail.finding === finding.id);
    }, "the audit row of the delivery");
    expect(audit.detail).toMatchObject({ event: "finding.opened", status: 204 });

    // a clean scan resolves it
    expect((await t.call("POST", "/v1/images", { body: scanOf(digest, []) })).status).toBe(200);
    await eventually(async () => ((await openFindings("web")).length === 0 ? true : undefined), "resolution");
    const resolved = (await t.call("GET", "/v1/findings?status=resolved&name=web")).body.items;
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({ id: finding.id, status: "resolved", resolution: "passed" });
    await eventually(
      async () => good.received.find((r) => JSON.parse(r.body).event === "finding.resolved") ?? undefined,
      "the finding.resolved delivery",
    );
    await t.services.findings.refreshGauges();
    const after = await (await t.request("GET", "/metrics", { token: null })).text();
    expect(after).toContain(`celgate_findings_open{policy="${POLICY}",severity="critical"} 0`);
  }, 180_000);

  it("opens a finding when the exception that waived a failure expires", async () => {
    const digest = digestOf(2);
    await t.call("POST", "/v1/images", { body: scanOf(digest, ["CVE-2026-2222"]) });
    const expires = new Date(Date.now() + 4000).toISOString();
    const exception = await t.call("POST", "/v1/exceptions", {
      yaml: `apiVersion: celgate.dev/v1
kind: PolicyException
metadata:
  name: accept-2222
spec:
  policies: [${POLICY}]
  match:
    kinds: [Pod]
    names: [legacy]
  reason: vendor fix pending
  expires: "${expires}"
`,
    });
    expect(exception.status).toBe(201);
    const admitted = await t.call("POST", "/v1/admission", { body: podReview("u2", "legacy", digest) });
    expect(admitted.body.response.allowed).toBe(true);
    expect((await openFindings("legacy")).length).toBe(0);

    const [finding] = await eventually(async () => {
      const items = await openFindings("legacy");
      return items.length > 0 ? items : undefined;
    }, "a finding at expiry");
    expect(finding).toMatchObject({
      policy: POLICY,
      cause: "exception-expired",
      trigger: { exception: "accept-2222" },
      resource: { kind: "Pod", name: "legacy" },
    });
    expect(Date.parse(finding.openedAt)).toBeGreaterThanOrEqual(Date.parse(expires));

    // deleting the pod resolves its finding
    await t.call("POST", "/v1/admission", { body: podReview("u3", "legacy", digest, "DELETE") });
    expect((await openFindings("legacy")).length).toBe(0);
    expect((await t.call("GET", "/v1/inventory?name=legacy")).body.items).toHaveLength(0);
    const gone = (await t.call("GET", "/v1/findings?status=resolved&name=legacy")).body.items;
    expect(gone[0]).toMatchObject({ resolution: "deleted" });
  }, 180_000);

  it("never holds evaluations for a receiver that hangs or is down", async () => {
    const hanging = await receiver(() => "hang");
    const down = await receiver(() => 204);
    await down.close(); // its port now refuses connections
    for (const url of [hanging.url, down.url])
      expect(
        (await t.call("POST", "/v1/webhooks", { body: { url, events: ["finding.opened"] } })).status,
      ).toBe(201);
    const digest = digestOf(3);
    await t.call("POST", "/v1/images", { body: scanOf(digest, []) });
    await t.call("POST", "/v1/admission", { body: podReview("u4", "api", digest) });
    await t.call("POST", "/v1/images", { body: scanOf(digest, ["CVE-2026-3333"]) });
    // the hanging receiver holds a delivery open (no answer for 10 s) ...
    await eventually(
      async () => (hanging.received.length > 0 ? true : undefined),
      "a delivery to the hanging receiver",
    );
    // ... while evaluations and admissions are answered
    for (let i = 0; i < 3; i++) {
      const r = await t.call("POST", "/v1/admission", {
        body: podReview(`u5-${i}`, `other-${i}`, digestOf(4)),
      });
      expect(r.status).toBe(200);
      expect(r.body.response.uid).toBe(`u5-${i}`);
    }
    expect(hanging.received.length).toBe(1); // still the first attempt: it has not timed out yet
    // the receiver that is down is retried with backoff, never blocking anything
    const rows = await eventually(async () => {
      const r = await t.database.db.execute(
        `select d.attempts, d.last_error, d.status from webhook_deliveries d join webhooks w on w.id = d.webhook_id where w.url = '${down.url}'`,
      );
      const list = (r as unknown as { rows: Json[] }).rows;
      return list.length > 0 && list[0].attempts >= 2 ? list : undefined;
    }, "retries to the receiver that is down");
    expect(rows[0].status).toBe("pending");
    expect(rows[0].last_error).toBeTruthy();
    await hanging.close();
  }, 180_000);

  it("prunes done changes and sent deliveries, keeping what is pending", async () => {
    const count = async (q: string) =>
      Number(((await t.database.db.execute(q)) as unknown as { rows: { n: number }[] }).rows[0]?.n);
    expect(
      await count("select count(*)::int as n from reevaluation_changes where done_at is not null"),
    ).toBeGreaterThan(0);
    expect(
      await count("select count(*)::int as n from webhook_deliveries where status = 'delivered'"),
    ).toBeGreaterThan(0);
    const pending = await count("select count(*)::int as n from webhook_deliveries where status = 'pending'");
    expect(pending).toBeGreaterThan(0); // the receiver that is down
    expect(await t.services.reevaluation.queue.prune(0)).toBeGreaterThan(0);
    expect(await count("select count(*)::int as n from reevaluation_changes where done_at is not null")).toBe(
      0,
    );
    expect(await count("select count(*)::int as n from webhook_deliveries where status <> 'pending'")).toBe(
      0,
    );
    expect(await count("select count(*)::int as n from webhook_deliveries where status = 'pending'")).toBe(
      pending,
    );
  });

  it("refuses bad input with 400s", async () => {
    expect((await t.call("GET", "/v1/findings?severity=urgent")).status).toBe(400);
    expect((await t.call("GET", "/v1/findings?status=maybe")).status).toBe(400);
    expect((await t.call("GET", "/v1/findings?cursor=nope")).status).toBe(400);
    expect((await t.call("GET", "/v1/inventory?failing=perhaps")).status).toBe(400);
    expect((await t.call("GET", "/v1/inventory?bogus=1")).status).toBe(400);
    const bad = await t.call("POST", "/v1/webhooks", {
      body: { url: "ftp://x.example/", events: ["finding.opened"] },
    });
    expect(bad.status).toBe(400);
    expect(
      (await t.call("POST", "/v1/webhooks", { body: { url: "https://x.example/", events: [] } })).status,
    ).toBe(400);
    expect(
      (
        await t.call("POST", "/v1/webhooks", {
          body: { url: "https://x.example/", events: ["evaluation.done"] },
        })
      ).status,
    ).toBe(400);
    // only admins manage webhooks; every role reads findings
    expect(
      (
        await t.call("POST", "/v1/webhooks", {
          token: t.tokens.author,
          body: { url: "https://x.example/", events: ["finding.opened"] },
        })
      ).status,
    ).toBe(403);
    expect((await t.call("GET", "/v1/webhooks", { token: t.tokens.viewer })).status).toBe(403);
    expect((await t.call("GET", "/v1/findings", { token: t.tokens.viewer })).status).toBe(200);
    expect((await t.call("DELETE", "/v1/webhooks/wh_missing")).status).toBe(404);
    // secrets are never listed
    const list = await t.call("GET", "/v1/webhooks");
    expect(JSON.stringify(list.body)).not.toContain(secret);
  });
});

describe.runIf(BACKENDS.includes("postgres"))("two replicas on one PostgreSQL", () => {
  it("process each change once", async () => {
    const created = await createPostgresDatabase();
    const logger = createLogger("silent");
    const evaluator = createEvaluator({ threads: 2, timeoutMs: 10_000 });
    const replicas: { services: Services; close(): Promise<void> }[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const database = await openPostgres(created.url, { poolSize: 4 });
        const services = createServices({
          database,
          logger,
          metrics: new Metrics(),
          policyPollMs: 0,
          allowEmptyPolicySet: true,
          evaluator,
          reevaluation: { batchSize: 2 },
        });
        replicas.push({ services, close: () => database.close() });
      }
      const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
      await a.services.policies.create("admin", { text: BUDGET });
      const principal = { tokenId: "t", name: "admin", role: "admin" as const };
      const pods = 6;
      for (let i = 0; i < pods; i++) {
        await a.services.images.push("admin", scanOf(digestOf(100 + i), []));
        await (i % 2 ? b : a).services.admission.review(
          principal,
          podReview(`r${i}`, `pod-${i}`, digestOf(100 + i)) as never,
        );
      }
      // settle what setup queued, then queue one change per pod on alternating replicas
      await Promise.all([a.services.reevaluation.drain(), b.services.reevaluation.drain()]);
      const before = await a.services.reevaluation.queue.pending();
      expect(before).toBe(0);
      const [{ max }] = (
        (await a.services.database.db.execute(
          "select coalesce(max(id), 0)::int as max from reevaluation_changes",
        )) as unknown as {
          rows: { max: number }[];
        }
      ).rows as [{ max: number }];
      for (let i = 0; i < pods; i++)
        await (i % 2 ? b : a).services.images.push("admin", scanOf(digestOf(100 + i), [`CVE-2026-9${i}`]));
      const done = await Promise.all([
        a.services.reevaluation.drain(),
        b.services.reevaluation.drain(),
        a.services.reevaluation.drain(),
        b.services.reevaluation.drain(),
      ]);
      expect(done.reduce((x, y) => x + y, 0)).toBe(pods);
      const changes = (
        (await a.services.database.db.execute(
          `select id, attempts, done_at, entries, claimed_by from reevaluation_changes where id > ${max} order by id`,
        )) as unknown as { rows: Json[] }
      ).rows;
      expect(changes).toHaveLength(pods);
      for (const c of changes) {
        expect(c.attempts).toBe(1);
        expect(c.done_at).not.toBeNull();
        expect(c.entries).toBe(1);
      }
      const findings = await a.services.findings.list({ status: "open", limit: 100 });
      expect(findings.items).toHaveLength(pods);
      expect(new Set(findings.items.map((f) => f.resource.name)).size).toBe(pods);
    } finally {
      await evaluator.close();
      for (const r of replicas) await r.close();
      await created.drop();
    }
  }, 180_000);
});
