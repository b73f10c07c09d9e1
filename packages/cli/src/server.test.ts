// `celgate check --server` and `celgate images push` against the real service, started
// in-process over PGlite. The CLI runs as a child process, as users run it.
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createClient } from "@celgate/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corpus, needsCorpora } from "../../../test/support/corpora.js";
import { fixture } from "../../../test/support/fixtures.js";
import { startTestService, type TestService } from "../../sdk/src/testing/service.js";

const fixtures = fileURLToPath(new URL("../test/fixtures", import.meta.url));
const main = fileURLToPath(new URL("./main.ts", import.meta.url));
// By file URL: the CLI runs in a temporary folder, where the bare name `tsx` does not resolve.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const TRIVY_WEB = fixture("image-scans", "trivy-web.json");
const TRIVY_API = fixture("image-scans", "trivy-api.json");
const GRYPE_WORKER = fixture("image-scans", "grype-worker.json");
const DIGEST = `sha256:${"c3".repeat(32)}`;

const IMAGES_POLICY = `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: images-scanned
  labels: { practice: image-vulnerabilities }
spec:
  title: Every image has scan facts
  severity: high
  remediation: Scan the image and push its facts with celgate images push.
  match: { kinds: [Deployment] }
  validations:
    - expression: images.all(i, i.scan != null)
      message: an image has no scan facts
`;

const ALPINE_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: { name: alpine, namespace: shop }
spec:
  replicas: 2
  template:
    spec:
      containers: [{ name: app, image: "ghcr.io/example/shop-web:1.4.2" }]
`;

let service: TestService;
let work: string;
const tokens = { evaluator: "", viewer: "" };

/** Runs the CLI from source without blocking this process (the service runs in it). */
function celgate(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=source", "--import", tsx, main, ...args], {
      cwd: work,
      env: { ...process.env, NO_COLOR: "1", CELGATE_SERVER: "", CELGATE_TOKEN: "", ...options.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

const server = () => ["--server", service.baseUrl, "--token", tokens.evaluator];

/** A local URL where nothing listens. */
async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return `http://127.0.0.1:${port}`;
}

const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g;

/** What may differ between a local and a server report: ids, clocks, versions, digests. */
function comparable(json: string) {
  const report = JSON.parse(json);
  delete report.id;
  delete report.evaluatedAt;
  delete report.policySet.digest;
  for (const r of report.results) delete r.policyVersion;
  return report;
}

beforeAll(async () => {
  // One folder holds the policies (the service's repository, and -p for the local runs to
  // compare with), the manifests of the CLI's fixtures and a Deployment (named alpine) of the shop-web image.
  work = mkdtempSync(join(tmpdir(), "celgate-cli-server-"));
  cpSync(join(fixtures, "manifests"), join(work, "manifests"), { recursive: true });
  mkdirSync(join(work, "policies"));
  const basic = readFileSync(join(fixtures, "policies/basic.yaml"), "utf8").split(
    /^---\napiVersion: celgate.dev\/v1\nkind: PolicyTest/m,
  )[0]!;
  writeFileSync(join(work, "policies/basic.yaml"), basic);
  writeFileSync(join(work, "policies/images.yaml"), IMAGES_POLICY);
  mkdirSync(join(work, "alpine"));
  writeFileSync(join(work, "alpine/deploy.yaml"), ALPINE_DEPLOYMENT);
  service = await startTestService({ policyDir: join(work, "policies") });
  const admin = createClient({ baseUrl: service.baseUrl, token: service.adminToken });
  tokens.evaluator = (await admin.tokens.create({ name: "ci pipeline", role: "evaluator" })).token;
  tokens.viewer = (await admin.tokens.create({ name: "dashboard", role: "viewer" })).token;
});

afterAll(async () => {
  await service?.close();
});

describe("celgate check --server", () => {
  it("prints the same report as a local check in every format, with the same exit code", {
    timeout: 120_000,
  }, async () => {
    for (const format of ["json", "text", "sarif", "junit", "policyreport"]) {
      const local = await celgate(["check", "-p", "policies", "-o", format, "manifests"]);
      const remote = await celgate(["check", ...server(), "-o", format, "manifests"]);
      expect(remote.stderr, format).toBe("");
      expect(remote.code, format).toBe(local.code);
      expect(remote.code).toBe(1);
      if (format === "json") expect(comparable(remote.stdout)).toEqual(comparable(local.stdout));
      else if (format === "sarif") {
        const strip = (s: string) => JSON.parse(s).runs[0].results;
        expect(strip(remote.stdout)).toEqual(strip(local.stdout));
      } else {
        const strip = (s: string) =>
          s
            .replace(/sha256:[0-9a-f]+/g, "")
            .replace(ISO_TIME, "")
            .replace(/(seconds|nanos): \d+/g, "$1");
        expect(strip(remote.stdout), format).toBe(strip(local.stdout));
      }
    }
  });

  it("keeps each resource's own file and line, for YAML and JSON files and stdin", async () => {
    writeFileSync(
      join(work, "manifests/list.json"),
      JSON.stringify([
        {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "j1", namespace: "shop" },
          spec: { containers: [{ name: "a", image: "x", securityContext: { privileged: true } }] },
        },
        {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "j2", namespace: "shop" },
          spec: { containers: [{ name: "b", image: "x" }] },
        },
      ]),
    );
    try {
      const local = await celgate(["check", "-p", "policies", "-o", "json", "manifests", "-"], {
        input: ALPINE_DEPLOYMENT,
      });
      const remote = await celgate(["check", ...server(), "-o", "json", "manifests", "-"], {
        input: ALPINE_DEPLOYMENT,
      });
      expect(remote.code).toBe(local.code);
      const sources = (s: string) =>
        comparable(s).results.map((r: { resource: { name: string; source: unknown } }) => [
          r.resource.name,
          r.resource.source,
        ]);
      expect(sources(remote.stdout)).toEqual(sources(local.stdout));
      expect(sources(remote.stdout)).toContainEqual([
        "j2",
        { file: "manifests/list.json", line: 1, document: 1 },
      ]);
      expect(sources(remote.stdout)).toContainEqual([
        "debug",
        { file: "manifests/privileged.yaml", line: 1, document: 0 },
      ]);
      expect(sources(remote.stdout)).toContainEqual(["alpine", { file: "<stdin>", line: 1, document: 0 }]);
    } finally {
      writeFileSync(join(work, "manifests/list.json"), "[]");
    }
  });

  it("names the documents it skipped in the report as the service does, and the service keeps them", {
    timeout: 60_000,
  }, async () => {
    // a bundle with documents that are no Kubernetes objects beside a resource, a JSON list
    // with one, and stdin: the same notices locally, through the service, and in its history
    mkdirSync(join(work, "skipped"), { recursive: true });
    writeFileSync(
      join(work, "skipped/bundle.yaml"),
      `# settings\nreplicas: 3\n---\n${ALPINE_DEPLOYMENT}---\nhello\n---\n${IMAGES_POLICY}`,
    );
    writeFileSync(join(work, "skipped/list.json"), JSON.stringify([{ metadata: { name: "x" } }]));
    const args = ["-o", "json", "skipped", "-"];
    const input = "just: a note\n";
    const local = await celgate(["check", "-p", "policies", ...args], { input });
    const remote = await celgate(["check", ...server(), ...args], { input });
    expect(remote.code).toBe(local.code);
    const notices = JSON.parse(local.stdout).notices;
    expect(notices.map((n: { kind: string; source: unknown }) => [n.kind, n.source])).toEqual([
      ["skipped-document", { file: "skipped/bundle.yaml", document: 0, line: 1 }],
      ["skipped-document", { file: "skipped/bundle.yaml", document: 2, line: 13 }],
      ["skipped-document", { file: "skipped/bundle.yaml", document: 3, line: 15 }],
      ["skipped-document", { file: "skipped/list.json", document: 0, line: 1 }],
      ["skipped-document", { file: "<stdin>", document: 0, line: 1 }],
    ]);
    expect(notices[1].message).toBe(
      "skipped/bundle.yaml:13: document is not a Kubernetes object (a mapping with apiVersion and kind); skipped",
    );
    expect(JSON.parse(remote.stdout).notices).toEqual(notices);
    const recorded = await createClient({ baseUrl: service.baseUrl, token: tokens.viewer }).evaluations.get(
      JSON.parse(remote.stdout).id,
    );
    expect(recorded.notices).toEqual(notices);
    // the warnings on stderr stay, the same in both
    const warnings = (s: string) => s.split("\n").filter((line) => line.startsWith("warning: "));
    expect(warnings(local.stderr)).toHaveLength(5);
    expect(warnings(remote.stderr)).toEqual(warnings(local.stderr));
    expect(warnings(local.stderr)[1]).toBe(`warning: ${notices[1].message}`);
  });

  it("exits 2, as locally, when --select matches no policy of the service", { timeout: 60_000 }, async () => {
    const args = ["--select", "practice=nothing", "manifests"];
    const local = await celgate(["check", "-p", "policies", ...args]);
    const remote = await celgate(["check", ...server(), ...args]);
    expect(local.code).toBe(2);
    expect(remote.code).toBe(2);
    expect(remote.stdout).toBe("");
    expect(remote.stderr).toContain(`no policy's labels match the selector "practice=nothing"`);
    expect(remote.stderr).toContain("HTTP 400");
  });

  it("passes --select, --param, --include-skipped and --fail-on through", { timeout: 60_000 }, async () => {
    const args = [
      "-o",
      "json",
      "--select",
      "practice=availability",
      "--param",
      "min-replicas.min=5",
      "--include-skipped",
      "manifests",
    ];
    const local = await celgate(["check", "-p", "policies", ...args]);
    const remote = await celgate(["check", ...server(), ...args]);
    expect(remote.code).toBe(0);
    expect(comparable(remote.stdout)).toEqual(comparable(local.stdout));
    expect(JSON.parse(remote.stdout)).toMatchObject({ decision: "warn", policySet: { policies: 1 } });
    expect(
      (
        await celgate([
          "check",
          ...server(),
          "--fail-on",
          "warn",
          "--select",
          "practice=availability",
          "manifests",
        ])
      ).code,
    ).toBe(1);
    expect((await celgate(["check", ...server(), "--fail-on", "never", "manifests"])).code).toBe(0);
    const fixed = await celgate([
      "check",
      ...server(),
      "-o",
      "json",
      "--now",
      "2026-06-01T00:00:00Z",
      "manifests",
    ]);
    expect(JSON.parse(fixed.stdout).evaluatedAt).toBe("2026-06-01T00:00:00.000Z");
  });

  it("records the evaluation with source cli and the given context, from flags or environment", async () => {
    const r = await celgate(
      [
        "check",
        "-o",
        "json",
        "--context",
        "commit=4b825dc",
        "--context",
        "pipeline=1234",
        "manifests/good.yaml",
      ],
      {
        env: { CELGATE_SERVER: service.baseUrl, CELGATE_TOKEN: tokens.evaluator },
      },
    );
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout);
    expect(report.id).toMatch(/^ev_/);
    const history = await createClient({ baseUrl: service.baseUrl, token: tokens.viewer }).evaluations.list({
      context: { commit: "4b825dc" },
    });
    expect(history.items).toHaveLength(1);
    expect(history.items[0]).toMatchObject({
      id: report.id,
      source: "cli",
      actor: "ci pipeline",
      context: { commit: "4b825dc", pipeline: "1234" },
    });
  });

  it("sends --images files; without them the service's stored facts are used", async () => {
    const scanned = await celgate([
      "check",
      ...server(),
      "-i",
      TRIVY_WEB,
      "--select",
      "practice=image-vulnerabilities",
      "alpine",
    ]);
    expect(scanned.code).toBe(0);
    const bare = await celgate([
      "check",
      ...server(),
      "--select",
      "practice=image-vulnerabilities",
      "alpine",
    ]);
    expect(bare.code).toBe(1);
    expect(bare.stdout).toContain("an image has no scan facts");
    expect(bare.stdout).toContain("Scan the image and push its facts");
  });

  it("exits 2 with one line naming the URL when the service cannot be reached", async () => {
    const url = await deadUrl();
    const r = await celgate(["check", "--server", url, "--token", "x", "manifests"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr.trim()).toBe(
      `celgate: cannot reach the celgate service at ${url}: connection refused (ECONNREFUSED) (3 attempts)`,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("gives up on a service that accepts the connection and never answers, within CELGATE_TIMEOUT", async () => {
    // a real listener that takes the connection and never writes (it used to cost 3 x 60 s)
    const sockets = new Set<import("node:net").Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const started = Date.now();
      const r = await celgate(["check", "--server", url, "--token", "x", "manifests"], {
        env: { CELGATE_TIMEOUT: "1" },
      });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim()).toMatch(
        new RegExp(
          `^celgate: cannot reach the celgate service at ${url.replaceAll(".", "\\.")}: the service did not answer within 1(\\.\\d)? s \\(CELGATE_TIMEOUT sets the limit\\)$`,
        ),
      );
      const bad = await celgate(["check", "--server", url, "--token", "x", "manifests"], {
        env: { CELGATE_TIMEOUT: "0x10" },
      });
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim()).toBe(
        'celgate: CELGATE_TIMEOUT="0x10": expected whole seconds from 1 to 3600',
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("exits 2 naming the URL and the HTTP status for a refused token or role", async () => {
    const bad = await celgate(["check", "--server", service.baseUrl, "--token", "wrong-token", "manifests"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(
      new RegExp(
        `^celgate: the celgate service at ${service.baseUrl.replace(/[.]/g, "\\.")} refused the token: HTTP 401 Unauthorized: .+ \\(request id \\S+\\)$`,
      ),
    );
    const viewer = await celgate([
      "check",
      "--server",
      service.baseUrl,
      "--token",
      tokens.viewer,
      "manifests",
    ]);
    expect(viewer.code).toBe(2);
    expect(viewer.stderr).toContain("refused the request: HTTP 403 Forbidden: role viewer may not do this");
  });

  it("exits 2 for a missing token, a bad URL, and input errors found before sending", async () => {
    const none = await celgate(["check", "--server", service.baseUrl, "manifests"]);
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe(
      `celgate: --server ${service.baseUrl}: no token; pass --token or set CELGATE_TOKEN`,
    );
    const url = await celgate(["check", "--server", "ftp://x", "--token", "t", "manifests"]);
    expect(url.code).toBe(2);
    expect(url.stderr).toContain("expected an http:// or https:// URL");
    writeFileSync(join(work, "broken.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: x\n");
    const broken = await celgate(["check", ...server(), "broken.yaml"]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/celgate: broken\.yaml:\d+:\d+: /);
    const local = await celgate(["check", ...server(), "-p", "policies", "manifests"]);
    expect(local.code).toBe(2);
    expect(local.stderr).toContain("--policies and --exceptions cannot be used with --server");
  });
});

describe("celgate images push", () => {
  it("prints help, and exits 2 without a subcommand or files", async () => {
    const help = await celgate(["images", "push", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: celgate images push [options] FILE...");
    expect((await celgate(["images"])).code).toBe(2);
    const nofiles = await celgate(["images", "push", ...server()]);
    expect(nofiles.code).toBe(2);
    expect(nofiles.stderr).toContain("no files given");
  });

  it("stores facts without a digest under their name and tag, and refuses a malformed --digest", async () => {
    const r = await celgate(["images", "push", ...server(), TRIVY_API]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // each image once, with its vulnerability count
    expect(r.stdout).toBe(
      `pushed ghcr.io/example/shop-api:2.0.1 (2 vulnerabilities: 1 critical, 1 low) from ${TRIVY_API}\n1 image pushed to ${service.baseUrl}\n`,
    );
    expect(r.stdout.trim().split("\n").at(-1)).toBe(`1 image pushed to ${service.baseUrl}`);
    const bad = await celgate(["images", "push", ...server(), "--digest", "sha256:nothex", TRIVY_WEB]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--digest");
  });

  it("pushes a Trivy report (with --digest) and a Grype report; later checks use them without --images", {
    timeout: 60_000,
  }, async () => {
    const before = await celgate([
      "check",
      ...server(),
      "--select",
      "practice=image-vulnerabilities",
      "alpine",
    ]);
    expect(before.code).toBe(1);
    const r = await celgate(["images", "push", ...server(), "--digest", DIGEST, TRIVY_WEB]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `pushed ghcr.io/example/shop-web:1.4.2@${DIGEST} (4 vulnerabilities: 4 medium) from ${TRIVY_WEB}\n`,
    );
    expect(r.stdout.trim().split("\n").at(-1)).toBe(`1 image pushed to ${service.baseUrl}`);
    const g = await celgate(["images", "push", GRYPE_WORKER], {
      env: { CELGATE_SERVER: service.baseUrl, CELGATE_TOKEN: tokens.evaluator },
    });
    expect(g.code).toBe(0);
    expect(g.stdout).toContain(
      `pushed registry.example.com/shop/worker:3.2.0@sha256:${"3c".repeat(32)} (2 vulnerabilities: 1 high, 1 medium) from`,
    );
    const viewer = createClient({ baseUrl: service.baseUrl, token: tokens.viewer });
    expect((await viewer.images.get(DIGEST)).facts).toMatchObject({ tag: "1.4.2", digest: DIGEST });
    const after = await celgate([
      "check",
      ...server(),
      "--select",
      "practice=image-vulnerabilities",
      "alpine",
    ]);
    expect(after.code).toBe(0);
  });

  it.skipIf(!needsCorpora("cli-images-push"))("pushes real Trivy and Grype reports (corpora)", async () => {
    const reports = [
      corpus("image-scans/trivy/alpine-310.json.golden"),
      corpus("image-scans/trivy/debian-buster.json.golden"),
      corpus("image-scans/grype/keycloak-test.json"),
    ];
    const r = await celgate(["images", "push", ...server(), ...reports]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "pushed ghcr.io/aquasecurity/trivy-test-images:alpine-310 (4 vulnerabilities: 4 medium) from",
    );
    expect(r.stdout).toContain(
      "pushed docker.io/keycloak/keycloak:21.0.2@sha256:347a0d748d05a050dc64b92de2246d2240db6eb38afbc17c3c08d0acb0db1b50 (6 vulnerabilities: 6 low) from",
    );
    expect(r.stdout.trim().split("\n").at(-1)).toBe(`3 images pushed to ${service.baseUrl}`);
  });

  it("exits 2 naming the URL and status when the service refuses or cannot be reached", async () => {
    const viewer = await celgate([
      "images",
      "push",
      "--server",
      service.baseUrl,
      "--token",
      tokens.viewer,
      GRYPE_WORKER,
    ]);
    expect(viewer.code).toBe(2);
    expect(viewer.stderr).toContain(
      `the celgate service at ${service.baseUrl} refused the request: HTTP 403 Forbidden`,
    );
    const url = await deadUrl();
    const down = await celgate(["images", "push", "--server", url, "--token", "t", GRYPE_WORKER]);
    expect(down.code).toBe(2);
    expect(down.stderr).toContain(`cannot reach the celgate service at ${url}: connection refused`);
    const noServer = await celgate(["images", "push", GRYPE_WORKER]);
    expect(noServer.code).toBe(2);
    expect(noServer.stderr).toContain("pass --server URL or set CELGATE_SERVER");
  });
});

describe("celgate policies --server", () => {
  it("lists the service's policy set, shows one, and refuses what it cannot do", async () => {
    const local = await celgate(["policies", "-p", "policies", "-o", "json"]);
    const remote = await celgate(["policies", ...server(), "-o", "json"]);
    expect(remote.stderr).toBe("");
    expect(remote.code).toBe(0);
    const names = (s: string) => (JSON.parse(s) as { name: string }[]).map((p) => p.name);
    expect(names(remote.stdout)).toEqual(names(local.stdout));
    expect(JSON.parse(remote.stdout)[0].source).toMatch(/^repository v\d+$/);
    const first = names(remote.stdout)[0]!;
    const shown = await celgate(["policies", "show", first, ...server()]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("validations:");
    const both = await celgate(["policies", ...server(), "-p", "policies"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--policies cannot be used with --server");
  });
});
