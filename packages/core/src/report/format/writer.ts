import type { ReportHead } from "../outcome.js";
import type { Result } from "../types.js";

/**
 * A format written as results arrive, resource by resource, without the whole report: its text
 * is `head`, then each `results` text in the order given, then `tail`. `results` is given the
 * listed results of each resource in report order, all of them before `tail` (which may depend
 * on what it was given); `head` may be asked any time, once the report's head is known. A
 * writer is for one report. Never throws.
 */
export interface ReportWriter {
  /** The text before the results: it may name the decision and the summary. */
  head(report: ReportHead): string;
  /** The text of one resource's listed results (the results of one resource only). */
  results(results: readonly Result[]): string;
  /** The text after the results. */
  tail(report: ReportHead): string;
}
