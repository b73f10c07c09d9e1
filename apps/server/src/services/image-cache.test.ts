// Stored image facts are cached by the image-facts generation: two app instances over one
// database (PGlite: one engine shared; PostgreSQL: two pools), as two replicas would be.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app.js";
import { type Database, openPglite, openPostgres } from "../db/client.js";
import { images } from "../db/schema.js";
import { createLogger } from "../lib/logger.js";
import { Metrics } from "../lib/metrics.js";
import {
  BACKENDS,
  type Backend,
  createPostgresDatabase,
  deploymentObject,
  FIXTURE_POLICY_DIR,
  type Json,
} from "../test/harness.js";
import { createServices, type Services } from "./index.js";

const TOKEN = "test-admin-token-0123456789";
const digestOf = (c: string) => `sha256:${c.repeat(64)}`;

interface Instance {
  services: Services;
  /** POSTs one Deployment of `image` (dry run) and answers the images-scanned outcome, or the status when not 200. */
  scanned(image: string): Promise<string | number>;
  putScan(digest: string, ref: string): Promise<number>;
}

async function instance(database: Database, policyPollMs: number): Promise<Instance> {
  const logger = createLogger("silent");
  const services = createServices({ database, logger, metrics: new Metrics(), policyPollMs });
  const app = createApp({ services, bodyLimit: 1024 * 1024 });
  const call = (method: string, path: string, body: unknown) =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  return {
    services,
    async scanned(image) {
      const res = await call("POST", "/v1/evaluations", {
        resources: [deploymentObject("web", { owner: "team", image })],
        dryRun: true,
      });
      if (res.status !== 200) return res.status;
      const report = (await res.json()) as Json;
      return report.results.find((r: Json) => r.policy === "images-scanned").outcome;
    },
    async putScan(digest, ref) {
      const res = await call("PUT", `/v1/images/${digest}`, {
        ref,
        scan: { scanner: "trivy 0.58.0", scannedAt: "2026-11-20T10:00:00Z", vulnerabilities: [] },
      });
      return res.status;
    },
  };
}

/** Instance A checks the counter on every request; B as configured. One database under both. */
async function twoInstances(backend: Backend, pollMsB: number) {
  let a: Database;
  let b: Database;
  let close: () => Promise<void>;
  if (backend === "pglite") {
    a = b = await openPglite("memory://");
    close = () => a.close();
  } else {
    const created = await createPostgresDatabase();
    a = await openPostgres(created.url, { poolSize: 3 });
    b = await openPostgres(created.url, { poolSize: 3 });
    close = async () => {
      await a.close();
      await b.close();
      await created.drop();
    };
  }
  const A = await instance(a, 0);
  await A.services.tokens.seedAdmin(TOKEN);
  await A.services.policies.syncRepository(FIXTURE_POLICY_DIR, createLogger("silent"));
  const B = await instance(b, pollMsB);
  // a replica of A: started with the same CELGATE_ADMIN_TOKEN, so it accepts it too
  await B.services.tokens.seedAdmin(TOKEN);
  return { A, B, database: a, close };
}

describe.each(BACKENDS)("the image-facts cache on %s", (backend) => {
  describe("checking the counter on every evaluation", () => {
    let env: Awaited<ReturnType<typeof twoInstances>>;
    beforeAll(async () => {
      env = await twoInstances(backend, 0);
    });
    afterAll(() => env.close());

    it("uses facts stored through the other instance in its next evaluation", async () => {
      const ref = "registry.example/shop/cache-a:1.0";
      const pinned = `registry.example/shop/cache-a@${digestOf("a")}`;
      // not scanned yet: B caches that nothing is stored, by tag and by digest
      expect(await env.B.scanned(ref)).toBe("fail");
      expect(await env.B.scanned(pinned)).toBe("fail");
      expect(await env.A.putScan(digestOf("a"), `${ref}@${digestOf("a")}`)).toBe(201);
      expect(await env.B.scanned(ref)).toBe("pass");
      expect(await env.B.scanned(pinned)).toBe("pass");
    });

    it("answers from memory while the counter stays, and reads again when it moves", async () => {
      const ref = "registry.example/shop/cache-b:1.0";
      expect(await env.A.putScan(digestOf("b"), `${ref}@${digestOf("b")}`)).toBe(201);
      expect(await env.B.scanned(ref)).toBe("pass");
      // a change made past the service without bumping the counter is not seen: the cache answers
      await env.database.db.delete(images).where(sql`${images.digest} = ${digestOf("b")}`);
      expect(await env.B.scanned(ref)).toBe("pass");
      await env.database.db.execute(sql`update state set value = value + 1 where key = 'image_generation'`);
      expect(await env.B.scanned(ref)).toBe("fail");
    });

    it("refuses to evaluate with cached facts when the counter cannot be read", async () => {
      const ref = "registry.example/shop/cache-c:1.0";
      expect(await env.A.putScan(digestOf("c"), `${ref}@${digestOf("c")}`)).toBe(201);
      expect(await env.B.scanned(ref)).toBe("pass");
      await env.database.db.execute(sql`alter table state rename to state_away`);
      try {
        const status = await env.B.scanned(ref);
        expect(typeof status === "number" && status >= 500).toBe(true);
      } finally {
        await env.database.db.execute(sql`alter table state_away rename to state`);
      }
      expect(await env.B.scanned(ref)).toBe("pass");
    });
  });

  describe("checking the counter at most every 300 ms", () => {
    let env: Awaited<ReturnType<typeof twoInstances>>;
    beforeAll(async () => {
      env = await twoInstances(backend, 300);
    });
    afterAll(() => env.close());

    it("sees the other instance's write once the interval has passed, and its own at once", async () => {
      const ref = "registry.example/shop/cache-d:1.0";
      expect(await env.B.scanned(ref)).toBe("fail");
      expect(await env.A.putScan(digestOf("d"), `${ref}@${digestOf("d")}`)).toBe(201);
      // the bound: an evaluation starting more than the interval after the commit uses it
      await new Promise((r) => setTimeout(r, 700));
      expect(await env.B.scanned(ref)).toBe("pass");

      const own = "registry.example/shop/cache-e:1.0";
      expect(await env.B.scanned(own)).toBe("fail");
      expect(await env.B.putScan(digestOf("e"), `${own}@${digestOf("e")}`)).toBe(201);
      expect(await env.B.scanned(own)).toBe("pass");
    });
  });
});
