// Hostile clients on the real listening server, at the level of bytes on the connection: what a
// client does with its connection or its encodings is answered (or dropped) as the client's
// doing, and never changes what the service tells others about itself.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "./server.js";
import { BACKENDS, exceptionYaml, serveOnTestDatabase } from "./test/harness.js";

const TOKEN = "hostile-http-admin-token-0123456789";

/** Writes `parts` on a raw connection, a pause before each; resolves with the status and body. */
function rawRequest(
  port: number,
  parts: (string | Buffer)[],
  options: { closeAfter?: boolean } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const received: Buffer[] = [];
    socket.on("data", (d) => received.push(d));
    socket.once("error", reject);
    socket.once("close", () => {
      const text = Buffer.concat(received).toString("utf8");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf("\r\n\r\n") + 4) });
    });
    socket.once("connect", async () => {
      for (const part of parts) {
        await new Promise((r) => setTimeout(r, 30));
        socket.write(part);
      }
      if (options.closeAfter) {
        await new Promise((r) => setTimeout(r, 30));
        socket.destroy();
      }
    });
  });
}

const head = (path: string, headers: string[]) =>
  [
    `POST ${path} HTTP/1.1`,
    "Host: x",
    `Authorization: Bearer ${TOKEN}`,
    "Connection: close",
    ...headers,
    "",
    "",
  ].join("\r\n");

describe.each(BACKENDS)("hostile connections on %s", (backend) => {
  let server: RunningServer;
  let close: (() => Promise<void>) | undefined;
  let base: string;
  beforeAll(async () => {
    ({ server, close } = await serveOnTestDatabase(backend, { CELGATE_ADMIN_TOKEN: TOKEN }));
    base = `http://127.0.0.1:${server.port}`;
  }, 60_000);
  afterAll(async () => {
    await close?.();
  });

  const ready = async () => (await fetch(`${base}/readyz`)).status;

  it("a client that closes its connection mid-body does not make the instance unready", async () => {
    expect(await ready()).toBe(200);
    const framings = [
      // announced 400 bytes, sends 10, hangs up
      [head("/v1/evaluations", ["Content-Type: application/json", "Content-Length: 400"]), '{"manifest'],
      // chunked: one chunk of a body that never ends
      [
        head("/v1/evaluations", ["Content-Type: application/json", "Transfer-Encoding: chunked"]),
        'a\r\n{"manifest\r\n',
      ],
      // a YAML body on another route
      [head("/v1/policies", ["Content-Type: application/yaml", "Content-Length: 1000"]), "apiVersion: "],
    ];
    for (const parts of framings) {
      await rawRequest(server.port, parts, { closeAfter: true });
      await new Promise((r) => setTimeout(r, 50));
      // the database answered all along: readiness must say so
      expect(await ready()).toBe(200);
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).not.toMatch(/celgate_http_requests_total\{[^}]*status="503"/);
    // and the service goes on evaluating
    const res = await fetch(`${base}/v1/evaluations`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({
        manifests: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n",
        dryRun: true,
      }),
    });
    expect(res.status).toBe(200);
  });

  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.status, type: res.headers.get("content-type"), body: await res.json() };
  };

  it("a duration so long that no date is that far is a 400 naming the option, not a 500", async () => {
    for (const [path, option] of [
      ["/v1/exceptions?expiring=99999999999d", "expiring"],
      ["/v1/images?stale=99999999999d", "stale"],
      [`/v1/images?stale=${"9".repeat(400)}d`, "stale"],
      ["/v1/exceptions?expiring=36500d1s", "expiring"],
    ] as const) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(res.type).toContain("application/problem+json");
      expect(res.body.errors[0].path).toBe(option);
      expect(res.body.requestId).toBeTruthy();
    }
    // what is not a duration at all is still refused as such
    for (const path of ["/v1/exceptions?expiring=-1", "/v1/images?stale=7x", "/v1/images?stale="]) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(res.body.detail, path).toContain("a duration such as 7d");
    }
    expect((await get("/v1/exceptions?expiring=36500d")).status).toBe(200);
    expect((await get("/v1/images?stale=36500d")).status).toBe(200);
  });

  const post = (path: string, body: Uint8Array | string, contentType: string) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": contentType },
      // the bytes as they are (a Buffer is a Uint8Array; fetch's types want a plain ArrayBuffer)
      body: typeof body === "string" ? body : (body as Uint8Array<ArrayBuffer>),
    });
  const CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cafe, namespace: shop}\n";
  const recorded = async () => (await get("/v1/evaluations?limit=500")).body.items.length;

  it("a body that is not UTF-8 is a 400 with its line and column, never evaluated with U+FFFD in its place", async () => {
    const before = await recorded();
    // "café" in Latin-1 (0xE9) inside a JSON string, on line 2
    const json = Buffer.concat([
      Buffer.from(`{"manifests": ${JSON.stringify(CONFIGMAP)},\n "context": {"team": "caf`),
      Buffer.from([0xe9]),
      Buffer.from('"}}'),
    ]);
    const res = await post("/v1/evaluations", json, "application/json");
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const problem = await res.json();
    expect(problem.errors[0]).toMatchObject({ code: "input-unicode", line: 2, column: 26 });
    expect(problem.detail).toContain("not valid UTF-8 at line 2, column 26");
    // the same in a YAML body, and a lone continuation byte
    const yaml = Buffer.concat([Buffer.from(CONFIGMAP.replace("cafe", "caf")), Buffer.from([0x80, 0x0a])]);
    const yamlRes = await post("/v1/evaluations", yaml, "application/yaml");
    expect(yamlRes.status).toBe(400);
    expect((await yamlRes.json()).errors[0]).toMatchObject({ code: "input-unicode", line: 4, column: 1 });
    expect(await recorded()).toBe(before);
    // well-formed UTF-8 stays accepted: U+FFFD itself, and a leading byte order mark
    const body = JSON.stringify({ manifests: CONFIGMAP, context: { team: "caf\ufffd é" } });
    expect((await post("/v1/evaluations", body, "application/json")).status).toBe(201);
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]);
    expect((await post("/v1/evaluations", bom, "application/json; charset=UTF-8")).status).toBe(201);
    expect(await recorded()).toBe(before + 2);
  });

  it("a charset other than UTF-8 is a 415, not bytes read as if they were UTF-8", async () => {
    const body = JSON.stringify({ manifests: CONFIGMAP, dryRun: true });
    for (const type of [
      "application/json; charset=latin1",
      "application/json;charset=ISO-8859-1",
      'application/json; charset="utf-16"',
      "application/yaml; charset=windows-1252",
    ]) {
      const res = await post("/v1/evaluations", type.includes("yaml") ? CONFIGMAP : body, type);
      expect(res.status, type).toBe(415);
      expect((await res.json()).detail).toMatch(/send the body as UTF-8, not charset=/);
    }
    for (const type of ["application/json; charset=utf-8", 'application/json; charset="UTF8"'])
      expect((await post("/v1/evaluations", body, type)).status, type).toBe(200);
  });

  it("a context filter on __proto__, constructor or toString filters on that key, never on nothing", async () => {
    const body = JSON.stringify({ manifests: CONFIGMAP, context: { environment: "prod" } });
    expect((await post("/v1/evaluations", body, "application/json")).status).toBe(201);
    expect((await get("/v1/evaluations?context.environment=prod")).body.items.length).toBeGreaterThan(0);
    for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      const res = await get(`/v1/evaluations?context.${key}=x`);
      expect(res.status, key).toBe(200);
      expect(res.body.items, key).toEqual([]);
    }
    // and the filters that should match still do
    expect((await get("/v1/evaluations?context.environment=prod")).body.items.length).toBeGreaterThan(0);
  });

  /** post(), and the answer's status, media type and parsed body. */
  const sent = async (path: string, body: string, contentType: string) => {
    const res = await post(path, body, contentType);
    return { status: res.status, type: res.headers.get("content-type"), body: await res.json() };
  };

  it("a repeated JSON key is a 400 naming it, never read one way here and another way by a proxy", async () => {
    // JSON.parse keeps the last role; a reader that keeps the first sees a viewer token
    const token = '{"name": "twice", "role": "viewer", "role": "admin"}';
    const res = await sent("/v1/tokens", token, "application/json");
    expect(res.status).toBe(400);
    expect(res.type).toContain("application/problem+json");
    expect(res.body.errors).toEqual([
      {
        path: "role",
        message: expect.stringContaining('"role" appears twice'),
        code: "duplicate-key",
        line: 1,
        column: 37,
      },
    ]);
    expect((await get("/v1/tokens")).body.items.map((t: { name: string }) => t.name)).not.toContain("twice");
    const nested = `{"manifests": ${JSON.stringify(CONFIGMAP)}, "context": {"env": "prod",\n "env": "dev"}}`;
    const deep = await sent("/v1/evaluations", nested, "application/json");
    expect(deep.status).toBe(400);
    expect(deep.body.errors[0]).toMatchObject({ path: "context.env", line: 2, column: 2 });
    // a key is the string it spells: an escape does not make it another
    const escaped = `{"manifests": ${JSON.stringify(CONFIGMAP)}, "context": {"env": "prod", "\\u0065nv": "dev"}}`;
    expect((await sent("/v1/evaluations", escaped, "application/json")).body.errors[0].path).toBe(
      "context.env",
    );
    // a value that spells a key is no key
    const apart = `{"manifests": ${JSON.stringify(CONFIGMAP)}, "context": {"env": "prod", "team": "env"}}`;
    const read = await sent("/v1/evaluations", apart, "application/json");
    expect(read.status, JSON.stringify(read.body)).toBe(201);
  });

  it("a __proto__ key in a policy is refused naming it, in JSON and in YAML, never dropped silently", async () => {
    const policy = (labels: string) =>
      `{"apiVersion": "celgate.dev/v1", "kind": "Policy", "metadata": {"name": "proto-labels", "labels": ${labels}}, "spec": {"validations": [{"expression": "true", "message": "m"}]}}`;
    const json = await sent("/v1/policies", policy('{"team": "shop", "__proto__": "x"}'), "application/json");
    expect(json.status).toBe(422);
    expect(json.body.errors[0]).toMatchObject({
      path: "metadata.labels.__proto__",
      code: "proto-key",
      line: 1,
    });
    const yaml = await sent(
      "/v1/policies",
      "apiVersion: celgate.dev/v1\nkind: Policy\nmetadata:\n  name: proto-labels\n  labels:\n    __proto__: x\nspec:\n  validations: [{expression: 'true', message: m}]\n",
      "application/yaml",
    );
    expect(yaml.status).toBe(422);
    expect(yaml.body.errors[0]).toMatchObject({ path: "metadata.labels.__proto__", line: 6, column: 5 });
    const context = await sent(
      "/v1/evaluations",
      `{"manifests": ${JSON.stringify(CONFIGMAP)}, "context": {"__proto__": {"x": 1}}}`,
      "application/json",
    );
    expect(context.status).toBe(400);
    expect(context.body.errors[0].path).toBe("context.__proto__");
    expect((await get("/v1/policies/proto-labels")).status).toBe(404);
    const exception = exceptionYaml("proto-exception").replace(
      "metadata:\n  name: proto-exception\n",
      "metadata:\n  name: proto-exception\n  annotations: {__proto__: x}\n",
    );
    const waived = await sent("/v1/exceptions", exception, "application/yaml");
    expect(waived.status, exception).toBe(422);
    expect(waived.body.errors[0]).toMatchObject({
      path: "metadata.annotations.__proto__",
      code: "proto-key",
    });
    // constructor is a key like any other: kept as sent
    const kept = await sent("/v1/policies", policy('{"constructor": "y"}'), "application/json");
    expect(kept.status).toBe(201);
    expect(kept.body.labels).toEqual({ constructor: "y" });
  });

  it("a version number past what the database holds is a 400 naming it, not a 500", async () => {
    const res = await get("/v1/policies/images-scanned/versions/2147483648");
    expect(res.status).toBe(400);
    expect(res.type).toContain("application/problem+json");
    expect(res.body.errors[0].path).toBe("n");
    expect((await get("/v1/policies/images-scanned/versions/2147483647")).status).toBe(404);
    expect((await get("/v1/policies/images-scanned/versions/1")).status).toBe(200);
  });

  it("a timestamp of year 0 (which JavaScript takes and PostgreSQL does not) is a 400, not a 500", async () => {
    for (const path of [
      "/v1/evaluations?since=0000-01-01T00:00:00Z",
      "/v1/evaluations?until=0000-01-01T00:00:00Z",
      "/v1/audit?since=0000-01-01T00:00:00Z",
      // the default start, 30 days before, is in the year -1
      "/v1/evaluations:stats?until=0000-01-01T00:00:00Z",
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(res.type).toContain("application/problem+json");
      expect(JSON.stringify(res.body)).not.toMatch(/select|params|timestamp with time zone/i);
    }
    expect((await get("/v1/evaluations?since=0001-01-01T00:00:00Z")).status).toBe(200);
  });

  it("a method a path does not take is a 405 with Allow; a method-override header changes nothing", async () => {
    const send = (method: string, path: string, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, ...headers } });
    for (const [method, path, allow] of [
      ["OPTIONS", "/v1/policies", "GET, HEAD, POST"],
      ["PATCH", "/v1/policies/images-scanned", "DELETE, GET, HEAD, PUT"],
      ["POST", "/v1/policies/images-scanned", "DELETE, GET, HEAD, PUT"],
      ["DELETE", "/v1/evaluations", "GET, HEAD, POST"],
    ] as const) {
      const res = await send(method, path, { "X-HTTP-Method-Override": "GET" });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get("allow")).toBe(allow);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect((await res.json()).requestId).toBeTruthy();
    }
    // an override header is not a method: the POST is refused, the policy stays
    const override = await send("POST", "/v1/policies/images-scanned", {
      "X-HTTP-Method-Override": "DELETE",
    });
    expect(override.status).toBe(405);
    expect((await get("/v1/policies/images-scanned")).status).toBe(200);
    // no such path: 404; no token: 401 before anything is said about the path
    expect((await send("GET", "/v1/nothing-here")).status).toBe(404);
    expect((await fetch(`${base}/v1/policies`, { method: "OPTIONS" })).status).toBe(401);
  });
});
