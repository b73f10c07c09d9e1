import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { parseImageFacts } from "../parse.js";

const DIGEST = `sha256:${"d".repeat(64)}`;

describe("native image facts", () => {
  it("reads the spec's example document, written in YAML", () => {
    const text = `
apiVersion: celgate.dev/v1
kind: ImageFacts
images:
  - ref: registry.internal.example/shop/web:1.4.2@${DIGEST}
    known: true
    scan:
      scanner: trivy 0.58.0
      scannedAt: 2026-11-20T10:00:00Z
      summary: {critical: 0, high: 2, medium: 5, low: 9, unknown: 0}
      fixable: {critical: 0, high: 1, medium: 3, low: 0, unknown: 0}
      vulnerabilities:
        - {id: CVE-2024-1234, severity: high, package: openssl, installedVersion: 3.0.1, fixedVersion: 3.0.2}
    signatures:
      - {verified: true, identity: "https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main", issuer: "https://token.actions.githubusercontent.com"}
    createdAt: 2026-11-01T00:00:00Z
    labels: {}
    user: 1000
`;
    const { images, diagnostics, format } = parseImageFacts(yaml.load(text), "facts.yaml");
    expect(format).toBe("native");
    expect(diagnostics).toEqual([]);
    expect(images).toEqual([
      {
        ref: `registry.internal.example/shop/web:1.4.2@${DIGEST}`,
        registry: "registry.internal.example",
        repository: "shop/web",
        tag: "1.4.2",
        digest: DIGEST,
        known: true,
        scan: {
          scanner: "trivy 0.58.0",
          // js-yaml reads unquoted timestamps as dates; they come back as ISO text.
          scannedAt: "2026-11-20T10:00:00.000Z",
          summary: { critical: 0, high: 2, medium: 5, low: 9, unknown: 0 },
          fixable: { critical: 0, high: 1, medium: 3, low: 0, unknown: 0 },
          vulnerabilities: [
            {
              id: "CVE-2024-1234",
              severity: "high",
              package: "openssl",
              installedVersion: "3.0.1",
              fixedVersion: "3.0.2",
              aliases: [],
            },
          ],
        },
        signatures: [
          {
            verified: true,
            identity: "https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main",
            issuer: "https://token.actions.githubusercontent.com",
            source: null,
            verifiedAt: null,
          },
        ],
        createdAt: "2026-11-01T00:00:00.000Z",
        labels: {},
        user: "1000",
      },
    ]);
  });

  it("reads a plain list and a single object", () => {
    expect(parseImageFacts([{ ref: "nginx:1.27", user: "101" }, { ref: "redis" }]).images).toHaveLength(2);
    const single = parseImageFacts({ ref: "nginx", scan: { vulnerabilities: [] } });
    expect(single.format).toBe("native");
    expect(single.images[0]?.scan?.summary.critical).toBe(0);
  });

  it("marks an image with nothing supplied as unknown", () => {
    expect(parseImageFacts([{ ref: "nginx" }]).images[0]?.known).toBe(false);
  });

  it("rejects a document of another apiVersion", () => {
    const { images, diagnostics } = parseImageFacts(
      { apiVersion: "celgate.dev/v2", kind: "ImageFacts", images: [{ ref: "nginx" }] },
      "f.yaml",
    );
    expect(images).toEqual([]);
    expect(diagnostics[0]).toMatchObject({ code: "schema", path: "apiVersion", file: "f.yaml" });
  });

  it("reports a document without an images list", () => {
    const { diagnostics } = parseImageFacts({ apiVersion: "celgate.dev/v1", kind: "ImageFacts", images: {} });
    expect(diagnostics[0]).toMatchObject({ path: "images", message: expect.stringMatching(/list/) });
  });

  it("skips bad images, keeps good ones, and names each problem's path", () => {
    const { images, diagnostics } = parseImageFacts(
      {
        apiVersion: "celgate.dev/v1",
        kind: "ImageFacts",
        images: [
          { ref: "Nginx" },
          { ref: 5 },
          "nginx",
          { user: "1" },
          {
            ref: "nginx",
            scna: {},
            scan: {
              summary: { critical: -1 },
              vulnerabilities: [],
            },
          },
          {
            ref: "redis",
            scan: { vulnerabilities: [{}, { id: "CVE-1", severity: 3 }, { id: "CVE-2", severity: "HIGH" }] },
            signatures: [{ identity: "x" }, { verified: true }],
            labels: { ok: "yes", bad: { nested: true } },
          },
        ],
      },
      "f.yaml",
    );
    expect(images.map((i) => i.repository)).toEqual(["library/redis"]);
    expect(images[0]?.scan?.vulnerabilities.map((v) => v.id)).toEqual(["CVE-2"]);
    expect(images[0]?.signatures).toEqual([
      { verified: true, identity: null, issuer: null, source: null, verifiedAt: null },
    ]);
    expect(images[0]?.labels).toEqual({ ok: "yes" });
    expect(diagnostics.map((d) => [d.code, d.path])).toEqual([
      ["image-reference", "images[0].ref"],
      ["schema", "images[1].ref"],
      ["schema", "images[2]"],
      ["schema", "images[3].ref"],
      ["schema", "images[4].scan.summary.critical"],
      ["schema", "images[5].scan.vulnerabilities[0].id"],
      ["schema", "images[5].scan.vulnerabilities[1].severity"],
      ["schema", "images[5].signatures[0].verified"],
      ["schema", "images[5].labels.bad"],
    ]);
    expect(diagnostics.every((d) => d.file === "f.yaml")).toBe(true);
    expect(diagnostics[0]?.message).toMatch(/lowercase/);
  });

  it("warns about unknown fields and still reads the image", () => {
    const { images, diagnostics } = parseImageFacts([{ ref: "nginx", scna: {}, user: "0" }]);
    expect(images).toHaveLength(1);
    expect(diagnostics).toEqual([
      { code: "schema", message: 'unknown field "scna" is ignored', path: "[0].scna", severity: "warning" },
    ]);
  });

  it("takes a digest the ref lacks, and lets ref win a contradiction", () => {
    const { images, diagnostics } = parseImageFacts([
      { ref: "nginx:1.27", digest: DIGEST },
      { ref: "nginx:1.27", tag: "1.26", registry: "ghcr.io" },
      { ref: "nginx", digest: "sha256:bad" },
    ]);
    expect(images[0]).toMatchObject({ ref: "nginx:1.27", tag: "1.27", digest: DIGEST });
    expect(images[1]).toMatchObject({ registry: "docker.io", tag: "1.27" });
    expect(images[2]).toMatchObject({ digest: null });
    expect(diagnostics.map((d) => [d.severity, d.path])).toEqual([
      ["warning", "[1].registry"],
      ["warning", "[1].tag"],
      ["error", "[2].digest"],
    ]);
  });

  it("accepts registry and repository that agree with ref", () => {
    const { diagnostics } = parseImageFacts([
      { ref: "nginx", registry: "docker.io", repository: "library/nginx" },
    ]);
    expect(diagnostics).toEqual([]);
  });
});
