// Every paginated list, on both databases: its own nextCursor leads to the next page, and a
// cursor of any other list, or one forged or tampered with, is a 400 naming `cursor` (never
// read as a position in a list it was not made for, never a 500).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BACKENDS,
  deploymentObject,
  exceptionYaml,
  minReplicasPolicy,
  setupApp,
  type TestApp,
} from "../test/harness.js";

/** Each list with a nextCursor, and the query that pages it one item at a time. */
const LISTS = [
  "/v1/policies",
  "/v1/policies/paged/versions",
  "/v1/exceptions",
  "/v1/evaluations",
  "/v1/findings",
  "/v1/inventory",
  "/v1/audit",
  "/v1/tokens",
  "/v1/webhooks",
  "/v1/images",
] as const;

const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;
/** An API policy (the fixture repository has a min-replicas of its own), so it can have versions. */
const paged = (expression: string, message: string) =>
  minReplicasPolicy(expression, message).replace("name: min-replicas", "name: paged");
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe.each(BACKENDS)("list cursors on %s", (backend) => {
  let t: TestApp;
  /** The cursor of the second page of each list. */
  const cursors = new Map<string, string>();

  beforeAll(async () => {
    t = await setupApp(backend);
    const ok = async (method: string, path: string, options: Parameters<TestApp["call"]>[2]) => {
      const res = await t.call(method, path, options);
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
    };
    await ok("POST", "/v1/policies", {
      yaml: paged("object.spec.?replicas.orValue(1) >= 2", "two"),
    });
    await ok("PUT", "/v1/policies/paged", {
      yaml: paged("object.spec.?replicas.orValue(1) >= 3", "three"),
      headers: { "if-match": '"v1"' },
    });
    for (const name of ["first", "second"]) await ok("POST", "/v1/exceptions", { yaml: exceptionYaml(name) });
    for (const cluster of ["east", "west"])
      await ok("POST", "/v1/evaluations", {
        body: {
          resources: [deploymentObject("web", { replicas: 1 }), deploymentObject("api", { replicas: 1 })],
          context: { deployed: true, cluster },
        },
      });
    const failing = [
      { policy: "min-replicas", policyVersion: 2, severity: "high", action: "deny", message: "x" },
    ] as const;
    await t.database.db.transaction((tx) =>
      t.services.findings.open(
        tx,
        ["web", "api"].map((name) => ({
          key: { cluster: "east", namespace: "default", kind: "Deployment", name },
          failing,
        })),
        { cause: "policy-change", trigger: {}, changeId: null },
      ),
    );
    for (const n of [1, 2])
      await ok("POST", "/v1/webhooks", {
        body: { url: `http://127.0.0.1:9/hook-${n}`, events: ["finding.opened"] },
      });
    await ok("POST", "/v1/images", {
      body: [1, 2].map((n) => ({ ref: `registry.example/shop/web@${digestOf(n)}`, digest: digestOf(n) })),
    });
    for (const list of LISTS) {
      const first = await t.call("GET", `${list}?limit=1`);
      expect(first.status, `${list}: ${JSON.stringify(first.body)}`).toBe(200);
      expect(first.body.nextCursor, `${list} has a second page`).toEqual(expect.any(String));
      cursors.set(list, first.body.nextCursor);
    }
  });
  afterAll(() => t.close());

  it.each(LISTS)("%s pages on with its own cursor and refuses every other list's", async (list) => {
    const first = await t.call("GET", `${list}?limit=1`);
    const second = await t.call("GET", `${list}?limit=1&cursor=${cursors.get(list)}`);
    expect(second.status).toBe(200);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.items[0]).not.toEqual(first.body.items[0]);
    for (const [other, cursor] of cursors) {
      if (other === list) continue;
      const res = await t.call("GET", `${list}?limit=1&cursor=${cursor}`);
      expect(res.status, `a cursor of ${other} on ${list}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.errors).toEqual([{ path: "cursor", message: "invalid cursor" }]);
    }
  });

  it.each(LISTS)("%s refuses forged and tampered cursors with a 400", async (list) => {
    const own = cursors.get(list)!;
    const decoded = JSON.parse(Buffer.from(own, "base64url").toString("utf8")) as Record<string, unknown>;
    const field = Object.keys(decoded).at(-1)!;
    const numeric = typeof decoded[field] === "number";
    for (const cursor of [
      "!!!",
      "e30", // {}
      b64(null),
      b64([decoded]),
      b64({ ...decoded, extra: 1 }),
      b64({ ...decoded, [field]: numeric ? "1" : 1 }),
      ...(numeric
        ? [
            ...[-1, 1.5, Number.MAX_SAFE_INTEGER + 2].map((n) => b64({ ...decoded, [field]: n })),
            // JSON text beyond any double
            Buffer.from(`{"${field}":1e400}`).toString("base64url"),
          ]
        : ["", "x".repeat(5000), "a\u0000b"].map((v) => b64({ ...decoded, [field]: v }))),
      b64({ ["__proto__"]: decoded }),
      // tampered: what Node's lenient base64 decoder would read as the same position
      `${own}%00`,
      `${own}=`,
      `${own}!!`,
      `${own}.`,
      `${own.slice(0, 4)}%20${own.slice(4)}`,
      encodeURIComponent(`${own}\u202e`),
      "A".repeat(8000),
    ]) {
      const res = await t.call("GET", `${list}?limit=1&cursor=${cursor}`);
      expect(res.status, `${list} cursor ${cursor.slice(0, 60)}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(JSON.stringify(res.body)).not.toMatch(/select |from "|at \w+ \(|\/work\//i);
    }
  });
});
