import { readFileSync } from "node:fs";
import { DEFAULT_INPUT_LIMITS, INPUT_LIMITS } from "@celgate/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture } from "../../../../test/support/fixtures.js";
import { EvaluatorPool } from "../evaluator/pool.js";
import {
  admissionReview,
  BACKENDS,
  deploymentObject,
  deploymentYaml,
  setupApp,
  type TestApp,
} from "../test/harness.js";

/**
 * Hostile requests, as an attacker would send them, on both databases and with evaluations on
 * worker threads as in production: each is refused with a 400 naming the field and the limit,
 * quickly, and leaves the instance deciding exactly as before.
 */

/** `{"a":{"a":...1...}}` nested `depth` objects deep, as JSON text. */
const deepJson = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

/** "Billion laughs" in 718 bytes: nine levels of nine aliases (test/fixtures/hostile). */
const ALIAS_BOMB = readFileSync(fixture("hostile", "alias-bomb.yaml"), "utf8");

const review = (uid: string, object: unknown) => admissionReview(uid, object, { username: "mallory" });

/** The raw text of a deployment whose `spec.template.metadata.annotations` holds `deep`. */
const deployWith = (field: "data" | "annotations", deep: string) => {
  const object = JSON.stringify({ ...deploymentObject("web", { replicas: 1 }), [field]: "@" });
  return object.replace('"@"', deep);
};

interface Problem {
  status: number;
  detail: string;
  errors: { path: string; message: string; code?: string }[];
}

describe.each(BACKENDS)("hostile requests on %s", (backend) => {
  let t: TestApp;
  let pool: EvaluatorPool;
  let policies: number;

  /** What a legitimate request is decided as; must not change whatever came before. */
  const legitimate = async () => {
    const evaluation = await t.call("POST", "/v1/evaluations", {
      body: { resources: [deploymentObject("web", { replicas: 1 })], context: { environment: "prod" } },
      token: t.tokens.evaluator,
    });
    const admission = await t.call("POST", "/v1/admission", {
      body: review("legit", deploymentObject("web", { replicas: 1 })),
      token: t.tokens.evaluator,
    });
    return { evaluation, admission };
  };

  const expectUnharmed = async () => {
    const listed = await t.call("GET", "/v1/policies?limit=500", { token: t.tokens.viewer });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(policies);
    const ready = await t.call("GET", "/readyz");
    expect(ready.status).toBe(200);
    const { evaluation, admission } = await legitimate();
    expect(evaluation.status).toBe(201);
    expect(evaluation.body.decision).toBe("deny");
    expect(evaluation.body.policySet.policies).toBe(policies);
    expect(admission.status).toBe(200);
    expect(admission.body.response.allowed).toBe(false);
  };

  const expectRefused = (
    res: { status: number; body: unknown; headers: Headers },
    path: RegExp,
    limit: string,
  ) => {
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const problem = res.body as Problem;
    expect(problem.errors[0]?.path).toMatch(path);
    expect(problem.detail).toContain(limit);
  };

  beforeAll(async () => {
    // a short hard timeout, so that a stray timer left by a failed hand-off would fire during the test
    pool = new EvaluatorPool({ size: 1, hardTimeoutMs: 3000 });
    t = await setupApp(backend, { evaluator: pool });
    const listed = await t.call("GET", "/v1/policies?limit=500");
    policies = listed.body.items.length;
    expect(policies).toBeGreaterThan(0);
    await expectUnharmed();
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await pool?.close();
  });

  it("a body nested 1,000 levels deep (context, params, resources, object.data) is a 400 in milliseconds and harms nothing", async () => {
    const deep = deepJson(1000);
    const resources = `[${deployWith("data", deep)}]`;
    const cases: [string, string, string, RegExp][] = [
      [
        "/v1/evaluations",
        "context",
        `{"resources":${resources.replace(deep, "1")},"context":{"x":${deep}}}`,
        /^context\.x\.a\.a/,
      ],
      [
        "/v1/evaluations",
        "params",
        `{"resources":${resources.replace(deep, "1")},"params":{"replicas":{"x":${deep}}}}`,
        /^params\.replicas\.x\.a/,
      ],
      ["/v1/evaluations", "resources", `{"resources":${resources}}`, /^resources\[0\]\.data\.a\.a/],
      [
        "/v1/admission",
        "object.data",
        JSON.stringify(review("deep", "@")).replace('"@"', deployWith("data", deep)),
        /^request\.object\.data\.a/,
      ],
    ];
    for (const [path, , raw, field] of cases) {
      const started = performance.now();
      const res = await t.call("POST", path, { raw, token: t.tokens.evaluator });
      expect(performance.now() - started).toBeLessThan(2000);
      expectRefused(res, field, "CELGATE_MAX_DEPTH");
    }
    await expectUnharmed();
  });

  it("a body nested 5,000 levels deep is a 400, and no worker is stopped later by what it left behind", async () => {
    const raw = `{"resources":[${deployWith("data", deepJson(5000))}]}`;
    const res = await t.call("POST", "/v1/evaluations", { raw, token: t.tokens.evaluator });
    expectRefused(res, /^resources\[0\]\.data/, "nesting depth limit of 128");
    expect(pool.pending).toBe(0);
    // keep evaluating past the pool's hard timeout: none may fail with 503
    const until = Date.now() + 3500;
    const statuses = new Set<number>();
    while (Date.now() < until) {
      const batch = await Promise.all(Array.from({ length: 4 }, () => legitimate()));
      for (const { evaluation, admission } of batch) statuses.add(evaluation.status).add(admission.status);
    }
    expect([...statuses].sort()).toEqual([200, 201]);
    await expectUnharmed();
  });

  it("a 718-byte YAML alias bomb in manifests is a 400 in milliseconds, as JSON field or YAML body", async () => {
    expect(ALIAS_BOMB.length).toBeLessThan(720);
    for (const options of [
      { body: { manifests: ALIAS_BOMB } },
      { yaml: ALIAS_BOMB },
      { body: { manifests: [{ file: "bomb.yaml", text: ALIAS_BOMB }] } },
    ]) {
      const started = performance.now();
      const res = await t.call("POST", "/v1/evaluations", { ...options, token: t.tokens.evaluator });
      expect(performance.now() - started).toBeLessThan(2000);
      expect(res.status).toBe(400);
      const problem = res.body as Problem;
      expect(problem.detail).toContain("CELGATE_MAX_EXPANDED_SIZE");
      expect(problem.errors[0]).toMatchObject({
        code: "input-limit",
        path: expect.stringMatching(/^data\./),
      });
    }
    await expectUnharmed();
  });

  it("NUL in any stored string is a 400 naming the field, the same on both databases", async () => {
    const nul = "a\u0000b";
    const named = (name: string) => ({ ...deploymentObject("web"), metadata: { name, namespace: "shop" } });
    const cases: [string, string, Record<string, unknown>, RegExp][] = [
      ["POST", "/v1/evaluations", { body: { resources: [named(nul)] } }, /^resources\[0\]\.metadata\.name$/],
      [
        "POST",
        "/v1/evaluations",
        { body: { resources: [named("ok")], context: { env: nul } } },
        /^context\.env$/,
      ],
      [
        "POST",
        "/v1/evaluations",
        { body: { resources: [named("ok")], context: { [nul]: "x" } } },
        /^context\./,
      ],
      [
        "POST",
        "/v1/evaluations",
        { body: { manifests: deploymentYaml("w").replace("name: w", 'name: "w\\0"') } },
        /^metadata\.name$/,
      ],
      [
        "POST",
        "/v1/evaluations",
        { yaml: deploymentYaml("w").replace("name: w", 'name: "w\\u0000"') },
        /^metadata\.name$/,
      ],
      ["POST", "/v1/admission", { body: review("nul", named(nul)) }, /^request\.object\.metadata\.name$/],
      ["POST", "/v1/tokens", { body: { name: nul, role: "viewer" } }, /^name$/],
      [
        "POST",
        "/v1/policies",
        {
          yaml: 'apiVersion: celgate.dev/v1\nkind: Policy\nmetadata: {name: "p\\0"}\nspec: {validations: [{expression: "true"}]}\n',
        },
        /^metadata\.name$/,
      ],
      [
        "POST",
        "/v1/policies",
        {
          body: {
            apiVersion: "celgate.dev/v1",
            kind: "Policy",
            metadata: { name: "p" },
            spec: { validations: [{ expression: "true", message: nul }] },
          },
        },
        /^spec\.validations\[0\]\.message$/,
      ],
      [
        "POST",
        "/v1/exceptions",
        { body: { apiVersion: "celgate.dev/v1", kind: "PolicyException", metadata: { name: nul } } },
        /^metadata\.name$/,
      ],
      [
        "PUT",
        `/v1/images/sha256:${"d".repeat(64)}`,
        { body: { ref: `registry.example/x${nul}:1` } },
        /^ref$/,
      ],
      ["GET", "/v1/evaluations?name=a%00b", {}, /^query\.name$/],
      ["GET", "/v1/evaluations?context.env=%00", {}, /^query\.context\.env$/],
      ["GET", "/v1/policies/p%00", {}, /^\(path\)$/],
      ["DELETE", "/v1/tokens/tok%00", {}, /^\(path\)$/],
    ];
    for (const [method, path, options, field] of cases) {
      const res = await t.call(method, path, options);
      expect(res.status, `${method} ${path}`).toBe(400);
      const problem = res.body as Problem;
      expect(
        problem.errors.some((e) => field.test(e.path)),
        `${method} ${path}: ${JSON.stringify(problem)}`,
      ).toBe(true);
      expect(JSON.stringify(problem)).toContain("NUL");
    }
    // a lone surrogate cannot be stored either (JSON.stringify escapes it, and PostgreSQL refuses the escape)
    const lone: [string, string, RegExp][] = [
      ["/v1/evaluations", `{"resources":[],"context":{"a":"x\\ud800y"}}`, /^context\.a$/],
      ["/v1/tokens", `{"name":"x\\udc00","role":"viewer"}`, /^name$/],
    ];
    for (const [path, raw, field] of lone) {
      const res = await t.call("POST", path, { raw });
      expect(res.status, path).toBe(400);
      expect((res.body as Problem).errors[0]).toMatchObject({
        code: "input-unicode",
        path: expect.stringMatching(field),
      });
    }
    await expectUnharmed();
  });

  it("a crafted cursor is a 400 on every list", async () => {
    const b64 = (text: string) => Buffer.from(text).toString("base64url");
    const cursors = [
      b64('{"seq":"abc"}'),
      b64('{"seq":1e400}'),
      b64('{"seq":-1}'),
      b64('{"id":1.5}'),
      b64('{"name":"a\\u0000"}'),
      b64('{"name":7}'),
      b64('{"v":"x"}'),
      b64('{"x":1}'),
      b64("[]"),
      b64("null"),
      "not base64 at all!",
    ];
    const lists = [
      "/v1/evaluations",
      "/v1/audit",
      "/v1/tokens",
      "/v1/policies",
      "/v1/exceptions",
      "/v1/policies/replicas/versions",
    ];
    for (const list of lists)
      for (const cursor of cursors) {
        const res = await t.call("GET", `${list}?cursor=${encodeURIComponent(cursor)}`);
        expect(res.status, `${list} ${Buffer.from(cursor, "base64url").toString()}`).toBe(400);
        expect((res.body as Problem).errors[0]?.path).toBe("cursor");
      }
    // an audit id is a number; a token id is text
    expect((await t.call("GET", `/v1/audit?cursor=${b64('{"id":"abc"}')}`)).status).toBe(400);
    expect((await t.call("GET", `/v1/tokens?cursor=${b64('{"id":"tok_x"}')}`)).status).toBe(200);
    // and a real cursor still pages
    await t.call("POST", "/v1/evaluations", { body: { resources: [deploymentObject("a")] } });
    await t.call("POST", "/v1/evaluations", { body: { resources: [deploymentObject("b")] } });
    const first = await t.call("GET", "/v1/evaluations?limit=1");
    const next = await t.call("GET", `/v1/evaluations?limit=1&cursor=${first.body.nextCursor}`);
    expect(next.status).toBe(200);
    expect(next.body.items[0].id).not.toBe(first.body.items[0].id);
  });
});

describe.each(BACKENDS)("configured limits on %s", (backend) => {
  const maxDepth = INPUT_LIMITS.maxDepth.max;
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend, { limits: { ...DEFAULT_INPUT_LIMITS, maxDepth, maxStringLength: 100 } });
  }, 120_000);
  afterAll(() => t?.close());

  it("the deepest configurable nesting is recorded safely (PGlite 0.3.8 broke near 900)", async () => {
    const resource = deployWith("data", deepJson(maxDepth - 4));
    const recorded = await t.call("POST", "/v1/evaluations", {
      raw: `{"resources":[${resource}],"context":${deepJson(maxDepth - 2)}}`,
    });
    expect(recorded.status).toBe(201);
    const fetched = await t.call("GET", `/v1/evaluations/${recorded.body.id}`);
    expect(fetched.status).toBe(200);
    const over = await t.call("POST", "/v1/evaluations", {
      raw: `{"resources":[],"context":${deepJson(maxDepth)}}`,
    });
    expect(over.status).toBe(400);
    expect(over.body.detail).toContain(`the nesting depth limit of ${maxDepth} (CELGATE_MAX_DEPTH)`);
    const listed = await t.call("GET", "/v1/policies");
    expect(listed.body.items.length).toBeGreaterThan(0);
  });

  it("apply to manifests as to bodies, named in the answer", async () => {
    const manifests = await t.call("POST", "/v1/evaluations", {
      body: {
        manifests: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: ${"x".repeat(101)}}\n`,
      },
    });
    expect(manifests.status).toBe(400);
    expect(manifests.body.detail).toContain("the string length limit of 100 (CELGATE_MAX_STRING_LENGTH)");
    const context = await t.call("POST", "/v1/evaluations", {
      body: { resources: [], context: { a: "x".repeat(101) } },
    });
    expect(context.status).toBe(400);
    expect(context.body.errors[0].path).toBe("context.a");
    // the manifests text itself may be longer than a string may be: it is parsed, then limited
    const long = await t.call("POST", "/v1/evaluations", {
      body: { manifests: `${deploymentYaml("w")}# ${"x".repeat(200)}\n`, dryRun: true },
    });
    expect(long.status).toBe(200);
  });
});
