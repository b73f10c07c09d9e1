import { describe, expect, it } from "vitest";
import { normaliseFacts } from "./facts.js";
import { parseImageReference } from "./reference.js";
import type { ImageFacts, ImageReference } from "./types.js";
import { withoutVulnerabilities } from "./waive.js";

function ref(text: string): ImageReference {
  const parsed = parseImageReference(text);
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed;
}

function facts(): ImageFacts {
  return normaliseFacts(
    {
      signatures: [{ verified: true, identity: "me", issuer: "idp" }],
      labels: { a: "b" },
      scan: {
        scanner: "trivy 0.58.0",
        scannedAt: "2026-11-20T10:00:00Z",
        vulnerabilities: [
          {
            id: "CVE-2024-3094",
            severity: "critical",
            package: "xz-libs",
            fixedVersion: "5.6.2",
            aliases: [],
          },
          { id: "CVE-2024-3094", severity: "critical", package: "xz" },
          { id: "CVE-2023-1", severity: "high", package: "openssl", fixedVersion: "3.0.2", aliases: [] },
          { id: "CVE-2023-2", severity: "low", package: "bash" },
        ],
      },
    },
    ref("registry.internal.example/legacy/app:1"),
  );
}

describe("withoutVulnerabilities", () => {
  it("removes the waived CVEs and reduces the counts", () => {
    const result = withoutVulnerabilities(facts(), new Set(["CVE-2024-3094"]));
    expect(result.scan?.vulnerabilities.map((v) => v.id)).toEqual(["CVE-2023-1", "CVE-2023-2"]);
    expect(result.scan?.summary).toEqual({ critical: 0, high: 1, medium: 0, low: 1, unknown: 0 });
    expect(result.scan?.fixable).toEqual({ critical: 0, high: 1, medium: 0, low: 0, unknown: 0 });
    expect(result.scan?.scanner).toBe("trivy 0.58.0");
    expect(result.repository).toBe("legacy/app");
  });

  it("compares ids case-insensitively", () => {
    const result = withoutVulnerabilities(facts(), new Set(["cve-2023-1"]));
    expect(result.scan?.summary.high).toBe(0);
  });

  it("does not change its input", () => {
    const input = facts();
    const before = structuredClone(input);
    const result = withoutVulnerabilities(input, new Set(["CVE-2023-1", "CVE-2023-2"]));
    expect(input).toEqual(before);
    expect(result.scan).not.toBe(input.scan);
    result.signatures.push({ verified: false, identity: null, issuer: null, source: null, verifiedAt: null });
    expect(input.signatures).toHaveLength(1);
  });

  it("keeps counts a supplier gave beyond the listed findings", () => {
    const input = normaliseFacts(
      {
        scan: {
          summary: { critical: 5, high: 0, medium: 0, low: 0, unknown: 0 },
          vulnerabilities: [{ id: "CVE-1", severity: "critical" }],
        },
      },
      ref("nginx"),
    );
    expect(withoutVulnerabilities(input, new Set(["CVE-1"])).scan?.summary.critical).toBe(4);
  });

  it("is a copy with nothing removed for an empty set or no scan", () => {
    expect(withoutVulnerabilities(facts(), new Set())).toEqual(facts());
    const unscanned = normaliseFacts({ user: "1" }, ref("nginx"));
    expect(withoutVulnerabilities(unscanned, new Set(["CVE-1"]))).toEqual(unscanned);
  });
});

describe("withoutVulnerabilities and aliases", () => {
  it("waives a finding whose alias is accepted (a GHSA id with its CVE)", () => {
    const image = normaliseFacts(
      {
        scan: {
          vulnerabilities: [
            {
              id: "GHSA-hv5j-3h9f-99c2",
              aliases: ["CVE-2023-28755"],
              severity: "high",
              package: "uri",
              fixedVersion: "0.10.2",
            },
            { id: "CVE-2023-28755", severity: "high", package: "ruby-3.0", fixedVersion: "3.0.6-r0" },
            { id: "CVE-2023-0001", severity: "high", package: "zlib" },
          ],
        },
      },
      ref("cgr.dev/chainguard/ruby:latest"),
    );
    const reduced = withoutVulnerabilities(image, new Set(["cve-2023-28755"]));
    expect(reduced.scan?.vulnerabilities.map((v) => v.id)).toEqual(["CVE-2023-0001"]);
    expect(reduced.scan?.summary.high).toBe(1);
    expect(reduced.scan?.fixable.high).toBe(0);
  });
});
