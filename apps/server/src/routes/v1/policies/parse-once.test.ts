// A policy or exception body is parsed once per request: the body validator parses YAML (with
// positions) and JSON, and the service reads what it parsed rather than the text again. The
// engine's two text parsers are counted (their module exports, which the server calls) around
// requests over HTTP to the real server; answers, positions included, are the engine's.
import * as core from "@celgate/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { RunningServer } from "../../../server.js";
import { exceptionYaml, serveOnTestDatabase } from "../../../test/harness.js";

vi.mock("@celgate/core", async (original) => {
  const actual = await original<typeof import("@celgate/core")>();
  return {
    ...actual,
    parseSourceDocuments: vi.fn(actual.parseSourceDocuments),
    parsePolicyDocuments: vi.fn(actual.parsePolicyDocuments),
  };
});

const TOKEN = "parse-once-admin-token-0123456789abcdef";

const policyYaml = (
  name: string,
  expression = "object.spec.?replicas.orValue(1) <= 10",
) => `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: ${name}
spec:
  match:
    kinds: [Deployment]
  validations:
    - expression: "${expression}"
      message: at most ten replicas
`;

/** How many times the YAML text of a request was parsed (by either of the engine's parsers). */
const parses = () =>
  vi.mocked(core.parseSourceDocuments).mock.calls.length +
  vi.mocked(core.parsePolicyDocuments).mock.calls.length;

describe("a policy or exception body is parsed once", () => {
  let server: RunningServer;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ server, close } = await serveOnTestDatabase("pglite", { CELGATE_ADMIN_TOKEN: TOKEN }));
  }, 60_000);
  afterAll(async () => {
    await close?.();
  });
  beforeEach(() => {
    vi.mocked(core.parseSourceDocuments).mockClear();
    vi.mocked(core.parsePolicyDocuments).mockClear();
  });

  async function call(method: string, path: string, body: string, headers: Record<string, string> = {}) {
    const res = await fetch(`http://127.0.0.1:${server.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/yaml", ...headers },
      body,
    });
    // biome-ignore lint/suspicious/noExplicitAny: the assertions check the answer's shape
    return { status: res.status, body: (await res.json()) as any, etag: res.headers.get("etag") };
  }

  it("creates and replaces a YAML policy with one parse each", async () => {
    const created = await call("POST", "/v1/policies", policyYaml("parsed-once"));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(parses()).toBe(1);
    vi.mocked(core.parseSourceDocuments).mockClear();
    const replaced = await call("PUT", "/v1/policies/parsed-once", policyYaml("parsed-once", "true"), {
      "if-match": created.etag ?? "",
    });
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(200);
    expect(parses()).toBe(1);
  });

  it("creates a YAML exception with one parse", async () => {
    const created = await call("POST", "/v1/exceptions", exceptionYaml("parsed-once"));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(parses()).toBe(1);
  });

  it("parses a JSON policy's text once, for the positions of its diagnostics", async () => {
    const json = JSON.stringify({
      apiVersion: "celgate.dev/v1",
      kind: "Policy",
      metadata: { name: "parsed-once-json" },
      spec: { validations: [{ expression: "true", message: "always" }] },
    });
    const created = await call("POST", "/v1/policies", json, { "content-type": "application/json" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(parses()).toBe(1);
  });

  it("points a compile error at the line and column the engine gives", async () => {
    const text = policyYaml("typo", "object.spec.replicaz <= 10");
    const refused = await call("POST", "/v1/policies", text);
    expect(refused.status).toBe(422);
    expect(parses()).toBe(1);
    const validated = await call("POST", "/v1/policies:validate", text);
    expect(validated.body.diagnostics[0]).toMatchObject({ line: 9, column: 32, code: "cel-type" });
    expect(refused.body.errors[0]).toMatchObject({
      path: "spec.validations[0].expression",
      line: validated.body.diagnostics[0].line,
      column: validated.body.diagnostics[0].column,
    });
  });

  it("explains a document the engine's schema refuses with the engine's diagnostics", async () => {
    const text = policyYaml("unknown-field").replace("  match:", "  matches: {}\n  match:");
    const refused = await call("POST", "/v1/policies", text);
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ path: "spec.matches", message: "unknown field matches", line: 6, column: 3 }),
    ]);
  });
});
