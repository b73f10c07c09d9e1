// A stored document comes back as its author wrote it: keys in the order sent (a jsonb column
// handed back kind, spec, metadata, apiVersion, and nested keys by length), in every answer
// that carries it: the policy, its versions, the list, exceptions, the audit row of an
// exception's deletion, and policies loaded from the repository. Byte for byte, over HTTP to the real server, on PGlite and PostgreSQL.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../../server.js";
import { BACKENDS, FIXTURE_POLICY_DIR, serveOnTestDatabase } from "../../../test/harness.js";

const TOKEN = "key-order-admin-token-0123456789abcdef";

/** A valid Policy with every key in an unusual order, at each level; every default given. */
const POLICY = {
  spec: {
    validations: [
      {
        messageExpression: "'replicas: ' + string(object.spec.?replicas.orValue(1))",
        message: "at most ten replicas",
        expression: "object.spec.?replicas.orValue(1) <= 10",
      },
    ],
    match: {
      namespaces: ["shop"],
      kinds: ["Deployment"],
      labelSelector: { matchLabels: { zz: "1", a: "2" } },
    },
    failurePolicy: "Fail",
    action: "warn",
    severity: "high",
    params: { zeta: 1, alpha: { yy: 2, x: 1 } },
    description: "keys in an unusual order",
  },
  metadata: { labels: { zz: "last", team: "shop", a: "first" }, name: "ordered-policy" },
  kind: "Policy",
  apiVersion: "celgate.dev/v1",
};

/** Its second version, as YAML, in another order; severity, action and failurePolicy left to their defaults. */
const POLICY_V2 = `metadata:
  name: ordered-policy
  labels: {team: shop, zz: last}
kind: Policy
spec:
  validations:
    - message: at most five replicas
      expression: object.spec.?replicas.orValue(1) <= 5
  match:
    kinds: [Deployment]
apiVersion: celgate.dev/v1
`;
/** What POLICY_V2 is stored as: the keys as written, then the defaults the schema added. */
const POLICY_V2_STORED = {
  metadata: { name: "ordered-policy", labels: { team: "shop", zz: "last" } },
  kind: "Policy",
  spec: {
    validations: [{ message: "at most five replicas", expression: "object.spec.?replicas.orValue(1) <= 5" }],
    match: { kinds: ["Deployment"] },
    severity: "medium",
    action: "deny",
    failurePolicy: "Fail",
  },
  apiVersion: "celgate.dev/v1",
};

const EXCEPTION = {
  spec: {
    expires: "2099-01-01T00:00:00.000Z",
    reason: "keys in an unusual order",
    match: { names: ["web"], namespaces: ["legacy"] },
    policies: ["owner-label"],
  },
  kind: "PolicyException",
  metadata: { name: "ordered-exception", annotations: { "z.example/b": "2", "a.example/a": "1" } },
  apiVersion: "celgate.dev/v1",
};

/** A repository policy file, its keys in an unusual order. */
const REPOSITORY_POLICY = `spec:
  validations:
    - message: no latest tag
      expression: "true"
  severity: low
  action: audit
  failurePolicy: Ignore
metadata:
  name: ordered-repository
kind: Policy
apiVersion: celgate.dev/v1
`;
const REPOSITORY_STORED = {
  spec: {
    validations: [{ message: "no latest tag", expression: "true" }],
    severity: "low",
    action: "audit",
    failurePolicy: "Ignore",
  },
  metadata: { name: "ordered-repository" },
  kind: "Policy",
  apiVersion: "celgate.dev/v1",
};

/** The exact text a document must have inside an answer. */
const carried = (doc: unknown) => `"document":${JSON.stringify(doc)}`;

describe.each(BACKENDS)("stored documents keep their authors' key order on %s", (backend) => {
  let server: RunningServer;
  let close: () => Promise<void>;
  let repository: string;
  beforeAll(async () => {
    repository = mkdtempSync(join(tmpdir(), "celgate-key-order-"));
    cpSync(FIXTURE_POLICY_DIR, repository, { recursive: true });
    writeFileSync(join(repository, "ordered.yaml"), REPOSITORY_POLICY);
    ({ server, close } = await serveOnTestDatabase(backend, {
      CELGATE_ADMIN_TOKEN: TOKEN,
      CELGATE_POLICY_DIR: repository,
    }));
  }, 60_000);
  afterAll(async () => {
    await close?.();
    rmSync(repository, { recursive: true, force: true });
  });

  /** A call over HTTP; the answer's text as sent. */
  async function call(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; text: string; etag: string | null }> {
    const res = await fetch(`http://127.0.0.1:${server.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body }),
    });
    return { status: res.status, text: await res.text(), etag: res.headers.get("etag") };
  }

  it("answers a policy, its versions and the list with the document as sent", async () => {
    const created = await call("POST", "/v1/policies", JSON.stringify(POLICY));
    expect(created.status, created.text).toBe(201);
    expect(created.text).toContain(carried(POLICY));

    const got = await call("GET", "/v1/policies/ordered-policy");
    expect(got.status).toBe(200);
    expect(got.text).toContain(carried(POLICY));
    // the labels beside the document, copied from it, in its order too
    expect(got.text).toContain(`"labels":${JSON.stringify(POLICY.metadata.labels)}`);
    const listed = await call("GET", "/v1/policies?limit=500");
    expect(listed.text).toContain(carried(POLICY));

    const replaced = await call("PUT", "/v1/policies/ordered-policy", POLICY_V2, {
      "content-type": "application/yaml",
      "if-match": got.etag ?? "",
    });
    expect(replaced.status, replaced.text).toBe(200);
    expect(replaced.text).toContain(carried(POLICY_V2_STORED));
    expect((await call("GET", "/v1/policies/ordered-policy")).text).toContain(carried(POLICY_V2_STORED));

    expect((await call("GET", "/v1/policies/ordered-policy/versions/1")).text).toContain(carried(POLICY));
    expect((await call("GET", "/v1/policies/ordered-policy/versions/2")).text).toContain(
      carried(POLICY_V2_STORED),
    );
    const versions = await call("GET", "/v1/policies/ordered-policy/versions");
    expect(versions.text).toContain(carried(POLICY));
    expect(versions.text).toContain(carried(POLICY_V2_STORED));
  });

  it("answers a policy loaded from the repository as its file has it", async () => {
    const got = await call("GET", "/v1/policies/ordered-repository");
    expect(got.status, got.text).toBe(200);
    expect(got.text).toContain(carried(REPOSITORY_STORED));
    expect((await call("GET", "/v1/policies/ordered-repository/versions/1")).text).toContain(
      carried(REPOSITORY_STORED),
    );
  });

  it("answers an exception and the list with the document as sent, and still filters by policy", async () => {
    const created = await call("POST", "/v1/exceptions", JSON.stringify(EXCEPTION));
    expect(created.status, created.text).toBe(201);
    expect(created.text).toContain(carried(EXCEPTION));
    expect((await call("GET", "/v1/exceptions/ordered-exception")).text).toContain(carried(EXCEPTION));
    // the filter looks inside the stored document
    const named = await call("GET", "/v1/exceptions?policy=owner-label");
    expect(named.status, named.text).toBe(200);
    expect(named.text).toContain(carried(EXCEPTION));
    const other = await call("GET", "/v1/exceptions?policy=min-replicas");
    expect(other.status, other.text).toBe(200);
    expect(other.text).not.toContain("ordered-exception");
  });

  it("audits an exception's deletion with the document as sent", async () => {
    const deleted = await call("DELETE", "/v1/exceptions/ordered-exception");
    expect(deleted.status, deleted.text).toBe(204);
    const log = await call("GET", "/v1/audit?targetKind=exception&targetName=ordered-exception");
    expect(log.status, log.text).toBe(200);
    const row = (JSON.parse(log.text) as { items: { action: string }[] }).items.find(
      (i) => i.action === "exception.delete",
    );
    expect(JSON.stringify(row)).toContain(`"detail":{${carried(EXCEPTION)}}`);
  });
});
