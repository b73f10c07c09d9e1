// The commands that talk to a service, against real HTTP servers on 127.0.0.1 that misbehave:
// each must end in exit 2 with one line naming what went wrong, never in exit 0 (allowed).
// The CLI runs in process (main), as most CLI tests do.
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { findingAnswer } from "../../sdk/src/testing/findings.js";
import { closeServers, type Handler, serve } from "../../sdk/src/testing/http-server.js";
import { decisionStatement, publicJwk, signedEnvelope } from "../../sdk/src/testing/receipts.js";
import { runInProcess } from "./test/in-process.js";

let work = "";

afterEach(async () => {
  await closeServers();
  delete process.env.CELGATE_TIMEOUT;
  delete process.env.CELGATE_MAX_RESPONSE_BYTES;
});

beforeAll(() => {
  delete process.env.CELGATE_SERVER;
  delete process.env.CELGATE_TOKEN;
  work = mkdtempSync(join(tmpdir(), "celgate-hostile-"));
  writeFileSync(
    join(work, "web.yaml"),
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web, namespace: shop }\nspec: { replicas: 2 }\n",
  );
});

const run = runInProcess;

const json =
  (status: number, body: unknown, type = "application/json"): Handler =>
  (_req, res) => {
    res.writeHead(status, { "content-type": type });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };

const report = (decision: string, results: unknown[], fail = results.length) => ({
  apiVersion: "celgate.dev/v1",
  kind: "EvaluationReport",
  id: "ev_1",
  decision,
  evaluatedAt: "2026-01-01T00:00:00Z",
  policySet: { digest: "sha256:00", policies: 1 },
  summary: { resources: 1, pass: 0, fail, error: 0, skip: 0, waived: 0 },
  results,
});

const denyFailure = {
  resource: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" },
  policy: "run-as-non-root",
  severity: "high",
  action: "deny",
  outcome: "fail",
  violations: [{ message: "may run as root" }],
  error: null,
  exception: null,
};

const check = (url: string) => run(["check", "--server", url, "--token", "t", join(work, "web.yaml")]);

describe("celgate check --server against a service that misbehaves: exit 2, never 0", () => {
  it.each([
    [
      "a report that allows while a deny-action policy fails",
      json(201, report("allow", [denyFailure])),
      "gave an answer that cannot be trusted (HTTP 201): the report contradicts itself: its decision is allow, but run-as-non-root (action deny) fails on Deployment shop/web",
    ],
    [
      "a report that allows while its summary counts failures it does not list",
      json(201, report("allow", [], 2)),
      "the report contradicts itself: its summary counts 2 fail results but it lists 0",
    ],
    [
      "a report that allows a deny-action failure relabelled waived, naming no exception",
      json(201, {
        ...report("allow", [{ ...denyFailure, outcome: "waived" }], 0),
        summary: { resources: 1, pass: 0, fail: 0, error: 0, skip: 0, waived: 1 },
      }),
      "the report contradicts itself: results[0] (run-as-non-root on Deployment shop/web) is waived but names no exception",
    ],
    [
      "a report whose summary counts passes it does not list",
      json(201, {
        ...report("allow", [], 0),
        summary: { resources: 1, pass: 4, fail: 0, error: 0, skip: 0, waived: 0 },
      }),
      "the report contradicts itself: its summary counts 4 pass results but it lists 0",
    ],
    ["a decision spelt Allow", json(201, report("Allow", [], 0)), "not an EvaluationReport (decision"],
    [
      "an HTML page with 200",
      json(200, "<html>sign in</html>", "text/html"),
      "cannot be trusted (HTTP 200): the answer is not JSON (content type text/html",
    ],
    [
      "JSON cut short",
      json(201, JSON.stringify(report("allow", [], 0)).slice(0, 40)),
      "the answer is not JSON",
    ],
    [
      "a body longer than the cap, by its Content-Length",
      ((_req, res) => {
        res.writeHead(201, {
          "content-type": "application/json",
          "content-length": String(2 * 1024 * 1024 * 1024),
        });
        res.write("{");
      }) as Handler,
      `the answer is longer than ${1024 * 1024 * 1024} bytes`,
    ],
    ["a 500", json(500, "oops", "text/plain"), "failed: HTTP 500"],
  ])("%s", async (_name, handler, message) => {
    const s = await serve(handler);
    const r = await check(s.url);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`the celgate service at ${s.url}`);
    expect(r.stderr).toContain(message);
    expect(r.code).toBe(2);
  });

  it("checks the report as the service sent it: --omit-passing drops passes afterwards (exit 0)", async () => {
    const passing = { ...denyFailure, outcome: "pass", violations: [] };
    const body = {
      ...report("allow", [passing], 0),
      summary: { resources: 1, pass: 1, fail: 0, error: 0, skip: 0, waived: 0 },
    };
    const s = await serve(json(201, body));
    const r = await run([
      "check",
      "--server",
      s.url,
      "--token",
      "t",
      "--omit-passing",
      "--format",
      "json",
      join(work, "web.yaml"),
    ]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(JSON.parse(r.stdout)).toMatchObject({ decision: "allow", summary: { pass: 1 }, results: [] });
  });

  it("reads a report past the SDK's 64 MiB default, up to CELGATE_MAX_RESPONSE_BYTES", async () => {
    // a large bundle's report is longer than a deploy tool's answer: the CLI reads up to 1 GiB
    const body = `${" ".repeat(70 * 1024 * 1024)}${JSON.stringify(report("deny", [denyFailure]))}`;
    const s = await serve(json(201, body));
    const r = await check(s.url);
    expect(r.stderr).not.toContain("longer than");
    expect(r.stdout).toContain("run-as-non-root");
    expect(r.code).toBe(1);
    // a smaller limit, and the same answer of a valid report is refused at it
    process.env.CELGATE_MAX_RESPONSE_BYTES = "100";
    const t = await serve(json(201, report("deny", [denyFailure])));
    const refused = await check(t.url);
    expect(refused.stderr).toContain("the answer is longer than 100 bytes");
    expect(refused.stderr).toContain("(CELGATE_MAX_RESPONSE_BYTES sets the limit)");
    expect(refused.code).toBe(2);
    process.env.CELGATE_MAX_RESPONSE_BYTES = "1e9";
    const bad = await check(t.url);
    expect(bad.stderr).toContain('CELGATE_MAX_RESPONSE_BYTES="1e9": expected a whole number of bytes');
    expect(bad.code).toBe(2);
  });

  it("shows nothing of a refusal's text that would act on the terminal", async () => {
    const problem = {
      type: "about:blank",
      title: "Bad\u001b]0;owned\u0007 input",
      status: 400,
      detail: "allow\u202eyned \u001b[2J",
      requestId: "r1",
      errors: [{ path: "manifests", line: 1, message: "clear\u001b[2Jscreen \u2066x\u2069" }],
    };
    const s = await serve(json(400, problem, "application/problem+json"));
    const r = await check(s.url);
    expect(r.code).toBe(2);
    for (const raw of ["\u001b", "\u0007", "\u202e", "\u2066", "\u2069"]) expect(r.stderr).not.toContain(raw);
    expect(r.stderr).toContain("allow\\u202eyned \\u001b[2J");
    expect(r.stderr).toContain("clear\\u001b[2Jscreen \\u2066x\\u2069");
  });

  it("a redirect is not followed: exit 2, and the target is never asked", async () => {
    const other = await serve(json(201, report("allow", [], 0)));
    const s = await serve((_req, res) => {
      res.writeHead(302, { location: `${other.url}/v1/evaluations` });
      res.end();
    });
    const r = await check(s.url);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot reach the celgate service at ${s.url}: unexpected redirect`);
    expect(other.seen).toEqual([]);
  });

  it("a reset in the middle of the answer: exit 2, saying so", async () => {
    const s = await serve((_req, res) => {
      res.writeHead(201, { "content-type": "application/json", "content-length": "4000" });
      res.write('{"apiVersion":"celgate.dev/v1","decision":"allow"');
      setTimeout(() => res.socket?.destroy(), 10);
    });
    const r = await check(s.url);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `cannot reach the celgate service at ${s.url}: the connection closed in the middle of the answer (UND_ERR_SOCKET) (3 attempts)`,
    );
  });

  it("headers and then no body: exit 2 within CELGATE_TIMEOUT", async () => {
    const s = await serve((_req, res) => {
      res.writeHead(201, { "content-type": "application/json" });
      res.write('{"decision":');
    });
    process.env.CELGATE_TIMEOUT = "1";
    const started = Date.now();
    const r = await check(s.url);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("did not answer within 1 s (CELGATE_TIMEOUT sets the limit)");
  });
});

describe("celgate check --server against a newer service: a notice of a kind it does not know", () => {
  // a kind added after this CLI was built; ESC in its message must not reach the terminal
  const notice = { kind: "policy-deprecated", message: "run-as-non-root is deprecated\u001b[2J; use v2" };

  it.each([
    ["allow", 0, []],
    ["deny", 1, [denyFailure]],
  ] as const)(
    "prints it and decides by the decision (%s: exit %i), in text and JSON",
    async (decision, code, results) => {
      const s = await serve(json(201, { ...report(decision, [...results]), notices: [notice] }));
      const text = await check(s.url);
      expect(text.stderr).toBe("");
      expect(text.stdout).toContain("notice: run-as-non-root is deprecated\\u001b[2J; use v2");
      expect(text.stdout).not.toContain("\u001b");
      expect(text.code).toBe(code);
      const out = await run([
        "check",
        "--server",
        s.url,
        "--token",
        "t",
        "-o",
        "json",
        join(work, "web.yaml"),
      ]);
      expect(out.stderr).toBe("");
      expect(JSON.parse(out.stdout)).toMatchObject({ decision, notices: [notice] });
      expect(out.code).toBe(code);
    },
  );

  it("still refuses a result of an action it does not know: exit 2", async () => {
    const s = await serve(
      json(201, { ...report("allow", [{ ...denyFailure, action: "block" }]), notices: [notice] }),
    );
    const r = await check(s.url);
    expect(r.stderr).toContain("not an EvaluationReport (results[0].action: ");
    expect(r.code).toBe(2);
  });
});

describe("celgate findings --fail-on against a service that misbehaves", () => {
  // well formed but for its severity: the SDK refuses the page, naming the field
  const finding = findingAnswer;

  it.each([
    ["a severity spelt CRITICAL", { items: [finding("CRITICAL")], nextCursor: null }, "(items[0].severity: "],
    ["no severity", { items: [finding(undefined)], nextCursor: null }, "(items[0].severity: "],
    ["no items", { nextCursor: null }, "(items: "],
  ])("%s: exit 2, not 0", async (_name, body, field) => {
    const s = await serve(json(200, body));
    const r = await run(["findings", "--server", s.url, "--token", "t", "--fail-on", "high"]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(
      `the celgate service at ${s.url} gave an answer that cannot be trusted (HTTP 200): findings.list: the answer is not a well-formed FindingList ${field}`,
    );
    expect(r.code).toBe(2);
  });

  it("keeps a finding of a cause it does not know (a newer service's), printed as sent: exit by severity", async () => {
    const newer = { ...finding("critical"), cause: "image-deleted" };
    const s = await serve(json(200, { items: [newer], nextCursor: null }));
    const r = await run(["findings", "--server", s.url, "--token", "t", "--fail-on", "high"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("run-as-non-root  image-deleted  since");
    expect(r.code).toBe(1);
    const json_ = await run(["findings", "--server", s.url, "--token", "t", "-o", "json"]);
    expect(JSON.parse(json_.stdout).items[0].cause).toBe("image-deleted");
    expect(json_.code).toBe(0);
  });

  it("shows nothing of a finding's text that would act on the terminal", async () => {
    const hostile = {
      ...finding("high"),
      cause: "new\u001b]0;owned\u0007-scan",
      policy: "p\u202eyned",
      message: "clear\u001b[2Jscreen",
      resource: { cluster: "prod\u001b[1A", namespace: "shop", kind: "Deployment", name: "web\u2066x" },
      trigger: { vulnerabilities: ["CVE-1\u001b[31m"] },
      openedAt: "2026\u001b[K",
    };
    const s = await serve(json(200, { items: [hostile], nextCursor: null }));
    const r = await run(["findings", "--server", s.url, "--token", "t", "--fail-on", "high"]);
    expect(r.code).toBe(1);
    for (const raw of ["\u001b", "\u0007", "\u202e", "\u2066"]) expect(r.stdout).not.toContain(raw);
    expect(r.stdout).toContain("clear\\u001b[2Jscreen");
    expect(r.stdout).toContain("p\\u202eyned");
  });

  it("takes a well-formed page: exit 1 on a finding at --fail-on", async () => {
    const s = await serve(json(200, { items: [finding("critical")], nextCursor: null }));
    const r = await run(["findings", "--server", s.url, "--token", "t", "--fail-on", "high"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("run-as-non-root");
    expect(r.code).toBe(1);
  });
});

describe("celgate verify --key URL against a key server that misbehaves", () => {
  const { privateKey } = generateKeyPairSync("ed25519");

  /** A receipt of an allow, signed by the key above: valid with the right keys. */
  async function receiptFile(): Promise<{ file: string; jwks: string }> {
    const key = await publicJwk(privateKey);
    const subject = {
      name: "Deployment/shop/web",
      digest: { sha256: createHash("sha256").update("x").digest("hex") },
      annotations: { "celgate.dev/subject": "resource" },
    };
    const envelope = signedEnvelope(decisionStatement([subject]), { key: privateKey, keyid: key.kid });
    const file = join(work, "receipt.json");
    writeFileSync(file, JSON.stringify(envelope));
    return { file, jwks: JSON.stringify({ keys: [key] }) };
  }

  it("verifies with keys fetched from a URL that answers them (0)", async () => {
    const { file, jwks } = await receiptFile();
    const keys = await serve(json(200, jwks));
    const r = await run(["verify", file, "--key", `${keys.url}/v1/keys`]);
    expect(r.stdout).toContain("VALID receipt");
    expect(r.code).toBe(0);
  });

  it("refuses keys behind a redirect, which may lead anywhere (plain http included): exit 2", async () => {
    const { file, jwks } = await receiptFile();
    const elsewhere = await serve(json(200, jwks));
    const keys = await serve((_req, res) => {
      res.writeHead(301, { location: `${elsewhere.url}/keys.json` });
      res.end();
    });
    const r = await run(["verify", file, "--key", `${keys.url}/v1/keys`]);
    expect(r.stderr).toContain(`--key ${keys.url}/v1/keys: cannot fetch the keys`);
    expect(r.stderr).toContain("redirect");
    expect(r.code).toBe(2);
    expect(elsewhere.seen).toEqual([]);
  });

  it("stops reading an endless key answer at 1 MiB: exit 2", async () => {
    const { file } = await receiptFile();
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const keys = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const pump = () => {
        while (written < 400 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      res.socket?.on("close", () => res.destroy());
      pump();
    });
    const r = await run(["verify", file, "--key", keys.url]);
    expect(r.stderr).toContain("the answer is longer than 1048576 bytes");
    expect(r.code).toBe(2);
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });
});
