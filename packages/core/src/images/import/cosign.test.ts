import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { corpus, needsCorpora } from "../../../../../test/support/corpora.js";
import { parseImageFacts } from "../parse.js";

function load(name: string): unknown {
  return JSON.parse(readFileSync(corpus("image-scans", "sigstore", name), "utf8"));
}

describe.skipIf(!needsCorpora("cosign-import"))("cosign verify output (corpus)", () => {
  it("keyless: identity and issuer from the certificate", () => {
    const { images, diagnostics, format } = parseImageFacts(
      load("cosign-verify-keyless-output.chainguard-jdk.json"),
    );
    expect(format).toBe("cosign-verify");
    expect(diagnostics).toEqual([]);
    expect(images).toEqual([
      {
        ref: "ghcr.io/chainguard-images/jdk@sha256:d8f435ffab139985ab2d505031c8507fc25eedbae0f91bc71edc1914029263da",
        registry: "ghcr.io",
        repository: "chainguard-images/jdk",
        tag: null,
        digest: "sha256:d8f435ffab139985ab2d505031c8507fc25eedbae0f91bc71edc1914029263da",
        known: true,
        scan: null,
        signatures: [
          {
            verified: true,
            identity:
              "https://github.com/chainguard-images/jdk/.github/workflows/release.yaml@refs/heads/main",
            issuer: "https://token.actions.githubusercontent.com",
            source: "cosign",
            verifiedAt: null,
          },
        ],
        createdAt: null,
        labels: null,
        user: null,
      },
    ]);
  });

  it("key-based: verified, with no identity or issuer", () => {
    const { images, diagnostics } = parseImageFacts(load("cosign-verify-key-output.tcpconnect.json"));
    expect(diagnostics).toEqual([]);
    expect(images).toHaveLength(1);
    expect(images[0]).toMatchObject({
      registry: "localhost:5000",
      repository: "tcpconnect",
      digest: "sha256:7a91c50d922925f152fec96ed1d84b7bc6b2079c169d68826f6cf307f22d40e6",
      signatures: [{ verified: true, identity: null, issuer: null }],
    });
  });

  it("a Sigstore bundle is not verification output", () => {
    const { images, diagnostics, format } = parseImageFacts(
      load("cosign-oci-attestation.sigstore-bundle.json"),
      "bundle.json",
    );
    expect(format).toBeNull();
    expect(images).toEqual([]);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: "image-facts-format", file: "bundle.json" });
    expect(diagnostics[0]?.message).toMatch(/Sigstore bundle.*cosign verify/);
  });

  it("a vulnerability attestation predicate names no image", () => {
    const { images, diagnostics } = parseImageFacts(load("cosign-vuln-predicate.json"));
    expect(images).toEqual([]);
    expect(diagnostics[0]?.message).toMatch(/predicate names no image/);
  });
});

describe("cosign verify output (edge cases)", () => {
  const entry = (reference: string, digest: string, optional: unknown = null) => ({
    critical: {
      identity: { "docker-reference": reference },
      image: { "docker-manifest-digest": digest },
      type: "cosign container image signature",
    },
    optional,
  });
  const A = `sha256:${"a".repeat(64)}`;

  it("groups several signatures of one image", () => {
    const { images } = parseImageFacts([
      entry("ghcr.io/acme/web", A, { Subject: "one", Issuer: "idp" }),
      entry("ghcr.io/acme/web", A, { Subject: "two", "1.3.6.1.4.1.57264.1.1": "legacy-idp" }),
      entry("ghcr.io/acme/api", A),
    ]);
    expect(images.map((i) => i.repository)).toEqual(["acme/web", "acme/api"]);
    expect(images[0]?.signatures).toEqual([
      { verified: true, identity: "one", issuer: "idp", source: "cosign", verifiedAt: null },
      { verified: true, identity: "two", issuer: "legacy-idp", source: "cosign", verifiedAt: null },
    ]);
  });

  it("skips entries with a bad digest or reference", () => {
    const { images, diagnostics } = parseImageFacts([
      entry("ghcr.io/acme/web", "sha256:short"),
      entry("Not A Ref", A),
      { critical: { identity: {} } },
    ]);
    expect(images).toEqual([]);
    expect(diagnostics.map((d) => d.path)).toEqual([
      "[0].critical.image.docker-manifest-digest",
      "[1].critical.identity.docker-reference",
      "[2].critical.identity.docker-reference",
      "[2].critical.image",
    ]);
  });
});
