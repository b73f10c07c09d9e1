import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { corpus, needsCorpora } from "../../../../../test/support/corpora.js";
import { fixture } from "../../../../../test/support/fixtures.js";
import { parseImageFacts } from "../parse.js";
import type { ImageFacts } from "../types.js";

function load(name: string): unknown {
  return JSON.parse(readFileSync(corpus("image-scans", "trivy", name), "utf8"));
}

function only(name: string): ImageFacts {
  const { images, diagnostics, format } = parseImageFacts(load(name), name);
  expect(format).toBe("trivy");
  expect(diagnostics).toEqual([]);
  expect(images).toHaveLength(1);
  return images[0]!;
}

function counts(critical: number, high: number, medium: number, low: number, unknown = 0) {
  return { critical, high, medium, low, unknown };
}

describe.skipIf(!needsCorpora("trivy-import"))("Trivy reports (corpus)", () => {
  it("alpine-310: the image from RepoTags, not the tarball path in ArtifactName", () => {
    const image = only("alpine-310.json.golden");
    expect(image).toMatchObject({
      ref: "ghcr.io/aquasecurity/trivy-test-images:alpine-310",
      registry: "ghcr.io",
      repository: "aquasecurity/trivy-test-images",
      tag: "alpine-310",
      digest: null,
      known: true,
      createdAt: "2019-08-20T20:19:55.211423266Z",
      // The config has no User: the image runs as root.
      user: "",
      labels: {},
      signatures: [],
    });
    const scan = image.scan!;
    expect(scan.scanner).toBe("trivy dev");
    expect(scan.scannedAt).toBe("2021-08-25T12:20:30.000000005Z");
    expect(scan.summary).toEqual(counts(0, 0, 4, 0));
    expect(scan.fixable).toEqual(counts(0, 0, 4, 0));
    // The same CVE in two packages is two findings.
    expect(scan.vulnerabilities.filter((v) => v.id === "CVE-2019-1549").map((v) => v.package)).toEqual([
      "libcrypto1.1",
      "libssl1.1",
    ]);
    expect(scan.vulnerabilities).toContainEqual({
      id: "CVE-2019-1551",
      severity: "medium",
      package: "libssl1.1",
      installedVersion: "1.1.1c-r0",
      fixedVersion: "1.1.1d-r2",
      aliases: [],
    });
  });

  it("centos-7: labels from the image config, a will_not_fix finding is not fixable", () => {
    const image = only("centos-7.json.golden");
    expect(image.tag).toBe("centos-7");
    expect(image.labels).toMatchObject({
      "org.label-schema.vendor": "CentOS",
      "org.label-schema.name": "CentOS Base Image",
    });
    expect(image.scan?.summary).toEqual(counts(0, 0, 1, 2));
    expect(image.scan?.fixable).toEqual(counts(0, 0, 1, 1));
    expect(image.scan?.vulnerabilities.find((v) => v.id === "CVE-2019-18276")).toMatchObject({
      package: "bash",
      fixedVersion: null,
      severity: "low",
    });
  });

  it("debian-buster: one critical with a fix", () => {
    const image = only("debian-buster.json.golden");
    expect(image.scan?.summary).toEqual(counts(1, 0, 0, 1));
    expect(image.scan?.fixable).toEqual(counts(1, 0, 0, 0));
    expect(image.scan?.vulnerabilities.find((v) => v.severity === "critical")).toEqual({
      id: "CVE-2019-18224",
      severity: "critical",
      package: "libidn2-0",
      installedVersion: "2.0.5-1",
      fixedVersion: "2.0.5-1+deb10u1",
      aliases: [],
    });
  });

  it("distroless-base: the reproducible-build epoch is kept as the creation time", () => {
    const image = only("distroless-base.json.golden");
    expect(image.createdAt).toBe("1970-01-01T00:00:00Z");
    expect(image.scan?.summary).toEqual(counts(0, 0, 2, 2));
    expect(image.scan?.fixable).toEqual(counts(0, 0, 0, 2));
  });

  it("spring4shell-jre11: findings from a language-package result, empty results still scanned", () => {
    const image = only("spring4shell-jre11.json.golden");
    expect(image.scan?.summary).toEqual(counts(1, 0, 0, 0));
    expect(image.scan?.vulnerabilities).toEqual([
      {
        id: "CVE-2022-22965",
        severity: "critical",
        package: "org.springframework:spring-beans",
        installedVersion: "5.3.15",
        fixedVersion: "5.3.18",
        aliases: [],
      },
    ]);
  });

  it("ubuntu-1804: counts per package finding", () => {
    const image = only("ubuntu-1804.json.golden");
    expect(image.scan?.summary).toEqual(counts(0, 0, 4, 1));
    expect(image.scan?.fixable).toEqual(counts(0, 0, 4, 0));
    expect(image.scan?.vulnerabilities.filter((v) => v.id === "CVE-2019-5094")).toHaveLength(4);
  });

  it("helm: a misconfiguration report is not an image scan", () => {
    const { images, diagnostics, format } = parseImageFacts(load("helm.json.golden"), "helm.json");
    expect(format).toBe("trivy");
    expect(images).toEqual([]);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      code: "not-image-scan",
      file: "helm.json",
      path: "ArtifactType",
      severity: "error",
    });
    expect(diagnostics[0]?.message).toMatch(/repository.*not of a container image.*18 misconfiguration/);
  });
});

describe("Trivy reports (edge cases)", () => {
  const base = () =>
    JSON.parse(readFileSync(fixture("image-scans", "trivy-api.json"), "utf8")) as {
      ArtifactName: string;
      Metadata: Record<string, unknown>;
      Results: Record<string, unknown>[];
    } & Record<string, unknown>;

  it("scans with no vulnerabilities have zero counts, not a null scan", () => {
    const report = base();
    for (const result of report.Results) delete result.Vulnerabilities;
    const { images } = parseImageFacts(report);
    expect(images[0]?.scan?.summary).toEqual(counts(0, 0, 0, 0));
    expect(images[0]?.scan?.vulnerabilities).toEqual([]);
  });

  it("uses ArtifactName when it is a reference, with the digest from RepoDigests", () => {
    const digest = `sha256:${"c".repeat(64)}`;
    const report = base();
    report.ArtifactName = "nginx:1.27";
    report.Metadata.RepoTags = ["nginx:1.27"];
    report.Metadata.RepoDigests = [`nginx@${digest}`];
    const image = parseImageFacts(report).images[0]!;
    expect(image).toMatchObject({
      ref: `docker.io/library/nginx:1.27@${digest}`,
      repository: "library/nginx",
      tag: "1.27",
      digest,
    });
  });

  it("reports an image it cannot name", () => {
    const report = base();
    report.Metadata.RepoTags = [];
    const { images, diagnostics } = parseImageFacts(report, "x.json");
    expect(images).toEqual([]);
    expect(diagnostics[0]).toMatchObject({ code: "image-reference", file: "x.json", path: "ArtifactName" });
  });

  it("rejects other schema versions", () => {
    const report = base();
    report.SchemaVersion = 1;
    expect(parseImageFacts(report).diagnostics[0]).toMatchObject({
      code: "unsupported-version",
      path: "SchemaVersion",
    });
  });

  it("skips a malformed finding and names where it is", () => {
    const report = base();
    const vulnerabilities = report.Results[0]!.Vulnerabilities as unknown[];
    vulnerabilities.push({ VulnerabilityID: 42 }, null, "CVE-1");
    const { images, diagnostics } = parseImageFacts(report, "r.json");
    expect(images[0]?.scan?.vulnerabilities).toHaveLength(2);
    expect(diagnostics.map((d) => d.path)).toEqual([
      "Results[0].Vulnerabilities[2].VulnerabilityID",
      "Results[0].Vulnerabilities[3]",
      "Results[0].Vulnerabilities[4]",
    ]);
    expect(diagnostics.every((d) => d.file === "r.json" && d.code === "schema")).toBe(true);
  });

  it("reports wrong types in the envelope without throwing", () => {
    const report = base();
    report.Results = "everything" as never;
    report.Metadata = 5 as never;
    const { images, diagnostics } = parseImageFacts(report);
    expect(images).toEqual([]);
    expect(diagnostics.map((d) => d.path).sort()).toEqual(["Metadata", "Results"]);
  });

  it("treats an empty FixedVersion as no fix", () => {
    const report = base();
    for (const v of report.Results[0]!.Vulnerabilities as Record<string, unknown>[]) v.FixedVersion = "";
    expect(parseImageFacts(report).images[0]?.scan?.fixable).toEqual(counts(0, 0, 0, 0));
  });
});
