// Native TLS and the unauthenticated admission mode, on a real listening server: what a
// Kubernetes API server needs to call the webhook directly. The certificate is made here with
// openssl (skipped where there is none).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPglite } from "./db/client.js";
import { ConfigError, loadConfig } from "./env.js";
import { createLogger } from "./lib/logger.js";
import { type RunningServer, startServer } from "./server.js";
import { deploymentObject, FIXTURE_POLICY_DIR, type Json } from "./test/harness.js";

const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const ADMIN = "tls-admin-token-0123456789";

/** A self-signed certificate for 127.0.0.1 and localhost, and its key, as files in `dir`. */
function selfSigned(dir: string): { cert: string; key: string; pem: string } {
  const cert = join(dir, "tls.crt");
  const key = join(dir, "tls.key");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { stdio: "ignore" },
  );
  return { cert, key, pem: readFileSync(cert, "utf8") };
}

/** An HTTPS request that trusts only `ca`. */
function httpsCall(
  port: number,
  ca: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string } = {},
): Promise<{ status: number; body: Json }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        ca,
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.body === undefined ? {} : { "content-type": "application/json" }),
        },
      },
      (res) => {
        let text = "";
        res.on("data", (d) => {
          text += d;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }),
        );
      },
    );
    req.once("error", reject);
    req.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}

describe("TLS configuration", () => {
  it("wants both files or neither, and names the variable", () => {
    expect(loadConfig({}).tls).toBeUndefined();
    expect(() => loadConfig({ CELGATE_TLS_CERT_FILE: "/x.crt" })).toThrow(/CELGATE_TLS_KEY_FILE/);
    expect(() => loadConfig({ CELGATE_TLS_KEY_FILE: "/x.key" })).toThrow(/CELGATE_TLS_CERT_FILE/);
    expect(() =>
      loadConfig({ CELGATE_TLS_CERT_FILE: "/nonexistent.crt", CELGATE_TLS_KEY_FILE: "/x" }),
    ).toThrow(ConfigError);
    expect(() =>
      loadConfig({ CELGATE_TLS_CERT_FILE: "/nonexistent.crt", CELGATE_TLS_KEY_FILE: "/x" }),
    ).toThrow(/CELGATE_TLS_CERT_FILE: cannot read/);
    expect(() => loadConfig({ CELGATE_ADMISSION_AUTH: "open" })).toThrow(/CELGATE_ADMISSION_AUTH/);
    expect(loadConfig({}).admissionAuth).toBe("token");
  });
});

describe.skipIf(!hasOpenssl)("HTTPS with an unauthenticated admission webhook", () => {
  let dir: string;
  let pem: string;
  let server: RunningServer;
  const logs: Json[] = [];
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "celgate-tls-"));
    const pair = selfSigned(dir);
    pem = pair.pem;
    const config = loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      CELGATE_ADMIN_TOKEN: ADMIN,
      CELGATE_POLICY_DIR: FIXTURE_POLICY_DIR,
      CELGATE_TLS_CERT_FILE: pair.cert,
      CELGATE_TLS_KEY_FILE: pair.key,
      CELGATE_ADMISSION_AUTH: "none",
    });
    const database = await openPglite("memory://");
    closers.push(() => database.close());
    const logger = createLogger("warn", { write: (line: string) => void logs.push(JSON.parse(line)) });
    server = await startServer(config, { logger, database });
    closers.unshift(() => server.close());
  });
  afterAll(async () => {
    for (const close of closers) await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("says at start that the webhook is open", () => {
    expect(server.protocol).toBe("https");
    expect(logs.some((l) => l.level === 40 && /CELGATE_ADMISSION_AUTH=none/.test(l.msg))).toBe(true);
  });

  it("serves HTTPS with the configured certificate, and refuses an untrusted client", async () => {
    const res = await httpsCall(server.port, pem, "GET", "/healthz");
    expect(res.status).toBe(200);
    // A client that does not trust the certificate fails the handshake.
    await expect(
      new Promise((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port: server.port, path: "/healthz" }, resolve);
        req.once("error", reject);
        req.end();
      }),
    ).rejects.toThrow(/self[- ]signed/i);
    // Plain HTTP to the TLS port gets no answer from the service.
    await expect(fetch(`http://127.0.0.1:${server.port}/healthz`)).rejects.toThrow();
  });

  it("answers an AdmissionReview without a token, and nothing else without one", async () => {
    const review = {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: {
        uid: "tls-1",
        kind: { group: "apps", version: "v1", kind: "Deployment" },
        namespace: "shop",
        operation: "CREATE",
        object: deploymentObject("web", { owner: "shop" }),
      },
    };
    const res = await httpsCall(server.port, pem, "POST", "/v1/admission", { body: review });
    expect(res.status).toBe(200);
    expect(res.body.response).toMatchObject({ uid: "tls-1", allowed: false });
    expect((await httpsCall(server.port, pem, "GET", "/v1/evaluations")).status).toBe(401);
    expect(
      (await httpsCall(server.port, pem, "POST", "/v1/evaluations", { body: { resources: [] } })).status,
    ).toBe(401);
    const history = await httpsCall(server.port, pem, "GET", "/v1/evaluations?source=admission", {
      token: ADMIN,
    });
    expect(history.body.items[0]).toMatchObject({ actor: "admission-webhook", context: { uid: "tls-1" } });
  });
});

describe.skipIf(!hasOpenssl)("TLS files that are not a certificate and key", () => {
  it("stop the start with a message naming the variables", () => {
    const d = mkdtempSync(join(tmpdir(), "celgate-tls-bad-"));
    try {
      writeFileSync(join(d, "a.pem"), "not a certificate\n");
      expect(() =>
        loadConfig({ CELGATE_TLS_CERT_FILE: join(d, "a.pem"), CELGATE_TLS_KEY_FILE: join(d, "a.pem") }),
      ).toThrow(/CELGATE_TLS_CERT_FILE, CELGATE_TLS_KEY_FILE: not a usable PEM/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
