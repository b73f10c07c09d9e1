// Input that holds no Kubernetes resource is refused (400 `no-resources`) and recorded nowhere,
// as `celgate check` refuses it with exit 2: an evaluation of nothing is never an allow.
import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluations, inputs } from "../../../db/schema.js";
import {
  BACKENDS,
  deploymentObject,
  deploymentYaml,
  type Json,
  type RequestOptions,
  setupApp,
  type TestApp,
} from "../../../test/harness.js";

const NO_APIVERSION = "document has no apiVersion or kind, so it is not a Kubernetes object; skipped";
const NOT_A_MAPPING = "document is not a Kubernetes object (a mapping with apiVersion and kind); skipped";

/** A request that holds no resource, and what its refusal must say. */
interface EmptyCase {
  name: string;
  request: RequestOptions;
  /** Parts of the detail, in order. */
  detail: string[];
  /** The `errors` entries: one per skipped document. */
  errors?: Json[];
}

const CASES: EmptyCase[] = [
  { name: "an empty string", request: { body: { manifests: "" } }, detail: ["in manifests"] },
  { name: "only whitespace", request: { body: { manifests: "  \n\n" } }, detail: ["in manifests"] },
  {
    name: "only comments",
    request: { body: { manifests: "# web deployment\n# TODO\n" } },
    detail: ["in manifests"],
  },
  {
    name: "only separators",
    request: { body: { manifests: "---\n---\n...\n---\n" } },
    detail: ["in manifests"],
  },
  {
    name: "a mapping without apiVersion and kind",
    request: { body: { manifests: "# config\na: 1\n" } },
    // the document's line, as core (and the CLI's warning) gives it: where the document begins
    detail: ["in manifests", "1 document was skipped", `line 1: ${NO_APIVERSION}`],
    errors: [{ path: "manifests", document: 0, line: 1, code: "not-an-object", message: NO_APIVERSION }],
  },
  {
    name: "documents that are no objects",
    request: { body: { manifests: "a: 1\n---\nhello\n---\n- x\n- y\n" } },
    detail: ["3 documents were skipped", `line 1: ${NO_APIVERSION}`, `line 3: ${NOT_A_MAPPING}`],
    errors: [
      { path: "manifests", document: 0, line: 1, code: "not-an-object", message: NO_APIVERSION },
      { path: "manifests", document: 1, line: 3, code: "not-an-object", message: NOT_A_MAPPING },
      { path: "manifests", document: 2, line: 5, code: "not-an-object", message: NOT_A_MAPPING },
    ],
  },
  { name: "an empty JSON list", request: { body: { manifests: "[]" } }, detail: ["in manifests"] },
  { name: "a JSON null", request: { body: { manifests: "null" } }, detail: ["in manifests"] },
  {
    name: "a JSON object without kind",
    request: { body: { manifests: '{"metadata": {"name": "web"}}' } },
    detail: [`line 1: ${NO_APIVERSION}`],
    errors: [{ path: "manifests", document: 0, line: 1, code: "not-an-object", message: NO_APIVERSION }],
  },
  {
    name: "a YAML List with no items",
    request: { body: { manifests: "apiVersion: v1\nkind: List\nitems: []\n" } },
    detail: ["in manifests"],
  },
  {
    name: "a JSON List with no items",
    request: { body: { manifests: '{"apiVersion": "v1", "kind": "List", "items": []}' } },
    detail: ["in manifests"],
  },
  {
    name: "an empty list of files",
    request: { body: { manifests: [] } },
    detail: ["an empty list of files"],
  },
  {
    name: "files that hold no resource",
    request: {
      body: {
        manifests: [
          { file: "k8s/empty.yaml", text: "" },
          { file: "k8s/notes.yaml", text: "# notes\nowner: shop\n" },
        ],
      },
    },
    detail: ["in k8s/empty.yaml, k8s/notes.yaml:", `k8s/notes.yaml line 1: ${NO_APIVERSION}`],
    errors: [{ path: "manifests[1]", document: 0, line: 1, code: "not-an-object", message: NO_APIVERSION }],
  },
  { name: "an empty list of resources", request: { body: { resources: [] } }, detail: ["in resources"] },
  {
    name: "resources that are no Kubernetes objects",
    request: { body: { resources: [{ a: 1 }, null, "x"] } },
    detail: ["in resources", "2 documents were skipped", `resources[0]: ${NO_APIVERSION}`],
    errors: [
      { path: "resources[0]", document: 0, code: "not-an-object", message: NO_APIVERSION },
      { path: "resources[2]", document: 2, code: "not-an-object", message: NOT_A_MAPPING },
    ],
  },
  {
    name: "deployed objects, none given",
    request: { body: { resources: [], context: { deployed: true, cluster: "prod-eu" } } },
    detail: ["in resources"],
  },
  { name: "an empty YAML body", request: { yaml: "" }, detail: ["in manifests"] },
  {
    name: "a YAML body of comments and separators",
    request: { yaml: "# nothing here yet\n---\n---\n" },
    detail: ["in manifests"],
  },
  {
    name: "a YAML body without apiVersion and kind",
    request: { yaml: "replicas: 3\n" },
    detail: [`line 1: ${NO_APIVERSION}`],
    errors: [{ path: "manifests", document: 0, line: 1, code: "not-an-object", message: NO_APIVERSION }],
  },
  {
    name: "files whose later documents are no objects",
    request: {
      body: {
        manifests: [
          { file: "k8s/a.yaml", text: "a: 1\n---\nowner: shop\n" },
          { file: "k8s/b.yaml", text: "b: 2\n---\n---\nc: 3\n" },
        ],
      },
    },
    // each entry's document is its index in its own file (the one `path` names), empty
    // documents not counted, as the report's skipped-document notices count them
    detail: ["in k8s/a.yaml, k8s/b.yaml:", `k8s/a.yaml line 1: ${NO_APIVERSION}`],
    errors: [
      { path: "manifests[0]", document: 0, line: 1, code: "not-an-object", message: NO_APIVERSION },
      { path: "manifests[0]", document: 1, line: 3, code: "not-an-object", message: NO_APIVERSION },
      { path: "manifests[1]", document: 0, line: 1, code: "not-an-object", message: NO_APIVERSION },
      { path: "manifests[1]", document: 1, line: 4, code: "not-an-object", message: NO_APIVERSION },
    ],
  },
];

/** Whether the request asks for a dry run. */
const dryRunOf = (c: EmptyCase) =>
  c.request.yaml !== undefined ? "?dryRun=true" : { body: { ...(c.request.body as object), dryRun: true } };

describe.each(BACKENDS)("evaluations of input without resources on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
  });
  afterAll(() => t.close());

  /** Rows of history (evaluations) and of stored inputs. */
  const stored = async () => {
    const [e] = await t.database.db.select({ n: count() }).from(evaluations);
    const [i] = await t.database.db.select({ n: count() }).from(inputs);
    return { evaluations: Number(e?.n), inputs: Number(i?.n) };
  };

  const expectRefused = (res: { status: number; body: Json; headers: Headers }, c: EmptyCase) => {
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: "https://celgate.dev/problems/no-resources",
      title: "No Kubernetes resources",
      status: 400,
      requestId: expect.any(String),
    });
    expect(res.body.detail).toMatch(/^no Kubernetes resources found /);
    expect(res.body.detail).toContain("an evaluation of nothing is never an allow");
    let from = 0;
    for (const part of c.detail) {
      const at = res.body.detail.indexOf(part, from);
      expect(at, `"${part}" in "${res.body.detail}"`).toBeGreaterThanOrEqual(0);
      from = at + part.length;
    }
    if (c.errors) expect(res.body.errors).toEqual(c.errors);
    else expect(res.body.errors).toBeUndefined();
  };

  it.each(CASES)("refuses $name, recorded or not, and records nothing", async (c) => {
    const before = await stored();
    const token = t.tokens.evaluator;
    expectRefused(await t.call("POST", "/v1/evaluations", { ...c.request, token }), c);
    const dry = dryRunOf(c);
    expectRefused(
      typeof dry === "string"
        ? await t.call("POST", `/v1/evaluations${dry}`, { ...c.request, token })
        : await t.call("POST", "/v1/evaluations", { ...c.request, ...dry, token }),
      c,
    );
    // a retry with an Idempotency-Key is refused again: nothing was recorded to answer with
    const key = { headers: { "idempotency-key": `empty-${c.name}` } };
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await t.call("POST", "/v1/evaluations", { ...c.request, ...key, token });
      expectRefused(res, c);
      expect(res.headers.get("idempotent-replayed")).toBeNull();
    }
    expect(await stored()).toEqual(before);
  });

  it("lists none of them in history", async () => {
    const listed = async () =>
      (await t.call("GET", "/v1/evaluations?limit=500", { token: t.tokens.viewer })).body.items.length;
    const before = await listed();
    for (const c of CASES)
      await t.call("POST", "/v1/evaluations", { ...c.request, token: t.tokens.evaluator });
    expect(await listed()).toBe(before);
  });

  it("still evaluates and records input with at least one resource, skipped documents beside it", async () => {
    const before = await stored();
    const withNotes = `# config\na: 1\n---\n${deploymentYaml("web", { owner: "shop" })}`;
    const manifests = await t.call("POST", "/v1/evaluations", { body: { manifests: withNotes } });
    expect(manifests.status, JSON.stringify(manifests.body)).toBe(201);
    expect(manifests.body.summary.resources).toBe(1);
    const files = await t.call("POST", "/v1/evaluations", {
      body: {
        manifests: [
          { file: "empty.yaml", text: "" },
          { file: "web.yaml", text: deploymentYaml("web", { owner: "shop" }) },
        ],
        dryRun: true,
      },
    });
    expect(files.status, JSON.stringify(files.body)).toBe(200);
    expect(files.body.summary.resources).toBe(1);
    const objects = await t.call("POST", "/v1/evaluations", {
      body: { resources: [{ a: 1 }, deploymentObject("api", { owner: "shop" })] },
      headers: { "idempotency-key": "one-resource" },
    });
    expect(objects.status, JSON.stringify(objects.body)).toBe(201);
    expect(objects.body.summary.resources).toBe(1);
    const again = await t.call("POST", "/v1/evaluations", {
      body: { resources: [{ a: 1 }, deploymentObject("api", { owner: "shop" })] },
      headers: { "idempotency-key": "one-resource" },
    });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(objects.body.id);
    const after = await stored();
    expect(after.evaluations).toBe(before.evaluations + 2);
  });

  it("refuses a retry whose key recorded an evaluation of nothing (made before such input was refused)", async () => {
    // a row as an earlier version recorded it: an empty body, evaluated to an allow of nothing
    const key = "deploy-before-upgrade";
    const first = await t.call("POST", "/v1/evaluations", {
      token: t.tokens.evaluator,
      body: { resources: [deploymentObject("web", { owner: "shop" })] },
      headers: { "idempotency-key": key },
    });
    expect(first.status).toBe(201);
    const empty = { manifests: "# nothing\n" };
    const none = { resources: 0, pass: 0, fail: 0, error: 0, skip: 0, waived: 0 };
    await t.database.db
      .update(evaluations)
      .set({
        requestHash: await t.services.redaction.requestHash(empty),
        decision: "allow",
        summary: none,
        report: { ...first.body, decision: "allow", summary: none, results: [] },
      })
      .where(eq(evaluations.id, first.body.id));
    const before = await stored();
    const retry = await t.call("POST", "/v1/evaluations", {
      token: t.tokens.evaluator,
      body: empty,
      headers: { "idempotency-key": key },
    });
    expectRefused(retry, { name: "legacy", request: {}, detail: ["in manifests"] });
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(await stored()).toEqual(before);
  });
});
