import type {
  ImageFacts,
  ImageReference,
  ScanFacts,
  SeverityCounts,
  SignatureFacts,
  Vulnerability,
  VulnerabilitySeverity,
} from "./types.js";

/** The severities in order, most severe first. */
export const SEVERITIES: readonly VulnerabilitySeverity[] = ["critical", "high", "medium", "low", "unknown"];

/** A text field as suppliers give it: YAML turns `user: 1000` into a number. */
type Loose = string | number | boolean | null | undefined;
/** A timestamp as suppliers give it: YAML turns unquoted timestamps into dates. */
type LooseTime = string | Date | null | undefined;

export interface VulnerabilityInput {
  id: string;
  /** Any case; scanners' synonyms (`Moderate`, `Important`, `Negligible`) are mapped. */
  severity?: string | null;
  package?: Loose;
  installedVersion?: Loose;
  fixedVersion?: Loose;
  aliases?: readonly unknown[] | null;
}

/** A signature as a supplier gives it: any field may be missing, the time as text or a Date. */
export interface SignatureInput {
  verified?: boolean | null;
  identity?: Loose;
  issuer?: Loose;
  source?: Loose;
  verifiedAt?: LooseTime;
}

export interface ScanInput {
  scanner?: Loose;
  scannedAt?: LooseTime;
  summary?: Partial<SeverityCounts> | null;
  fixable?: Partial<SeverityCounts> | null;
  vulnerabilities?: readonly VulnerabilityInput[] | null;
}

/** Image facts as a supplier gives them: any field may be missing. */
export interface ImageFactsInput {
  known?: boolean | null;
  scan?: ScanInput | null;
  signatures?: readonly SignatureInput[] | null;
  createdAt?: LooseTime;
  labels?: Readonly<Record<string, Loose>> | null;
  user?: Loose;
}

/** The facts of an image nobody supplied anything about: `known: false`, everything else null. */
export function emptyFacts(ref: ImageReference): ImageFacts {
  return {
    ...referenceOf(ref),
    known: false,
    scan: null,
    signatures: [],
    createdAt: null,
    labels: null,
    user: null,
  };
}

/**
 * Completes supplied facts so that every field is present: what is missing is null
 * (`signatures` an empty list), severities are lower-cased, vulnerabilities are deduplicated by
 * (id, package), and `scan.summary` / `scan.fixable` counts missing from the input are counted
 * from the vulnerabilities (fixable = has a fixed version). Timestamps that are not RFC 3339
 * become null. `known` is true unless the input says otherwise or supplies nothing at all.
 * The reference fields come from `ref` (or, without it, from `partial` itself). Never throws.
 */
export function normaliseFacts(partial: ImageFactsInput & ImageReference): ImageFacts;
export function normaliseFacts(partial: ImageFactsInput, ref: ImageReference): ImageFacts;
export function normaliseFacts(partial: ImageFactsInput, ref?: ImageReference): ImageFacts {
  const reference = referenceOf(ref ?? (partial as ImageReference));
  const scan = partial.scan ? normaliseScan(partial.scan) : null;
  const signatures = (partial.signatures ?? []).map(normaliseSignature);
  const createdAt = normaliseTimestamp(partial.createdAt);
  const labels = partial.labels ? normaliseLabels(partial.labels) : null;
  const user = text(partial.user);
  const supplied =
    scan !== null || signatures.length > 0 || createdAt !== null || labels !== null || user !== null;
  return {
    ...reference,
    known: typeof partial.known === "boolean" ? partial.known : supplied,
    scan,
    signatures,
    createdAt,
    labels,
    user,
  };
}

/** See `normaliseFacts`; the scan part alone. */
export function normaliseScan(input: ScanInput): ScanFacts {
  const vulnerabilities = dedupeVulnerabilities((input.vulnerabilities ?? []).map(normaliseVulnerability));
  const counted = countVulnerabilities(vulnerabilities);
  return {
    scanner: text(input.scanner),
    scannedAt: normaliseTimestamp(input.scannedAt),
    summary: completeCounts(input.summary, counted.summary),
    fixable: completeCounts(input.fixable, counted.fixable),
    vulnerabilities,
  };
}

/** Counts vulnerabilities per severity: all of them, and those with a fixed version. */
export function countVulnerabilities(vulnerabilities: readonly Vulnerability[]): {
  summary: SeverityCounts;
  fixable: SeverityCounts;
} {
  const summary = zeroCounts();
  const fixable = zeroCounts();
  for (const vulnerability of vulnerabilities) {
    summary[vulnerability.severity] += 1;
    if (vulnerability.fixedVersion !== null) fixable[vulnerability.severity] += 1;
  }
  return { summary, fixable };
}

export function zeroCounts(): SeverityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
}

const SEVERITY_SYNONYMS: Record<string, VulnerabilitySeverity> = {
  critical: "critical",
  high: "high",
  important: "high",
  medium: "medium",
  moderate: "medium",
  low: "low",
  negligible: "low",
  minor: "low",
};

/** Maps a scanner's severity word to ours: any case, synonyms included; anything else is `unknown`. */
export function normaliseSeverity(severity: unknown): VulnerabilitySeverity {
  if (typeof severity !== "string") return "unknown";
  const key = severity.trim().toLowerCase();
  return Object.hasOwn(SEVERITY_SYNONYMS, key) ? (SEVERITY_SYNONYMS[key] ?? "unknown") : "unknown";
}

function normaliseVulnerability(input: VulnerabilityInput): Vulnerability {
  return {
    id: String(input.id),
    severity: normaliseSeverity(input.severity),
    package: text(input.package),
    installedVersion: text(input.installedVersion),
    fixedVersion: text(input.fixedVersion),
    aliases: Array.isArray(input.aliases)
      ? [
          ...new Set(
            input.aliases.filter((a): a is string => typeof a === "string" && a !== "" && a !== input.id),
          ),
        ]
      : [],
  };
}

/**
 * One entry per (id, package), in first-seen order. A later duplicate fills what the first
 * lacked (a fixed version, a known severity) rather than being dropped outright.
 */
function dedupeVulnerabilities(list: readonly Vulnerability[]): Vulnerability[] {
  const seen = new Map<string, Vulnerability>();
  for (const item of list) {
    const key = JSON.stringify([item.id, item.package]);
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, item);
      continue;
    }
    if (first.severity === "unknown") first.severity = item.severity;
    first.installedVersion ??= item.installedVersion;
    first.fixedVersion ??= item.fixedVersion;
  }
  return [...seen.values()];
}

function completeCounts(given: Partial<SeverityCounts> | null | undefined, counted: SeverityCounts) {
  if (!given) return counted;
  const out = zeroCounts();
  for (const severity of SEVERITIES) {
    const value = given[severity];
    out[severity] =
      typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : counted[severity];
  }
  return out;
}

function normaliseSignature(input: SignatureInput): SignatureFacts {
  return {
    verified: input.verified === true,
    identity: text(input.identity),
    issuer: text(input.issuer),
    source: text(input.source),
    verifiedAt: normaliseTimestamp(input.verifiedAt),
  };
}

function normaliseLabels(input: Readonly<Record<string, Loose>>): Record<string, string> {
  // fromEntries defines own properties, so a `__proto__` label stays a label.
  return Object.fromEntries(
    Object.entries(input).flatMap(([key, value]) => {
      const string = text(value);
      return string === null ? [] : [[key, string]];
    }),
  );
}

function text(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return null;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * An RFC 3339 timestamp as text (T and Z upper-cased), or null for anything else. A Date
 * becomes its ISO form. Go's zero time (`0001-01-01T00:00:00Z`), which scanners write for
 * "unknown", is null.
 */
export function normaliseTimestamp(value: unknown): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value !== "string") return null;
  const match = RFC3339.exec(value);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as number[];
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year ?? 0, (month ?? 1) - 1, day ?? 1);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() + 1 !== month || date.getUTCDate() !== day) {
    return null;
  }
  if ((hour ?? 0) > 23 || (minute ?? 0) > 59 || (second ?? 0) > 60) return null;
  if (year === 1 && month === 1 && day === 1 && hour === 0 && minute === 0 && second === 0) return null;
  return value.toUpperCase();
}

/** Milliseconds since the epoch of a timestamp accepted by `normaliseTimestamp`, else null. */
export function timestampMillis(value: string | null): number | null {
  if (value === null) return null;
  // Date.parse wants at most millisecond precision; trim the fraction first.
  const millis = Date.parse(value.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(millis) ? null : millis;
}

function referenceOf(ref: ImageReference): ImageReference {
  return {
    ref: ref.ref,
    registry: ref.registry,
    repository: ref.repository,
    tag: ref.tag ?? null,
    digest: ref.digest ?? null,
  };
}
