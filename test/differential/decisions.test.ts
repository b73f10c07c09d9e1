// One decision everywhere. Over the repository's fixture manifests (and the corpora of
// CELGATE_CORPORA, when present) every (resource, policy) pair
// must get the same outcome from
//   - a local `celgate check` (the CLI's check command, in process, -o json),
//   - `celgate check --server` against a real service (HTTP, worker threads on),
//   - the SDK's evaluate(),
//   - POST /v1/admission, one object at a time (compared with the local outcome of the policies
//     that do not read `bundle`: admission leaves those out),
// whatever the order of requests (admission first, or evaluations first), and after a policy is
// created, changed or deleted and after a replay.
import { mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check } from "../../packages/cli/src/commands/check.js";
import { loadPolicyInputs } from "../../packages/cli/src/inputs/policy-set.js";
import { parseManifests, type Resource } from "../../packages/core/src/index.js";
import { type CelgateClient, createClient } from "../../packages/sdk/src/index.js";
import { startTestService, type TestService } from "../../packages/sdk/src/testing/service.js";
import { corpus, needsCorpora } from "../support/corpora.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const LIBRARY = join(root, "policies");

/** A bundle: files evaluated together, as `celgate check FILE...` takes them. */
interface Bundle {
  name: string;
  files: string[];
}

const yamlIn = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));

const FIXTURES: Bundle[] = [
  { name: "deploy/", files: yamlIn(join(root, "deploy")) },
  { name: "cli fixtures", files: yamlIn(join(root, "packages/cli/test/fixtures/manifests")) },
  ...readdirSync(LIBRARY, { recursive: true, encoding: "utf8" })
    .filter((p) => /(^|\/)fixtures\/[^/]+\.ya?ml$/.test(p))
    .sort()
    .map((p) => ({ name: `policies/${p}`, files: [join(LIBRARY, p)] })),
];

// the corpora's real manifests, when present (CELGATE_CORPORA; skipped and named otherwise);
// the real path, since a symlinked folder may be replaced while the test runs
const manifestsDir = needsCorpora("differential-manifests") ? realpathSync(corpus("manifests")) : undefined;
const CORPORA: Bundle[] = manifestsDir
  ? yamlIn(manifestsDir).map((f) => ({ name: relative(manifestsDir, f), files: [f] }))
  : [];

/** The file name as the CLI shows it (relative to the working directory when inside it). */
function displayName(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith("..") ? rel.split("\\").join("/") : file;
}

type Outcomes = Map<string, string>;

interface ReportLike {
  policySet: { digest: string; policies: number };
  results: {
    resource: {
      kind: string;
      namespace?: string;
      name: string;
      source?: { file: string; document: number };
    };
    policy: string;
    outcome: string;
  }[];
}

const resourceKey = (
  file: string,
  document: number,
  kind: string,
  namespace: string | undefined,
  name: string,
) => `${file}#${document} ${kind} ${namespace ?? ""}/${name}`;

function outcomesOf(report: ReportLike): Outcomes {
  const out: Outcomes = new Map();
  for (const r of report.results) {
    const s = r.resource.source;
    out.set(
      `${resourceKey(s?.file ?? "?", s?.document ?? -1, r.resource.kind, r.resource.namespace, r.resource.name)} | ${r.policy}`,
      r.outcome,
    );
  }
  return out;
}

/** Every pair where two maps disagree (a missing pair counts as `skip`), at most 20. */
function differences(a: Outcomes, b: Outcomes): string[] {
  const out: string[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key) ?? "skip";
    const y = b.get(key) ?? "skip";
    if (x !== y) out.push(`${key}: ${x} != ${y}`);
    if (out.length >= 20) break;
  }
  return out;
}

/** Runs the CLI's `check` in process and returns its exit code and output. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await check(args), stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

describe("one decision everywhere: CLI, CLI --server, SDK and admission agree (worker threads)", () => {
  let service: TestService;
  let client: CelgateClient;
  let work: string;
  /** Policy files of the local set, in addition to the library. */
  let extra: string[] = [];

  /**
   * This process blocks its event loop for seconds while it runs local checks, so the HTTP
   * client can pick a keep-alive connection that the service closed meanwhile: the request is
   * then reset before the service read it. Sent again once, on a new connection.
   */
  const freshAfterReset: typeof fetch = async (input, init) => {
    try {
      return await fetch(input, init);
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code;
      if (code !== "ECONNRESET" && code !== "EPIPE") throw error;
      return fetch(input, init);
    }
  };

  beforeAll(async () => {
    service = await startTestService({
      policyDir: LIBRARY,
      bodyLimit: "32mib",
      // decisions are compared here, not volume limits: hundreds of admission reviews in a burst
      env: {
        CELGATE_EVALUATOR_THREADS: "2",
        CELGATE_EVALUATION_TIMEOUT_MS: "120000",
        CELGATE_RATE_LIMIT: "off",
      },
    });
    client = createClient({
      baseUrl: service.baseUrl,
      token: service.adminToken,
      timeoutMs: 120_000,
      fetch: freshAfterReset,
    });
    work = mkdtempSync(join(tmpdir(), "celgate-differential-"));
  }, 120_000);
  afterAll(async () => {
    await service?.close();
  });

  const policyArgs = () => ["-p", LIBRARY, ...extra.flatMap((f) => ["-p", f])];

  async function local(bundle: Bundle): Promise<ReportLike> {
    const r = await cli([
      "-o",
      "json",
      "--include-skipped",
      ...policyArgs(),
      ...bundle.files.map(displayName),
    ]);
    expect(r.code, r.stderr).toBeLessThan(2);
    return JSON.parse(r.stdout) as ReportLike;
  }

  async function viaServer(bundle: Bundle): Promise<ReportLike> {
    const r = await cli([
      "-o",
      "json",
      "--include-skipped",
      "--server",
      service.baseUrl,
      "--token",
      service.adminToken,
      ...bundle.files.map(displayName),
    ]);
    expect(r.code, r.stderr).toBeLessThan(2);
    return JSON.parse(r.stdout) as ReportLike;
  }

  async function viaSdk(bundle: Bundle): Promise<ReportLike> {
    return (await client.evaluate({
      manifests: bundle.files.map((f) => ({ file: displayName(f), text: readFileSync(f, "utf8") })),
      includeSkipped: true,
    })) as ReportLike;
  }

  /** Each object of the bundle as an AdmissionReview; outcomes keyed as the local report keys them. */
  async function viaAdmission(bundle: Bundle): Promise<Outcomes> {
    const resources: Resource[] = bundle.files.flatMap(
      (f) => parseManifests(readFileSync(f, "utf8"), displayName(f)).resources,
    );
    const out: Outcomes = new Map();
    let uid = 0;
    for (const r of resources) {
      const object = r.object as Record<string, unknown> & {
        metadata?: { namespace?: string; name?: string };
      };
      const [group, version] = r.ref.apiVersion.includes("/")
        ? (r.ref.apiVersion.split("/") as [string, string])
        : ["", r.ref.apiVersion];
      const res = await fetch(`${service.baseUrl}/v1/admission`, {
        method: "POST",
        headers: { authorization: `Bearer ${service.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({
          apiVersion: "admission.k8s.io/v1",
          kind: "AdmissionReview",
          request: {
            uid: `differential-${uid++}`,
            kind: { group, version, kind: r.ref.kind },
            resource: { group, version, resource: `${r.ref.kind.toLowerCase()}s` },
            ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}),
            ...(object.metadata?.name ? { name: object.metadata.name } : {}),
            operation: "CREATE",
            userInfo: { username: "differential" },
            object,
            oldObject: null,
            dryRun: false,
          },
        }),
      });
      expect(res.status).toBe(200);
      const review = (await res.json()) as { response: { auditAnnotations?: Record<string, string> } };
      const id = review.response.auditAnnotations?.["celgate.dev/evaluation"];
      expect(id).toBeDefined();
      const report = (await client.evaluations.get(id as string)) as ReportLike;
      for (const result of report.results) {
        const s = r.ref.source!;
        out.set(
          `${resourceKey(s.file, s.document, result.resource.kind, result.resource.namespace, result.resource.name)} | ${result.policy}`,
          result.outcome,
        );
      }
    }
    return out;
  }

  /** Names of the local set's policies that read `bundle` (admission leaves them out). */
  function bundlePolicies(): Set<string> {
    const { set } = loadPolicyInputs([LIBRARY, ...extra]);
    return new Set(set.policies.filter((p) => p.reads.has("bundle")).map((p) => p.name));
  }

  /** Compares every path on every bundle, in the order given. */
  async function compare(bundles: readonly Bundle[], order: "admission-first" | "evaluations-first") {
    const skipBundle = bundlePolicies();
    const admitted = new Map<string, Outcomes>();
    const evaluated = new Map<string, { server: ReportLike; sdk: ReportLike }>();
    const admit = async () => {
      for (const b of bundles) admitted.set(b.name, await viaAdmission(b));
    };
    const evaluate = async () => {
      for (const b of bundles) evaluated.set(b.name, { server: await viaServer(b), sdk: await viaSdk(b) });
    };
    if (order === "admission-first") {
      await admit();
      await evaluate();
    } else {
      await evaluate();
      await admit();
    }
    for (const b of bundles) {
      const expected = await local(b);
      const want = outcomesOf(expected);
      const { server, sdk } = evaluated.get(b.name)!;
      expect(outcomesOf(server).size, `${b.name}: pairs`).toBe(want.size);
      expect(differences(want, outcomesOf(server)), `${b.name}: local vs check --server`).toEqual([]);
      expect(differences(want, outcomesOf(sdk)), `${b.name}: local vs SDK`).toEqual([]);
      expect(server.policySet, `${b.name}: policy set`).toEqual(expected.policySet);
      const withoutBundle = new Map(
        [...want].filter(([k]) => !skipBundle.has(k.slice(k.lastIndexOf(" | ") + 3))),
      );
      expect(differences(withoutBundle, admitted.get(b.name)!), `${b.name}: local vs admission`).toEqual([]);
    }
  }

  const ALL = [...FIXTURES, ...CORPORA];
  const EXTRA = (expression: string) => `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: differential-extra
  labels: {practice: availability}
spec:
  severity: low
  action: warn
  match: {kinds: [Deployment, StatefulSet, DaemonSet]}
  validations:
    - expression: ${JSON.stringify(expression)}
      message: replicas
`;

  it("finds manifests to compare", () => {
    expect(FIXTURES.length).toBeGreaterThanOrEqual(4);
    expect(FIXTURES.every((b) => b.files.length > 0)).toBe(true);
  });

  it("agrees with admission first, right after the start", { timeout: 600_000 }, async () => {
    await compare(ALL, "admission-first");
  });

  it("agrees with evaluations first, after a policy is created", { timeout: 600_000 }, async () => {
    const yaml = EXTRA("object.spec.?replicas.orValue(1) >= 2");
    expect((await client.policies.create(yaml)).name).toBe("differential-extra");
    extra = [join(work, "extra.yaml")];
    writeFileSync(extra[0]!, yaml);
    await compare(ALL, "evaluations-first");
  });

  it("agrees after the policy is changed (admission first)", { timeout: 600_000 }, async () => {
    const yaml = EXTRA("object.spec.?replicas.orValue(1) >= 3");
    const { etag } = await client.policies.get("differential-extra");
    await client.policies.update("differential-extra", yaml, { ifMatch: etag });
    writeFileSync(extra[0]!, yaml);
    await compare(FIXTURES, "admission-first");
  });

  it("agrees after a replay, which leaves the live set alone (both orders)", {
    timeout: 600_000,
  }, async () => {
    const recent = (await client.evaluations.list({ limit: 50 })).items.map((i) => i.id);
    const replay = await client.replays.run({
      policies: EXTRA("false").replace("differential-extra", "replay-only"),
      remove: ["differential-extra"],
      evaluations: recent,
    });
    expect(replay.changes.length).toBeGreaterThan(0);
    expect(new Set(replay.changes.map((c) => c.policy))).toEqual(
      new Set(["replay-only", "differential-extra"]),
    );
    await compare(FIXTURES, "evaluations-first");
    await compare(FIXTURES, "admission-first");
  });

  it("agrees after the policy is deleted (admission first)", { timeout: 600_000 }, async () => {
    const { etag } = await client.policies.get("differential-extra");
    await client.policies.remove("differential-extra", { ifMatch: etag });
    extra = [];
    await compare(FIXTURES, "admission-first");
  });
});
