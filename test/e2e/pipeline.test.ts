// The whole path, as a pipeline and a cluster walk it: start the service (its real entry
// point, in a child process, PGlite in a temporary folder), push a Trivy report's facts,
// check a manifest folder with the CLI in server mode, send the same Deployment as an
// AdmissionReview, and find both decisions in the history.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The root package depends on no workspace package: the SDK and the CLI's loader are imported by path.
import { loadPolicyInputs } from "../../packages/cli/src/inputs/policy-set.js";
import { createClient } from "../../packages/sdk/src/index.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const cliMain = join(root, "packages/cli/src/main.ts");
// By file URL: the CLI runs in a temporary folder, where the bare name `tsx` does not resolve.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const TRIVY_ALPINE = fileURLToPath(
  new URL("../../../shared/corpora/image-scans/trivy/alpine-310.json.golden", import.meta.url),
);
const ADMIN_TOKEN = "e2e-admin-token-0123456789abcdef";
const DIGEST = `sha256:${"e2".repeat(32)}`;
const IMAGE = `ghcr.io/aquasecurity/trivy-test-images:alpine-310@${DIGEST}`;

/** The Deployment under test, as the pipeline has it (YAML) and as the API server sends it. */
const deploymentObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop", labels: { app: "web", owner: "team-shop" } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          {
            name: "web",
            image: IMAGE,
            resources: {
              requests: { cpu: "100m", memory: "128Mi" },
              limits: { cpu: "500m", memory: "256Mi" },
            },
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ["ALL"] },
            },
          },
        ],
      },
    },
  },
};
const deploymentYaml = `# The shop's web frontend
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web, owner: team-shop}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: web
          image: ${IMAGE}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: 500m, memory: 256Mi}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
`;

/** The newest modification time of the files under `dir` (0 when it does not exist). */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    max = Math.max(max, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return max;
}

/**
 * The service's entry point: the build (apps/server/dist/main.js, as `pnpm start` runs it)
 * when it is newer than the sources it comes from, else the sources through tsx.
 */
function serverCommand(): string[] {
  const dist = join(root, "apps/server/dist/main.js");
  const sources = ["apps/server/src", "packages/core/src", "packages/contracts/src"].map((d) =>
    newest(join(root, d)),
  );
  if (
    existsSync(dist) &&
    statSync(dist).mtimeMs >= Math.max(...sources) &&
    process.env.CELGATE_E2E_SOURCE !== "1"
  )
    return [dist];
  return ["--conditions=source", "--import", "tsx", join(root, "apps/server/src/main.ts")];
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=source", "--import", tsx, cliMain, ...args], {
      cwd: work,
      env: { ...process.env, NO_COLOR: "1", CELGATE_SERVER: "", CELGATE_TOKEN: "", ...env },
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
    child.stdin.end();
  });
}

let work: string;
let baseUrl: string;
let service: ChildProcess | undefined;
let serviceLog = "";
let evaluatorToken: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "celgate-e2e-"));
  mkdirSync(join(work, "k8s"));
  writeFileSync(join(work, "k8s/web.yaml"), deploymentYaml);
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  service = spawn(process.execPath, serverCommand(), {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      CELGATE_DATA_DIR: join(work, "data"),
      CELGATE_ADMIN_TOKEN: ADMIN_TOKEN,
      DATABASE_URL: "",
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  service.stdout?.on("data", (d: Buffer) => {
    serviceLog += d.toString("utf8");
  });
  service.stderr?.on("data", (d: Buffer) => {
    serviceLog += d.toString("utf8");
  });
  // Ready when /readyz says so: database migrated, built-in library compiled.
  const anonymous = createClient({ baseUrl, retries: 0, timeoutMs: 2000 });
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (service.exitCode !== null)
      throw new Error(`the service exited (${service.exitCode}):\n${serviceLog}`);
    const ready = await anonymous.ready().catch(() => undefined);
    if (ready?.status === "ready") break;
    if (Date.now() > deadline) throw new Error(`the service was not ready within 90 s:\n${serviceLog}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const admin = createClient({ baseUrl, token: ADMIN_TOKEN });
  evaluatorToken = (await admin.tokens.create({ name: "e2e pipeline", role: "evaluator" })).token;
}, 120_000);

afterAll(async () => {
  if (service && service.exitCode === null) {
    const exited = new Promise((resolve) => service!.once("exit", resolve));
    service.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (service.exitCode === null) service.kill("SIGKILL");
  }
  if (work) rmSync(work, { recursive: true, force: true });
}, 30_000);

describe("from a pull request to an admission decision", () => {
  let cliReport: {
    id: string;
    decision: string;
    results: { policy: string; outcome: string; resource: { name: string; source?: { file: string } } }[];
  };

  it("pushes the image's facts from a Trivy report", async () => {
    const r = await run([
      "images",
      "push",
      "--server",
      baseUrl,
      "--token",
      evaluatorToken,
      "--digest",
      DIGEST,
      TRIVY_ALPINE,
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`pushed ${DIGEST} ghcr.io/aquasecurity/trivy-test-images:alpine-310`);
  });

  it("checks the manifest folder through the service, which uses the pushed facts", async () => {
    const r = await run(
      ["check", "k8s", "-o", "json", "--context", "commit=9fceb02", "--context", "pipeline=e2e-1"],
      { CELGATE_SERVER: baseUrl, CELGATE_TOKEN: evaluatorToken },
    );
    expect(r.code, r.stderr).not.toBe(2);
    cliReport = JSON.parse(r.stdout);
    expect(cliReport.id).toMatch(/^ev_/);
    expect(r.code).toBe(cliReport.decision === "deny" ? 1 : 0);
    const web = cliReport.results.filter((x) => x.resource.name === "web");
    expect(web.length).toBeGreaterThan(0);
    expect(web.every((x) => x.resource.source?.file === "k8s/web.yaml")).toBe(true);
    // Found by digest in the service's store, without --images.
    expect(web.find((x) => x.policy === "image-scan-required")?.outcome).toBe("pass");
  });

  it("answers an AdmissionReview for the same Deployment with the same decision", async () => {
    const uid = "2b6f0e7a-9d7c-4a51-8d5e-6f1c0f4c1e01";
    const response = await fetch(`${baseUrl}/v1/admission`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${evaluatorToken}` },
      body: JSON.stringify({
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        request: {
          uid,
          kind: { group: "apps", version: "v1", kind: "Deployment" },
          resource: { group: "apps", version: "v1", resource: "deployments" },
          name: "web",
          namespace: "shop",
          operation: "CREATE",
          userInfo: { username: "system:serviceaccount:ci:deployer" },
          object: deploymentObject,
          oldObject: null,
          dryRun: false,
        },
      }),
    });
    expect(response.status).toBe(200);
    const review = (await response.json()) as {
      response: { uid: string; allowed: boolean; auditAnnotations?: Record<string, string> };
    };
    expect(review.response.uid).toBe(uid);
    expect(review.response.allowed).toBe(cliReport.decision !== "deny");
    expect(review.response.auditAnnotations?.["celgate.dev/evaluation"]).toMatch(/^ev_/);
  });

  it("keeps both decisions in the history, with sources cli and admission", async () => {
    const viewer = createClient({ baseUrl, token: ADMIN_TOKEN });
    const history = await viewer.evaluations.list({ kind: "Deployment", name: "web", namespace: "shop" });
    const bySource = new Map(history.items.map((i) => [i.source, i]));
    expect([...bySource.keys()].sort()).toEqual(["admission", "cli"]);
    expect(bySource.get("cli")).toMatchObject({
      id: cliReport.id,
      decision: cliReport.decision,
      actor: "e2e pipeline",
      context: { commit: "9fceb02", pipeline: "e2e-1" },
    });
    expect(bySource.get("admission")).toMatchObject({
      decision: cliReport.decision,
      context: { operation: "CREATE", namespace: "shop", user: "system:serviceaccount:ci:deployer" },
    });
    // Both reports judged the same (resource, policy) pairs the same way, except that admission
    // leaves out the policies that read `bundle` (a single object has no bundle).
    const admission = await viewer.evaluations.get(bySource.get("admission")!.id);
    const readsBundle = new Set(
      loadPolicyInputs([join(root, "policies")])
        .set.policies.filter((p) => p.reads.has("bundle"))
        .map((p) => p.name),
    );
    const outcomes = (r: { results: { policy: string; outcome: string }[] }) =>
      r.results
        .filter((x) => !readsBundle.has(x.policy))
        .map((x) => `${x.policy}=${x.outcome}`)
        .sort();
    expect(readsBundle.size).toBeGreaterThan(0);
    expect(outcomes(admission)).toEqual(outcomes(cliReport));
    expect(admission.results.some((x) => readsBundle.has(x.policy))).toBe(false);
    expect(
      (await viewer.evaluations.list({ source: "cli", context: { pipeline: "e2e-1" } })).items,
    ).toHaveLength(1);
  });
});
