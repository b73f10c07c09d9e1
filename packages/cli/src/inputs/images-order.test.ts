// The order of --images files never decides: entries for one image that disagree where the
// first would count are refused (exit 2) by every command that reads them, naming the files, the
// image and the fields, with the words the service uses for a request's `images` (core's
// checkImageFactsOrder serves both). The agreement is checked against the real service.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@celgate/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "../../../sdk/src/testing/service.js";
import { runInProcess } from "../test/in-process.js";

const main = fileURLToPath(new URL("../main.ts", import.meta.url));
const DIGEST = `sha256:${"c".repeat(64)}`;
const IMAGE = `registry.example/shop/web@${DIGEST}`;

const POLICY = `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: nonroot-image}
spec:
  match: {kinds: [Deployment]}
  validations:
    - expression: "images.all(i, i.user != 'root')"
      message: an image runs as root
`;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: web, image: "${IMAGE}"}]
`;

const ROOT = { ref: IMAGE, user: "root" };
const NONROOT = { ref: IMAGE, user: "1000" };
const counts = (critical: number) => ({ critical, high: 0, medium: 0, low: 0, unknown: 0 });
const scan = (critical: number) => ({
  scanner: "trivy",
  scannedAt: "2026-01-01T00:00:00Z",
  summary: counts(critical),
  fixable: counts(0),
  vulnerabilities: [],
});

let dir: string;
const file = (name: string, value: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
  return path;
};
let policy: string;
let manifest: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "celgate-images-order-"));
  policy = file("policy.yaml", POLICY);
  manifest = file("deploy.yaml", DEPLOYMENT);
});

describe("celgate check -i, two files that disagree on user", () => {
  it("exits 2 naming both files, the image and the field, whichever comes first", () => {
    const a = file("root.json", ROOT);
    const b = file("nonroot.json", NONROOT);
    for (const [first, second] of [
      [a, b],
      [b, a],
    ]) {
      const r = spawnSync(
        process.execPath,
        [
          "--conditions=source",
          "--import",
          "tsx",
          main,
          "check",
          "-p",
          policy,
          "-i",
          first!,
          "-i",
          second!,
          manifest,
        ],
        { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 60_000 },
      );
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(
        `celgate: ${first} and ${second} both describe ${DIGEST} and disagree (user): which one counts would depend on their order; send one entry for the image\n`,
      );
      expect(r.status).toBe(2);
    }
  });

  it("is refused the same by eval and explain, which read --images too", async () => {
    const a = file("root.json", ROOT);
    const b = file("nonroot.json", NONROOT);
    const refusal = `celgate: ${a} and ${b} both describe ${DIGEST} and disagree (user): which one counts would depend on their order; send one entry for the image\n`;
    for (const args of [
      ["eval", "-f", manifest, "-i", a, "-i", b, "images[0].user"],
      ["explain", manifest, "--policy", "nonroot-image", "-p", policy, "-i", a, "-i", b],
    ]) {
      const r = await runInProcess(args);
      expect(r.stderr, args[0]).toBe(refusal);
      expect(r.code, args[0]).toBe(2);
    }
  });

  it("names entries of one file by position, and facts that combine the same either way are taken", async () => {
    const list = file("both.json", [ROOT, NONROOT]);
    const r = await runInProcess(["check", "-p", policy, "-i", list, manifest]);
    expect(r.stderr).toContain(
      `celgate: ${list}[0] and ${list}[1] both describe ${DIGEST} and disagree (user)`,
    );
    expect(r.code).toBe(2);
    // a user given once and a newer scan: the same facts in either order; a deny, not a refusal
    const user = file("user.json", ROOT);
    const newer = file("newer.json", { ref: IMAGE, scan: { ...scan(1), scannedAt: "2026-02-01T00:00:00Z" } });
    for (const order of [
      [user, newer],
      [newer, user],
    ]) {
      const ok = await runInProcess(["check", "-p", policy, ...order.flatMap((f) => ["-i", f]), manifest]);
      expect(ok.stderr).toBe("");
      expect(ok.code).toBe(1);
    }
  });

  it("reports a file that is not image facts before any conflict", async () => {
    const bad = file("bad.json", { hello: "world" });
    const r = await runInProcess([
      "check",
      "-p",
      policy,
      "-i",
      file("root.json", ROOT),
      "-i",
      file("nonroot.json", NONROOT),
      "-i",
      bad,
      manifest,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unrecognised image facts input");
    expect(r.stderr).not.toContain("disagree");
  });
});

describe("the same refusal from the CLI and the service", () => {
  let service: TestService;
  let token: string;
  beforeAll(async () => {
    const policies = mkdtempSync(join(tmpdir(), "celgate-images-order-policies-"));
    writeFileSync(join(policies, "nonroot.yaml"), POLICY);
    service = await startTestService({ policyDir: policies });
    const admin = createClient({ baseUrl: service.baseUrl, token: service.adminToken });
    token = (await admin.tokens.create({ name: "ci", role: "evaluator" })).token;
  }, 60_000);
  afterAll(async () => {
    await service?.close();
  });

  // each case: the files given to the CLI (their entries, in order, make the request's `images`)
  const cases: [string, [string, unknown][]][] = [
    [
      "two files that disagree on user",
      [
        ["a.json", ROOT],
        ["b.json", NONROOT],
      ],
    ],
    ["one file listing both", [["list.json", [NONROOT, ROOT]]]],
    [
      "another user and a newer scan (only the user depends on the order)",
      [
        ["old-root.json", { ...ROOT, scan: scan(0) }],
        ["new-nonroot.json", { ...NONROOT, scan: { ...scan(2), scannedAt: "2026-03-01T00:00:00Z" } }],
      ],
    ],
    [
      "scans of the same time",
      [
        ["scan-1.json", { ref: IMAGE, scan: scan(1) }],
        ["scan-0.json", { ref: IMAGE, scan: scan(0) }],
      ],
    ],
    [
      "nine signers of one image",
      [
        [
          "signers.json",
          Array.from({ length: 9 }, (_, n) => ({
            ref: IMAGE,
            signatures: [{ verified: true, identity: `signer-${n}`, issuer: "https://issuer.example" }],
          })),
        ],
      ],
    ],
  ];

  it.each(cases)("%s: check, check --server and POST /v1/evaluations refuse alike", async (_, given) => {
    const paths = given.map(([name, value]) => file(name, value));
    // the CLI's name of each entry, in request order
    const names = given.flatMap(([, value], f) =>
      Array.isArray(value) ? value.map((_, k) => `${paths[f]}[${k}]`) : [paths[f]!],
    );
    const images = given.flatMap(([, value]) => (Array.isArray(value) ? value : [value]));

    const res = await fetch(`${service.baseUrl}/v1/evaluations`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ manifests: DEPLOYMENT, images }),
    });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { detail: string; code?: string };
    // the service's words, with the CLI's names for the entries and the whole
    const expected = problem.detail
      .replace(/images\[(\d+)\]/g, (_, i) => names[Number(i)]!)
      .replace(/ of images /, " of --images ");
    expect(expected).not.toBe(problem.detail);

    const flags = paths.flatMap((p) => ["-i", p]);
    const local = await runInProcess(["check", "-p", policy, ...flags, manifest]);
    const remote = await runInProcess([
      "check",
      "--server",
      service.baseUrl,
      "--token",
      token,
      ...flags,
      manifest,
    ]);
    // --server refuses before sending: the service would name images[i], not the files
    for (const r of [local, remote]) {
      expect(r.stderr).toBe(`celgate: ${expected}\n`);
      expect(r.code).toBe(2);
    }
  });
});
