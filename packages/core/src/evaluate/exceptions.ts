import { anyGlob } from "../match/glob.js";
import { type MatchSubject, matches } from "../match/match.js";
import type { ExceptionDocument } from "../policy/schema.js";
import type { ReportNotice } from "../report/types.js";

/** An exception split by what it waives, with its expiry checked once per evaluation. */
export interface LiveException {
  doc: ExceptionDocument;
  name: string;
  /** CVE ids accepted; when set, only those vulnerabilities are waived, not the whole policy. */
  vulnerabilities?: Set<string>;
}

/** Keeps the exceptions live at `now`; expired ones become notices. Never throws. */
export function liveExceptions(
  exceptions: readonly ExceptionDocument[],
  now: Date,
): { live: LiveException[]; notices: ReportNotice[] } {
  const live: LiveException[] = [];
  const notices: ReportNotice[] = [];
  for (const doc of exceptions) {
    const expires = new Date(doc.spec.expires);
    if (!(expires.getTime() > now.getTime())) {
      notices.push({
        kind: "expired-exception",
        exception: doc.metadata.name,
        message: `exception ${doc.metadata.name} expired at ${expires.toISOString()} and no longer applies (owner: ${doc.spec.owner ?? "unknown"})`,
      });
      continue;
    }
    live.push({
      doc,
      name: doc.metadata.name,
      vulnerabilities: doc.spec.vulnerabilities?.length ? new Set(doc.spec.vulnerabilities) : undefined,
    });
  }
  return { live, notices };
}

/** Does the exception name this policy and match this resource? (Image restriction is checked by the caller.) */
export function exceptionCovers(exception: LiveException, policy: string, subject: MatchSubject): boolean {
  const policies = exception.doc.spec.policies;
  if (!policies.includes("*") && !policies.includes(policy)) return false;
  return matches(exception.doc.spec.match, subject);
}

/**
 * The exception's `images` restriction: without one, anything; with one, the resource must have
 * images and every one of them (as written in the manifest) must match one of its globs.
 */
export function exceptionImageMatches(exception: LiveException, refs: readonly string[]): boolean {
  const globs = exception.doc.spec.images;
  if (!globs || globs.length === 0) return true;
  return refs.length > 0 && refs.every((ref) => anyGlob(globs, ref));
}
