import type { ImageFacts, SeverityCounts, Vulnerability } from "./types.js";

/**
 * A copy of `facts` without the vulnerabilities whose id is in `cveIds` (compared
 * case-insensitively), with `scan.summary` and `scan.fixable` reduced by what was removed.
 * Counts are reduced rather than recounted so that counts a supplier gave without listing
 * every finding survive. This is how a PolicyException's `vulnerabilities` are applied.
 * Never throws; `facts` is not changed.
 *
 * @example withoutVulnerabilities(facts, new Set(["CVE-2024-3094"])).scan?.summary.critical
 */
export function withoutVulnerabilities(facts: ImageFacts, cveIds: ReadonlySet<string>): ImageFacts {
  const copy: ImageFacts = { ...facts, signatures: facts.signatures.map((s) => ({ ...s })) };
  if (facts.labels !== null) copy.labels = { ...facts.labels };
  const scan = facts.scan;
  if (scan === null) return copy;
  const waived = new Set([...cveIds].map((id) => id.toUpperCase()));
  const summary = { ...scan.summary };
  const fixable = { ...scan.fixable };
  const vulnerabilities: Vulnerability[] = [];
  for (const vulnerability of scan.vulnerabilities) {
    const accepted =
      waived.has(vulnerability.id.toUpperCase()) ||
      vulnerability.aliases.some((a) => waived.has(a.toUpperCase()));
    if (!accepted) {
      vulnerabilities.push({ ...vulnerability });
      continue;
    }
    decrement(summary, vulnerability.severity);
    if (vulnerability.fixedVersion !== null) decrement(fixable, vulnerability.severity);
  }
  copy.scan = { ...scan, summary, fixable, vulnerabilities };
  return copy;
}

function decrement(counts: SeverityCounts, severity: keyof SeverityCounts): void {
  counts[severity] = Math.max(0, counts[severity] - 1);
}
