// `celgate findings` against the real service (in process, over PGlite): a policy change turns
// a deployed object into a finding, which the command lists as text or JSON and gates on.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CelgateClient, createClient } from "@celgate/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "../../sdk/src/testing/service.js";
import { runInProcess } from "./test/in-process.js";

let service: TestService;
let admin: CelgateClient;
let viewer = "";

const run = runInProcess;

const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop", labels: { owner: "team-a" } },
  spec: {
    replicas: 6,
    template: { spec: { containers: [{ name: "app", image: "registry.example/shop/web:1.0" }] } },
  },
};

const AT_MOST_FOUR = `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: at-most-four-replicas
spec:
  severity: high
  action: warn
  match: { kinds: [Deployment] }
  validations:
    - expression: "object.spec.?replicas.orValue(1) <= 4"
      message: at most four replicas
`;

beforeAll(async () => {
  // the command reads these when flags are absent; the tests give every value explicitly
  delete process.env.CELGATE_SERVER;
  delete process.env.CELGATE_TOKEN;
  service = await startTestService({ env: { CELGATE_EVALUATOR_THREADS: "1" } });
  admin = createClient({ baseUrl: service.baseUrl, token: service.adminToken });
  viewer = (await admin.tokens.create({ name: "findings viewer", role: "viewer" })).token;
  // deployed in cluster prod: it passes every policy in force
  const report = await admin.evaluate({
    resources: [deployment],
    context: { cluster: "prod", deployed: true },
  });
  expect(report.decision).toBe("allow");
  await admin.policies.create(AT_MOST_FOUR);
  const end = Date.now() + 30_000;
  while ((await admin.findings.list()).items.length === 0) {
    if (Date.now() > end) throw new Error("no finding opened after the policy change");
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);

afterAll(async () => {
  await service?.close();
});

describe("celgate findings", () => {
  const server = () => ["--server", service.baseUrl, "--token", viewer];

  it("lists open findings as text and exits 1 only at or above --fail-on", async () => {
    const text = await run(["findings", ...server()]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("high     prod/shop/Deployment/web  at-most-four-replicas  policy-change");
    expect(text.stdout).toContain("at most four replicas");
    expect(text.stdout).toContain("1 open finding (1 high)");

    const high = await run(["findings", ...server(), "--fail-on", "high"]);
    expect(high.code).toBe(1);
    expect(high.stdout).toContain("1 at or above high");
    expect((await run(["findings", ...server(), "--fail-on", "critical"])).code).toBe(0);
    expect((await run(["findings", ...server(), "--fail-on", "low"])).code).toBe(1);
  });

  it("prints JSON with -o json, filters, and writes --output files", async () => {
    const json = await run(["findings", ...server(), "-o", "json"]);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.items).toHaveLength(1);
    expect(parsed.items[0]).toMatchObject({
      policy: "at-most-four-replicas",
      cause: "policy-change",
      trigger: { policy: "at-most-four-replicas", version: 1 },
      resource: { cluster: "prod", namespace: "shop", kind: "Deployment", name: "web" },
    });
    const none = await run(["findings", ...server(), "--cluster", "staging"]);
    expect(none.stdout).toBe("no open findings\n");
    const file = join(mkdtempSync(join(tmpdir(), "celgate-findings-")), "out.json");
    expect((await run(["findings", ...server(), "-o", "json", "--output", file])).code).toBe(0);
    expect(JSON.parse(readFileSync(file, "utf8")).items).toHaveLength(1);
  });

  it("exits 2 with one line for bad input, a missing service or token, and an unreachable service", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["findings", ...server(), "--fail-on", "urgent"],
        /--fail-on "urgent": expected one of critical, high/,
      ],
      [["findings", ...server(), "-o", "sarif"], /--format "sarif": expected one of text, json/],
      [["findings", ...server(), "--bogus"], /findings: unknown option --bogus/],
      [["findings", ...server(), "extra"], /findings: unexpected argument "extra"/],
      [["findings"], /no service given/],
      [["findings", "--server", service.baseUrl], /no token/],
      [["findings", "--server", "ftp://x"], /expected an http:\/\/ or https:\/\/ URL/],
      [["findings", "--server", service.baseUrl, "--token", "cg_wrong"], /refused the token: HTTP 401/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const help = await run(["findings", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: celgate findings");
  });
});
