// A request body with a content coding, on the real listening server: the service decodes
// none, so it refuses any (415 with Accept-Encoding: identity) rather than reading the bytes
// as if sent plain, and stores nothing.
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, deploymentYaml, exceptionYaml, serveOnTestDatabase } from "../test/harness.js";

const TOKEN = "content-coding-admin-token-0123456789";

describe.each(BACKENDS)("request content codings on %s", (backend) => {
  let base: string;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const served = await serveOnTestDatabase(backend, { CELGATE_ADMIN_TOKEN: TOKEN });
    close = served.close;
    base = `http://127.0.0.1:${served.server.port}`;
  }, 60_000);
  afterAll(async () => {
    await close?.();
  });

  const send = (method: string, path: string, body: string | Buffer, headers: Record<string, string>) =>
    fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...headers },
      body: new Uint8Array(body instanceof Buffer ? body : Buffer.from(body)),
    });
  const stored = async (name: string) =>
    (await fetch(`${base}/v1/exceptions/${name}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status;

  it.each([
    ["gzip bytes labelled gzip", "gzipped", (text: string) => gzipSync(text), "gzip"],
    ["plain text labelled gzip", "labelled", (text: string) => Buffer.from(text), "gzip"],
    ["plain text labelled br", "brotli", (text: string) => Buffer.from(text), "br"],
    ["plain text labelled identity, gzip", "listed", (text: string) => Buffer.from(text), "identity, gzip"],
  ])("refuses %s with 415 and stores nothing", async (_what, name, encode, coding) => {
    for (const [type, text] of [
      ["application/yaml", exceptionYaml(name)],
      ["application/json", JSON.stringify({ manifests: deploymentYaml("web") })],
    ] as const) {
      const path = type === "application/yaml" ? "/v1/exceptions" : "/v1/evaluations";
      const res = await send("POST", path, encode(text), {
        "content-type": type,
        "content-encoding": coding,
      });
      const problem = (await res.json()) as { status: number; detail: string };
      expect(res.status, `${path}: ${JSON.stringify(problem)}`).toBe(415);
      expect(res.headers.get("accept-encoding")).toBe("identity");
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(problem.detail).toContain("Content-Encoding");
    }
    expect(await stored(name)).toBe(404);
    const history = await fetch(`${base}/v1/evaluations`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(((await history.json()) as { items: unknown[] }).items).toEqual([]);
  });

  it("reads a body labelled identity as sent", async () => {
    const res = await send("POST", "/v1/exceptions", exceptionYaml("plain"), {
      "content-type": "application/yaml",
      "content-encoding": "Identity",
    });
    expect(res.status).toBe(201);
    expect(await stored("plain")).toBe(200);
  });
});
