// celgate's own deployment manifests (deploy/) pass celgate's own library: the Pod Security
// Standards at the restricted level, and the whole library with the shipped image facts.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const main = fileURLToPath(new URL("../../packages/cli/src/main.ts", import.meta.url));
const FACTS = JSON.parse(readFileSync(new URL("../../deploy/image-facts.json", import.meta.url), "utf8"));
// An hour after the shipped scan: image-scan-fresh judges the scan's age at this clock.
const NOW = new Date(Date.parse(FACTS.scan.scannedAt) + 3_600_000).toISOString();

interface Report {
  decision: string;
  summary: Record<string, number>;
  results: { policy: string; outcome: string; resource: { kind: string; name: string } }[];
}

function check(args: string[]): { code: number | null; report: Report; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ["--conditions=source", "--import", "tsx", main, "check", "-o", "json", ...args],
    {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", CELGATE_SERVER: "", CELGATE_TOKEN: "" },
      timeout: 60_000,
    },
  );
  if (r.status === 2 || !r.stdout) throw new Error(`celgate check failed (${r.status}): ${r.stderr}`);
  return { code: r.status, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

const failures = (report: Report) =>
  report.results
    .filter((r) => r.outcome === "fail" || r.outcome === "error")
    .map((r) => `${r.policy} on ${r.resource.kind}/${r.resource.name}`);

describe("deploy/ against celgate's own library", () => {
  it("passes the Pod Security Standards at the restricted level", () => {
    const { code, report } = check(["deploy/", "--select", "pss in (baseline,restricted)"]);
    expect(failures(report)).toEqual([]);
    expect(report.decision).toBe("allow");
    expect(code).toBe(0);
    // The Deployment really was judged by the restricted controls.
    const judged = new Set(
      report.results.filter((r) => r.resource.kind === "Deployment").map((r) => r.policy),
    );
    for (const policy of [
      "run-as-non-root",
      "no-privilege-escalation",
      "drop-all-capabilities",
      "seccomp-profile",
      "restricted-volumes",
    ])
      expect(judged, policy).toContain(policy);
  });

  it("passes the whole library with the image's facts (only the log-collector finding waived)", () => {
    const { code, report } = check([
      "deploy/",
      "-i",
      "deploy/image-facts.json",
      "-e",
      "test/e2e/fixtures/deploy-exceptions.yaml",
      "--now",
      NOW,
    ]);
    expect(failures(report)).toEqual([]);
    expect(report.decision).toBe("allow");
    expect(code).toBe(0);
    expect(report.summary.error).toBe(0);
    const waived = report.results.filter((r) => r.outcome === "waived").map((r) => r.policy);
    expect(waived.every((p) => p === "cluster-log-collector")).toBe(true);
    const kinds = new Set(report.results.map((r) => r.resource.kind));
    for (const kind of [
      "Namespace",
      "Deployment",
      "Service",
      "NetworkPolicy",
      "ResourceQuota",
      "LimitRange",
      "PodDisruptionBudget",
      "ConfigMap",
      "ServiceAccount",
    ])
      expect(kinds, kind).toContain(kind);
  });

  it("is denied without image facts: the image policies need them", () => {
    const { code, report } = check(["deploy/", "--now", NOW]);
    expect(report.decision).toBe("deny");
    expect(code).toBe(1);
    expect(failures(report)).toContain("image-scan-required on Deployment/celgate");
  });

  it("ships facts for exactly the image the Deployment runs, pinned by digest", () => {
    const deployment = readFileSync(new URL("../../deploy/deployment.yaml", import.meta.url), "utf8");
    const image = /^\s+image: (\S+)$/m.exec(deployment)?.[1];
    expect(image).toBe(FACTS.ref);
    expect(image).toMatch(/@sha256:[0-9a-f]{64}$/);
  });
});
