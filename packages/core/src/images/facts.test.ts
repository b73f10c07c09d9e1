import { describe, expect, it } from "vitest";
import {
  countVulnerabilities,
  emptyFacts,
  normaliseFacts,
  normaliseSeverity,
  normaliseTimestamp,
} from "./facts.js";
import { parseImageReference } from "./reference.js";
import type { ImageReference } from "./types.js";

function ref(text: string): ImageReference {
  const parsed = parseImageReference(text);
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed;
}

describe("emptyFacts", () => {
  it("has every field, known false", () => {
    expect(emptyFacts(ref("nginx:1.27"))).toEqual({
      ref: "nginx:1.27",
      registry: "docker.io",
      repository: "library/nginx",
      tag: "1.27",
      digest: null,
      known: false,
      scan: null,
      signatures: [],
      createdAt: null,
      labels: null,
      user: null,
    });
  });

  it("copies only the reference fields of what it is given", () => {
    const supplied: ImageReference = {
      ...emptyFacts(ref("nginx")),
      known: true,
      user: "0",
    } as ImageReference;
    const facts = emptyFacts(supplied);
    expect(facts.known).toBe(false);
    expect(facts.user).toBeNull();
  });
});

describe("normaliseFacts", () => {
  it("fills every missing field with null and signatures with []", () => {
    const facts = normaliseFacts({}, ref("nginx"));
    expect(facts).toEqual(emptyFacts(ref("nginx")));
  });

  it("is known once anything is supplied, unless told otherwise", () => {
    expect(normaliseFacts({ user: "1000" }, ref("nginx")).known).toBe(true);
    expect(normaliseFacts({ user: "1000", known: false }, ref("nginx")).known).toBe(false);
    expect(normaliseFacts({ known: true }, ref("nginx")).known).toBe(true);
  });

  it("takes the reference from the input when no ref is given", () => {
    const facts = normaliseFacts({ ...ref("ghcr.io/a/b:1"), user: "1" });
    expect(facts.repository).toBe("a/b");
    expect(facts.user).toBe("1");
  });

  it("lower-cases severities, dedupes by (id, package) and counts", () => {
    const facts = normaliseFacts(
      {
        scan: {
          scanner: "trivy 0.58.0",
          vulnerabilities: [
            {
              id: "CVE-1",
              severity: "HIGH",
              package: "openssl",
              installedVersion: "3.0.1",
              fixedVersion: "3.0.2",
              aliases: [],
            },
            { id: "CVE-1", severity: "HIGH", package: "openssl", installedVersion: "3.0.1" },
            { id: "CVE-1", severity: "High", package: "libssl3", installedVersion: "3.0.1" },
            { id: "CVE-2", severity: "Moderate", package: "zlib" },
            { id: "CVE-3", severity: "negligible", package: "bash" },
            { id: "CVE-4", severity: "whatever", package: "bash", fixedVersion: "5", aliases: [] },
            { id: "CVE-5", package: "bash" },
          ],
        },
      },
      ref("nginx"),
    );
    const scan = facts.scan!;
    expect(scan.vulnerabilities.map((v) => [v.id, v.package, v.severity])).toEqual([
      ["CVE-1", "openssl", "high"],
      ["CVE-1", "libssl3", "high"],
      ["CVE-2", "zlib", "medium"],
      ["CVE-3", "bash", "low"],
      ["CVE-4", "bash", "unknown"],
      ["CVE-5", "bash", "unknown"],
    ]);
    expect(scan.summary).toEqual({ critical: 0, high: 2, medium: 1, low: 1, unknown: 2 });
    expect(scan.fixable).toEqual({ critical: 0, high: 1, medium: 0, low: 0, unknown: 1 });
    expect(scan.scannedAt).toBeNull();
    expect(scan.vulnerabilities[0]).toEqual({
      id: "CVE-1",
      severity: "high",
      package: "openssl",
      installedVersion: "3.0.1",
      fixedVersion: "3.0.2",
      aliases: [],
    });
  });

  it("lets a later duplicate fill what the first lacked", () => {
    const facts = normaliseFacts(
      {
        scan: {
          vulnerabilities: [
            { id: "CVE-1", package: "a" },
            { id: "CVE-1", package: "a", severity: "critical", fixedVersion: "2", aliases: [] },
          ],
        },
      },
      ref("nginx"),
    );
    expect(facts.scan?.vulnerabilities).toEqual([
      {
        id: "CVE-1",
        package: "a",
        severity: "critical",
        installedVersion: null,
        fixedVersion: "2",
        aliases: [],
      },
    ]);
    expect(facts.scan?.fixable.critical).toBe(1);
  });

  it("keeps supplied counts and completes partial ones from the list", () => {
    const facts = normaliseFacts(
      {
        scan: {
          summary: { critical: 3, high: 7 },
          vulnerabilities: [{ id: "CVE-1", severity: "low", fixedVersion: "1", aliases: [] }],
        },
      },
      ref("nginx"),
    );
    expect(facts.scan?.summary).toEqual({ critical: 3, high: 7, medium: 0, low: 1, unknown: 0 });
    expect(facts.scan?.fixable).toEqual({ critical: 0, high: 0, medium: 0, low: 1, unknown: 0 });
  });

  it("turns YAML's numbers and dates into text", () => {
    const facts = normaliseFacts(
      {
        user: 1000,
        createdAt: new Date("2026-11-01T00:00:00Z"),
        labels: { version: 2, ok: true, gone: null },
        scan: { scannedAt: new Date("2026-11-20T10:00:00Z"), vulnerabilities: [] },
      },
      ref("nginx"),
    );
    expect(facts.user).toBe("1000");
    expect(facts.createdAt).toBe("2026-11-01T00:00:00.000Z");
    expect(facts.scan?.scannedAt).toBe("2026-11-20T10:00:00.000Z");
    expect(facts.labels).toEqual({ version: "2", ok: "true" });
  });

  it("keeps a __proto__ label as data", () => {
    const labels = JSON.parse('{"__proto__": "x", "a": "b"}') as Record<string, string>;
    const facts = normaliseFacts({ labels }, ref("nginx"));
    expect(Object.keys(facts.labels!)).toEqual(["__proto__", "a"]);
    expect(Object.getPrototypeOf(facts.labels)).toBe(Object.prototype);
  });

  it("gives an empty scan zero counts", () => {
    const facts = normaliseFacts({ scan: {} }, ref("nginx"));
    expect(facts.scan).toEqual({
      scanner: null,
      scannedAt: null,
      summary: { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 },
      fixable: { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 },
      vulnerabilities: [],
    });
  });

  it("defaults signatures to unverified with null identity, issuer, source and time", () => {
    const facts = normaliseFacts(
      { signatures: [{ verified: true }, {}, { source: "cosign", verifiedAt: "2026-11-01t00:00:00z" }] },
      ref("nginx"),
    );
    expect(facts.signatures).toEqual([
      { verified: true, identity: null, issuer: null, source: null, verifiedAt: null },
      { verified: false, identity: null, issuer: null, source: null, verifiedAt: null },
      { verified: false, identity: null, issuer: null, source: "cosign", verifiedAt: "2026-11-01T00:00:00Z" },
    ]);
  });
});

describe("normaliseTimestamp", () => {
  it.each([
    ["2026-11-20T10:00:00Z", "2026-11-20T10:00:00Z"],
    ["2021-08-25T12:20:30.000000005Z", "2021-08-25T12:20:30.000000005Z"],
    ["2023-05-17T21:00:56.783213-04:00", "2023-05-17T21:00:56.783213-04:00"],
    ["2026-11-20t10:00:00z", "2026-11-20T10:00:00Z"],
    ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"],
  ])("keeps %s", (input, output) => {
    expect(normaliseTimestamp(input)).toBe(output);
  });

  it.each([
    "",
    "yesterday",
    "2026-11-20",
    "2026-02-30T00:00:00Z",
    "2026-11-20T25:00:00Z",
    "0001-01-01T00:00:00Z",
    "2026-11-20 10:00:00Z",
  ])("drops %j", (input) => {
    expect(normaliseTimestamp(input)).toBeNull();
  });

  it("drops non-strings and invalid dates", () => {
    expect(normaliseTimestamp(1_700_000_000)).toBeNull();
    expect(normaliseTimestamp(new Date(Number.NaN))).toBeNull();
  });
});

describe("severities and counts", () => {
  it("maps synonyms and anything else to unknown", () => {
    expect(normaliseSeverity("CRITICAL")).toBe("critical");
    expect(normaliseSeverity("Important")).toBe("high");
    expect(normaliseSeverity("toString")).toBe("unknown");
    expect(normaliseSeverity(4)).toBe("unknown");
  });

  it("counts fixable as having a fixed version", () => {
    const { summary, fixable } = countVulnerabilities([
      { id: "a", severity: "low", package: null, installedVersion: null, fixedVersion: "1", aliases: [] },
      { id: "b", severity: "low", package: null, installedVersion: null, fixedVersion: null, aliases: [] },
    ]);
    expect(summary.low).toBe(2);
    expect(fixable.low).toBe(1);
  });
});
