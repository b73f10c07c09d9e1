// The order of `images` never decides an evaluation: through real HTTP on both databases, two
// entries for one image that disagree where the first would win are refused, whichever comes
// first; entries that agree (or combine without a first-wins choice) evaluate the same either way.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, deploymentObject, setupApp, type TestApp } from "../../../test/harness.js";

const DIGEST = `sha256:${"c".repeat(64)}`;
const BY_DIGEST = `registry.example/shop/web@${DIGEST}`;
const BY_TAG = "registry.example/shop/web:1.0";

const NONROOT = `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: nonroot-image
spec:
  action: deny
  match:
    kinds: [Deployment]
  validations:
    - expression: "images.all(i, i.user != 'root' && (i.scan == null || i.scan.summary.critical == 0))"
      message: an image runs as root or has a critical vulnerability
`;

const counts = (critical: number) => ({ critical, high: 0, medium: 0, low: 0, unknown: 0 });
const scan = (critical: number, scannedAt: string | null) => ({
  scanner: "trivy",
  scannedAt,
  summary: counts(critical),
  fixable: counts(0),
  vulnerabilities: [],
});

describe.each(BACKENDS)("the order of images on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
    expect((await t.call("POST", "/v1/policies", { yaml: NONROOT })).status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  const evaluate = (image: string, images: unknown[]) =>
    t.call("POST", "/v1/evaluations", {
      body: { resources: [deploymentObject("web", { owner: "team", image })], images, dryRun: true },
    });

  it.each([
    [
      "the same digest, another user",
      BY_DIGEST,
      { ref: BY_DIGEST, user: "root" },
      { ref: BY_DIGEST, user: "1000" },
    ],
    [
      "the same tag, scans of the same time",
      BY_TAG,
      { ref: BY_TAG, scan: scan(1, "2026-01-01T00:00:00Z") },
      { ref: BY_TAG, scan: scan(0, "2026-01-01T00:00:00Z") },
    ],
    [
      "a tag used by two digests, another user",
      BY_TAG,
      { ref: `${BY_TAG}@${DIGEST}`, user: "root" },
      { ref: `${BY_TAG}@sha256:${"d".repeat(64)}`, user: "1000" },
    ],
  ])("refuses two entries for one image that disagree (%s), in either order", async (_, image, a, b) => {
    for (const images of [
      [a, b],
      [b, a],
    ]) {
      const res = await evaluate(image, images);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.detail).toMatch(/order/);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(["images[1]"]);
    }
  });

  it("evaluates entries for one image that combine without a first-wins choice the same in either order", async () => {
    // a newer scan wins whatever the order; the user is given once
    const a = { ref: BY_DIGEST, user: "root", scan: scan(0, "2026-01-01T00:00:00Z") };
    const b = { ref: BY_DIGEST, scan: scan(1, "2026-02-01T00:00:00Z") };
    const one = await evaluate(BY_DIGEST, [a, b]);
    const two = await evaluate(BY_DIGEST, [b, a]);
    expect(one.status).toBe(200);
    expect(two.status).toBe(200);
    expect(one.body.decision).toBe("deny");
    expect(two.body.results).toEqual(one.body.results);
    // the same facts twice are one image's facts
    const same = await evaluate(BY_DIGEST, [b, b]);
    expect(same.status).toBe(200);
  });

  it("refuses thousands of different entries for one image rather than compare them in pairs", async () => {
    // every entry agrees with every other (signatures combine), so none is refused for its order:
    // compared in pairs, 3,000 of them would be millions of merges on the request's thread
    const signed = (n: number) => ({
      ref: BY_DIGEST,
      signatures: [{ verified: true, identity: `signer-${n}`, issuer: "https://issuer.example" }],
    });
    const many = Array.from({ length: 3_000 }, (_, n) => signed(n));
    const res = await evaluate(BY_DIGEST, many);
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(400);
    expect(res.body.detail).toContain(`3000 different entries of images describe ${DIGEST}`);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(["images[8]"]);
    // the same entry many times is one entry; eight different ones are taken
    expect(
      (
        await evaluate(
          BY_DIGEST,
          Array.from({ length: 3_000 }, () => signed(1)),
        )
      ).status,
    ).toBe(200);
    expect(
      (
        await evaluate(
          BY_DIGEST,
          Array.from({ length: 8 }, (_, n) => signed(n)),
        )
      ).status,
    ).toBe(200);
  }, 60_000);
});
