// The policy repository is walked by the service as `celgate` walks a policy folder: symbolic
// links followed (a Kubernetes ConfigMap volume is a folder of links into a hidden `..data`
// folder), and a link that would hide what the repository holds refused. The service once
// passed every link over, so a ConfigMap of policies loaded none while `celgate check` enforced
// them all.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { policyWalk } from "../../../../packages/cli/src/inputs/documents.js";
import { expand } from "../../../../packages/cli/src/inputs/files.js";
import { BACKENDS, setupApp } from "../test/harness.js";
import { listPolicyFiles, RepositoryError } from "./policies.js";

const policy = (name: string) => `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: ${name}}
spec:
  severity: high
  action: deny
  match: {kinds: [Pod]}
  validations:
    - expression: "!object.spec.?hostPID.orValue(false)"
      message: no host PID
`;

let bases: string[] = [];
afterEach(() => {
  for (const base of bases) rmSync(base, { recursive: true, force: true });
  bases = [];
});

/** A folder laid out as the kubelet mounts a ConfigMap: keys are links into `..data`. */
function configMapVolume(keys: Record<string, string>) {
  const base = mkdtempSync(join(tmpdir(), "celgate-links-"));
  bases.push(base);
  const dir = join(base, "policies");
  const version = join(dir, "..2026_12_08_01_00_00.000000001");
  mkdirSync(version, { recursive: true });
  for (const [key, text] of Object.entries(keys)) writeFileSync(join(version, key), text);
  symlinkSync("..2026_12_08_01_00_00.000000001", join(dir, "..data"));
  for (const key of Object.keys(keys)) symlinkSync(join("..data", key), join(dir, key));
  return { base, dir };
}

const cliFiles = (dir: string, tests: boolean) => expand(dir, policyWalk(tests)).map((f) => relative(dir, f));
const serviceFiles = async (dir: string, tests: boolean) =>
  (await listPolicyFiles(dir, { tests })).map((f) => relative(dir, f));

describe("the policy repository's symbolic links", () => {
  it("are walked as celgate walks them: a ConfigMap volume, links to files and to folders inside", async () => {
    const { base, dir } = configMapVolume({ "a.yaml": policy("a"), "b.test.yaml": "kind: PolicyTest\n" });
    // a link to a file outside, a link to a folder inside (walked once), a folder of real files
    writeFileSync(join(base, "outside.yaml"), policy("c"));
    symlinkSync(join(base, "outside.yaml"), join(dir, "c.yaml"));
    mkdirSync(join(dir, "team"));
    writeFileSync(join(dir, "team", "d.yaml"), policy("d"));
    symlinkSync(join(dir, "team"), join(dir, "team-again"));
    for (const tests of [false, true]) {
      const cli = cliFiles(dir, tests);
      expect(await serviceFiles(dir, tests)).toEqual(cli);
      expect(cli).toContain("a.yaml");
      expect(cli.includes("b.test.yaml")).toBe(tests);
    }
    expect(await serviceFiles(dir, false)).toEqual(["a.yaml", "c.yaml", "team/d.yaml"]);
  });

  it("refuse the start on a link to a folder outside, or to nothing where a policy file would be read, as celgate refuses", async () => {
    for (const make of [
      (base: string, dir: string) => {
        mkdirSync(join(base, "shared"));
        writeFileSync(join(base, "shared", "x.yaml"), policy("x"));
        symlinkSync(join(base, "shared"), join(dir, "shared"));
        return /shared is a symbolic link to a folder outside the repository/;
      },
      (_base: string, dir: string) => {
        symlinkSync(join(dir, "gone.yaml"), join(dir, "gone-link.yaml"));
        return /gone-link\.yaml is a symbolic link to nothing readable/;
      },
    ]) {
      const { base, dir } = configMapVolume({ "a.yaml": policy("a") });
      const message = make(base, dir);
      expect(() => cliFiles(dir, false)).toThrow();
      await expect(listPolicyFiles(dir, { tests: false })).rejects.toThrow(RepositoryError);
      await expect(listPolicyFiles(dir, { tests: false })).rejects.toThrow(message);
    }
  });
});

describe.each(BACKENDS)("a service whose CELGATE_POLICY_DIR is a ConfigMap volume, on %s", (backend) => {
  it("loads and enforces its policies", async () => {
    const { dir } = configMapVolume({ "no-host-pid.yaml": policy("no-host-pid") });
    const t = await setupApp(backend, { policyDir: dir });
    try {
      const listed = await t.call("GET", "/v1/policies", { token: t.tokens.viewer });
      expect(listed.body.items.map((p: { name: string }) => p.name)).toContain("no-host-pid");
      const res = await t.call("POST", "/v1/evaluations", {
        token: t.tokens.evaluator,
        body: {
          dryRun: true,
          resources: [
            {
              apiVersion: "v1",
              kind: "Pod",
              metadata: { name: "p", namespace: "default" },
              spec: { hostPID: true, containers: [{ name: "c", image: "registry.example/app:1" }] },
            },
          ],
        },
      });
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
      expect(res.body.decision).toBe("deny");
      expect(
        res.body.results.map((r: { policy: string; outcome: string }) => [r.policy, r.outcome]),
      ).toContainEqual(["no-host-pid", "fail"]);
    } finally {
      await t.close();
    }
  });
});
