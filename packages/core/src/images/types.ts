export type VulnerabilitySeverity = "critical" | "high" | "medium" | "low" | "unknown";

export interface SeverityCounts {
  critical: number;
  high: number;
  medium: number;
  low: number;
  unknown: number;
}

export interface Vulnerability {
  id: string;
  severity: VulnerabilitySeverity;
  package: string | null;
  installedVersion: string | null;
  fixedVersion: string | null;
  /** Other ids of the same finding (a GHSA's CVE); an exception that accepts any of them waives it. */
  aliases: string[];
}

export interface ScanFacts {
  scanner: string | null;
  /** ISO 8601 text on the wire; a Date once adapted for CEL. */
  scannedAt: string | null;
  summary: SeverityCounts;
  fixable: SeverityCounts;
  vulnerabilities: Vulnerability[];
}

/**
 * One signature check of an image. The signer is (identity, issuer); `source` names what
 * checked it (`cosign` for `cosign verify` output, or what the supplier says: a policy
 * controller, an image store), so one signer's signature checked by two sources is two
 * entries. `verifiedAt` says when; a newer check from the same signer and source replaces an
 * older one (mergeImageFacts).
 */
export interface SignatureFacts {
  verified: boolean;
  identity: string | null;
  issuer: string | null;
  source: string | null;
  /** RFC 3339 text on the wire; a timestamp once adapted for CEL. */
  verifiedAt: string | null;
}

/** A parsed image reference, normalised as Docker does. */
export interface ImageReference {
  /** As written. */
  ref: string;
  registry: string;
  repository: string;
  tag: string | null;
  digest: string | null;
}

/**
 * Everything known about one image. Every field is always present: what no supplier gave is
 * null (signatures: an empty list), so policies ask `i.scan == null`.
 */
export interface ImageFacts extends ImageReference {
  known: boolean;
  scan: ScanFacts | null;
  signatures: SignatureFacts[];
  createdAt: string | null;
  labels: Record<string, string> | null;
  user: string | null;
}
