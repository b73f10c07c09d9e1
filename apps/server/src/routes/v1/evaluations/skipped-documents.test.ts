// Documents of a request that are not Kubernetes objects are skipped beside the resources that
// are evaluated; the report says so (`skipped-document` notices, naming the file or request
// field, the document index and the line) in the answer and in history, so a kept decision
// never hides that part of what was sent was not checked. The real server over HTTP, with an
// evaluator thread (the notices cross to it and back), on PGlite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../../server.js";
import {
  BACKENDS,
  deploymentObject,
  deploymentYaml,
  type Json,
  serveOnTestDatabase,
} from "../../../test/harness.js";

const TOKEN = "skipped-documents-admin-token-0123456789";
const NO_KIND = "document has no apiVersion or kind, so it is not a Kubernetes object; skipped";
const NOT_A_MAPPING = "document is not a Kubernetes object (a mapping with apiVersion and kind); skipped";
const CELGATE_POLICY =
  "a celgate Policy document, not a Kubernetes object; skipped (pass it with --policies, --exceptions or --images)";

/** A bundle: a comment-and-config document, a Deployment, a scalar, a Policy (documents 0 to 3). */
const BUNDLE = `# settings\nreplicas: 3\n---\n${deploymentYaml("web", { owner: "shop" })}---\nhello\n---\napiVersion: celgate.dev/v1\nkind: Policy\nmetadata: {name: p}\n`;
/** The notices of BUNDLE read from `file`. */
const bundleNotices = (file: string) => [
  { kind: "skipped-document", message: `${file}:1: ${NO_KIND}`, source: { file, document: 0, line: 1 } },
  {
    kind: "skipped-document",
    message: `${file}:19: ${NOT_A_MAPPING}`,
    source: { file, document: 2, line: 19 },
  },
  {
    kind: "skipped-document",
    message: `${file}:21: ${CELGATE_POLICY}`,
    source: { file, document: 3, line: 21 },
  },
];

describe.each(BACKENDS)("skipped documents in the report on %s", (backend) => {
  let server: RunningServer;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ server, close } = await serveOnTestDatabase(backend, {
      CELGATE_ADMIN_TOKEN: TOKEN,
      CELGATE_EVALUATOR_THREADS: "1",
    }));
  }, 60_000);
  afterAll(async () => {
    await close?.();
  });

  /** A call over HTTP; JSON bodies are sent as JSON, strings as a YAML body. */
  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Json; headers: Headers }> {
    const yaml = typeof body === "string";
    const res = await fetch(`http://127.0.0.1:${server.port}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { "content-type": yaml ? "application/yaml" : "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: yaml ? body : JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json(), headers: res.headers };
  }

  /** Evaluates, expects it recorded with `notices`, and reads the same notices back from history. */
  async function expectRecorded(path: string, body: unknown, notices: Json[]): Promise<Json> {
    const answer = await call("POST", path, body);
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body.summary.resources).toBeGreaterThan(0);
    expect(answer.body.notices).toEqual(notices);
    const kept = await call("GET", `/v1/evaluations/${answer.body.id}`);
    expect(kept.status).toBe(200);
    expect(kept.body.notices).toEqual(notices);
    return answer.body;
  }

  it("names each document skipped in manifests text, answered and kept in history", async () => {
    const report = await expectRecorded("/v1/evaluations", { manifests: BUNDLE }, bundleNotices("manifests"));
    expect(report.summary.resources).toBe(1);
  });

  it("names a YAML body's documents as those of manifests", async () => {
    await expectRecorded("/v1/evaluations", BUNDLE, bundleNotices("manifests"));
  });

  it("names each file of a list of files", async () => {
    await expectRecorded(
      "/v1/evaluations",
      {
        manifests: [
          { file: "k8s/web.yaml", text: deploymentYaml("web", { owner: "shop" }) },
          { file: "k8s/bundle.yaml", text: BUNDLE },
          { file: "k8s/list.json", text: '[{"metadata": {"name": "x"}}]' },
        ],
      },
      [
        ...bundleNotices("k8s/bundle.yaml"),
        {
          kind: "skipped-document",
          message: `k8s/list.json:1: ${NO_KIND}`,
          source: { file: "k8s/list.json", document: 0, line: 1 },
        },
      ],
    );
  });

  it("names objects of resources by their index, without a line", async () => {
    await expectRecorded(
      "/v1/evaluations",
      { resources: [{ a: 1 }, deploymentObject("api", { owner: "shop" }), "x"] },
      [
        {
          kind: "skipped-document",
          message: `resources[0]: ${NO_KIND}`,
          source: { file: "resources", document: 0 },
        },
        {
          kind: "skipped-document",
          message: `resources[2]: ${NOT_A_MAPPING}`,
          source: { file: "resources", document: 2 },
        },
      ],
    );
  });

  it("answers the notices of a dry run, and of an idempotent retry from history", async () => {
    const dry = await call("POST", "/v1/evaluations", { manifests: BUNDLE, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body.notices).toEqual(bundleNotices("manifests"));
    const key = { "idempotency-key": "skipped-documents-retry" };
    const first = await call("POST", "/v1/evaluations", { manifests: BUNDLE }, key);
    const again = await call("POST", "/v1/evaluations", { manifests: BUNDLE }, key);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.notices).toEqual(bundleNotices("manifests"));
  });

  it("gives no notice when nothing was skipped", async () => {
    const report = await expectRecorded(
      "/v1/evaluations",
      { manifests: deploymentYaml("web", { owner: "shop" }) },
      // absent, as before
      undefined as unknown as Json[],
    );
    expect(report).not.toHaveProperty("notices");
  });
});
