import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { corpus, needsCorpora } from "../../../../../test/support/corpora.js";
import { fixture } from "../../../../../test/support/fixtures.js";
import { parseImageFacts } from "../parse.js";
import type { ImageFacts } from "../types.js";

function load(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(corpus("image-scans", "grype", name), "utf8")) as Record<string, unknown>;
}

/** The repository's own small Grype report, for the edge cases. */
function sample(): Record<string, unknown> {
  return JSON.parse(readFileSync(fixture("image-scans", "grype-worker.json"), "utf8")) as Record<
    string,
    unknown
  >;
}

function only(name: string): ImageFacts {
  const { images, diagnostics, format } = parseImageFacts(load(name), name);
  expect(format).toBe("grype");
  expect(diagnostics).toEqual([]);
  expect(images).toHaveLength(1);
  return images[0]!;
}

function counts(critical: number, high: number, medium: number, low: number, unknown = 0) {
  return { critical, high, medium, low, unknown };
}

describe.skipIf(!needsCorpora("grype-import"))("Grype reports (corpus)", () => {
  it("chainguard-ruby: the tag as asked for, the repository digest, config from the report", () => {
    const image = only("chainguard-ruby-test.json");
    const digest = "sha256:3c9afb4f188827ea1062ec3b8acea32893236a0d7df31e0498df93486cff0978";
    expect(image).toMatchObject({
      ref: `cgr.dev/chainguard/ruby:latest-3.0@${digest}`,
      registry: "cgr.dev",
      repository: "chainguard/ruby",
      tag: "latest-3.0",
      digest,
      known: true,
      createdAt: "2023-01-13T00:11:26Z",
      user: "65532",
      labels: {},
    });
    const scan = image.scan!;
    expect(scan.scanner).toBe("grype 0.61.1");
    expect(scan.scannedAt).toBe("2023-05-17T21:00:56.783213-04:00");
    expect(scan.summary).toEqual(counts(0, 3, 0, 0));
    expect(scan.fixable).toEqual(counts(0, 2, 0, 0));
    expect(scan.vulnerabilities).toEqual([
      {
        id: "CVE-2023-28755",
        severity: "high",
        package: "ruby-3.0",
        installedVersion: "3.0.4-r1",
        fixedVersion: "3.0.6-r0",
        aliases: [],
      },
      {
        id: "CVE-2023-28755",
        severity: "high",
        package: "uri",
        installedVersion: "0.10.1",
        fixedVersion: null,
        aliases: [],
      },
      {
        id: "GHSA-hv5j-3h9f-99c2",
        severity: "high",
        package: "uri",
        installedVersion: "0.10.1",
        fixedVersion: "0.10.2",
        aliases: ["CVE-2023-28755"],
      },
    ]);
  });

  it("ghsa: a digest reference on Docker Hub; a GHSA and its CVE alias are separate findings", () => {
    const image = only("ghsa-test.json");
    expect(image).toMatchObject({
      registry: "docker.io",
      repository: "anchore/test_images",
      tag: null,
      digest: "sha256:10008791acbc5866de04108746a02a0c4029ce3a4400a9b3dad45d7f2245f9da",
      createdAt: "2021-10-22T17:06:32.921991629Z",
      user: "",
    });
    expect(image.scan?.summary).toEqual(counts(0, 0, 2, 0));
    expect(image.scan?.fixable).toEqual(counts(0, 0, 1, 0));
    expect(image.scan?.vulnerabilities.map((v) => [v.id, v.fixedVersion])).toEqual([
      ["GHSA-cfh5-3ghh-wfjx", "4.3.5"],
      ["CVE-2014-3577", null],
    ]);
  });

  it("keycloak: the digest asked for, not the platform manifest digest; wont-fix is not fixable", () => {
    const image = only("keycloak-test.json");
    expect(image).toMatchObject({
      ref: "docker.io/keycloak/keycloak:21.0.2@sha256:347a0d748d05a050dc64b92de2246d2240db6eb38afbc17c3c08d0acb0db1b50",
      repository: "keycloak/keycloak",
      tag: "21.0.2",
      digest: "sha256:347a0d748d05a050dc64b92de2246d2240db6eb38afbc17c3c08d0acb0db1b50",
      user: "1000",
      createdAt: "2023-03-30T11:13:14.629966094Z",
    });
    expect(image.labels?.["org.opencontainers.image.version"]).toBe("21.0.2");
    expect(image.labels?.vendor).toBe("Red Hat, Inc.");
    expect(image.scan?.scanner).toBe("grype 0.66.0");
    expect(image.scan?.summary).toEqual(counts(0, 0, 0, 6));
    expect(image.scan?.fixable).toEqual(counts(0, 0, 0, 0));
    expect(new Set(image.scan?.vulnerabilities.map((v) => v.id))).toEqual(new Set(["CVE-2020-12413"]));
    expect(image.scan?.vulnerabilities.map((v) => v.package)).toContain("nss-softokn-freebl");
  });

  it("TestJsonImgsPresenter: no version, no timestamp, no config; the manifest digest as last resort", () => {
    const image = only("TestJsonImgsPresenter.json.golden");
    expect(image).toMatchObject({
      repository: "library/user-input",
      digest: "sha256:ca738abb87a8d58f112d3400ebb079b61ceae7dc290beb34bda735be4b1941d5",
      createdAt: null,
      user: null,
      labels: null,
    });
    expect(image.scan?.scanner).toBe("grype");
    expect(image.scan?.scannedAt).toBeNull();
    expect(image.scan?.summary).toEqual(counts(1, 0, 0, 1));
    expect(image.scan?.fixable).toEqual(counts(0, 0, 0, 1));
    expect(image.scan?.vulnerabilities[0]?.fixedVersion).toBe("1.2.1");
  });
});

describe("Grype reports (edge cases)", () => {
  it("a directory scan is not an image scan", () => {
    const report = sample();
    report.source = { type: "directory", target: "/src" };
    const { images, diagnostics } = parseImageFacts(report, "dir.json");
    expect(images).toEqual([]);
    expect(diagnostics[0]).toMatchObject({ code: "not-image-scan", path: "source.type", file: "dir.json" });
  });

  it("skips malformed matches and names where they are", () => {
    const report = sample();
    (report.matches as unknown[]).push(null, { vulnerability: { id: "" }, artifact: { name: "x" } });
    const { images, diagnostics } = parseImageFacts(report);
    expect(images[0]?.scan?.vulnerabilities).toHaveLength(2);
    expect(diagnostics.map((d) => d.path)).toEqual(["matches[2]", "matches[3].vulnerability.id"]);
  });

  it("warns about an embedded config that is not base64 JSON", () => {
    const report = sample();
    (report.source as { target: Record<string, unknown> }).target.config = "%%% not base64";
    const { images, diagnostics } = parseImageFacts(report);
    expect(images[0]?.user).toBeNull();
    expect(diagnostics[0]).toMatchObject({ severity: "warning", path: "source.target.config" });
  });

  it("a negligible severity is low", () => {
    const report = sample();
    const match = (report.matches as { vulnerability: { severity: string } }[])[0]!;
    match.vulnerability.severity = "Negligible";
    expect(parseImageFacts(report).images[0]?.scan?.summary.low).toBe(1);
  });
});
