import { printable } from "../../util/printable.js";
import type { Decision, EvaluationReport, ResourceRef, Result, Summary } from "../types.js";
import { groupByResource } from "./shared.js";
import type { ReportWriter } from "./writer.js";

export interface TextFormatOptions {
  /** ANSI colours (for a terminal); off by default. */
  color?: boolean;
  /** List passing (and listed skipped) pairs one by one instead of counting them. */
  verbose?: boolean;
  /** Only the notices and the summary line (decision and counts). */
  quiet?: boolean;
}

type Style = "bold" | "dim" | "red" | "green" | "yellow" | "blue" | "magenta" | "cyan";

// SGR codes as [on, off]: each style switches only itself off, so styles nest.
const SGR: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
};

type Paint = (text: string, ...styles: Style[]) => string;

function painter(enabled: boolean): Paint {
  if (!enabled) return (text) => text;
  return (text, ...styles) =>
    styles.reduce((inner, style) => `\u001b[${SGR[style][0]}m${inner}\u001b[${SGR[style][1]}m`, text);
}

// control characters (newline, ESC, C1), line and paragraph separators, the bidirectional
// controls that make text read in another order than it is stored, and zero-width characters
const UNSAFE_IN_PATH =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
const UNSAFE_AFTER_JSON = /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/**
 * A file path as shown to a person, on one line: unchanged when it is plain, and quoted as a
 * JSON string when it holds a character that would break the line, colour the terminal or
 * reorder the text (`"a\nb.yaml"`, `"x\u001b[31m.yaml"`). Pure; never throws.
 */
export function displayPath(path: string): string {
  if (!UNSAFE_IN_PATH.test(path)) return path;
  return JSON.stringify(path).replace(
    UNSAFE_AFTER_JSON,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

const LABEL_WIDTH = 8;
const INDENT = "  ";
const DETAIL = `${INDENT}${" ".repeat(LABEL_WIDTH)}`;

function header(ref: ResourceRef, paint: Paint): string {
  const name = ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
  const where = ref.source ? ` ${paint(`(${displayPath(ref.source.file)}:${ref.source.line})`, "dim")}` : "";
  return `${paint(printable(`${ref.kind} ${name}`), "bold")}${where}`;
}

function label(result: Result, paint: Paint): string {
  const padded = (text: string) => text.padEnd(LABEL_WIDTH);
  switch (result.outcome) {
    case "fail": {
      const colour: Style = result.action === "deny" ? "red" : result.action === "warn" ? "yellow" : "cyan";
      return paint(padded("FAIL"), colour, "bold");
    }
    case "error":
      return paint(padded("ERROR"), "magenta", "bold");
    case "waived":
      return paint(padded("WAIVED"), "blue");
    case "pass":
      return paint(padded("PASS"), "green");
    case "skip":
      return paint(padded("SKIP"), "dim");
  }
}

/** Indents every line after the first of a multi-line text to the detail column. */
function detail(text: string): string {
  return `${DETAIL}${printable(text).split("\n").join(`\n${DETAIL}`)}`;
}

function resultLines(result: Result, paint: Paint): string[] {
  const policy = printable(result.policy);
  const facts = paint(`(${result.severity}, ${result.action})`, "dim");
  const waiver = result.exception ? ` by exception ${printable(result.exception)}` : "";
  const lines = [`${INDENT}${label(result, paint)}${paint(policy, "bold")} ${facts}${waiver}`];
  if (result.outcome === "pass" || result.outcome === "skip") return lines;
  if (result.outcome === "error" && result.error !== null) lines.push(detail(`error: ${result.error}`));
  for (const violation of result.violations) {
    const at = violation.fieldPath ? paint(` at ${printable(violation.fieldPath)}`, "dim") : "";
    lines.push(`${detail(violation.message)}${at}`);
  }
  return lines;
}

function count(n: number, one: string, many: string = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const DECISION_STYLE: Record<Decision, Style> = { deny: "red", warn: "yellow", allow: "green" };

function summaryLine(decision: Decision, summary: Summary, paint: Paint): string {
  const counts = [
    count(summary.resources, "resource"),
    `${summary.pass} passed`,
    `${summary.fail} failed`,
    count(summary.error, "error"),
    `${summary.waived} waived`,
    `${summary.skip} skipped`,
  ].join(", ");
  return `${paint(decision, DECISION_STYLE[decision], "bold")}: ${counts}`;
}

/** The resources for which a policy failed or errored, for its remediation hint. */
interface Hint {
  remediation: string;
  /** The first resources named; the others only counted. */
  named: string[];
  count: number;
}

/** Resources named per hint; the rest are counted. */
const SHOWN = 5;

/**
 * One block per policy that failed or errored somewhere and has a remediation: the hint once,
 * then the resources it concerns (at most a few names, then a count), so that a large bundle
 * does not repeat the same hint under every resource.
 */
function hintLines(hints: ReadonlyMap<string, Hint>, paint: Paint): string[] {
  const lines: string[] = [];
  for (const [policy, { remediation, named, count }] of hints) {
    const more = count > SHOWN ? `, and ${count - SHOWN} more` : "";
    lines.push(`${INDENT}${paint(printable(policy), "bold")}: ${paint(printable(remediation), "cyan")}`);
    lines.push(`${INDENT}${INDENT}${paint(printable(named.join(", ") + more), "dim")}`);
  }
  return lines.length > 0 ? [paint("How to fix:", "bold"), ...lines] : [];
}

/**
 * The report for people: one block per resource with every failing, erroring and waived
 * policy (severity, action, messages), passes counted (listed when `verbose`), then each
 * failing policy's remediation hint once with the resources it concerns, notices, and a last
 * summary line such as
 * `deny: 3 resources, 40 passed, 2 failed, 0 errors, 1 waived, 50 skipped`. Resources with
 * nothing to show but passes are only counted, unless `verbose`, so that findings stand out in
 * a large bundle. Never throws.
 */
export function formatText(report: EvaluationReport, options: TextFormatOptions = {}): string {
  const writer = textWriter(options);
  let text = writer.head(report);
  for (const group of groupByResource(report.results)) text += writer.results(group.results);
  return text + writer.tail(report);
}

/**
 * The text format written as results arrive (see ReportWriter): a block per resource as its
 * results come, then the count of clean resources, the hints, the notices and the summary
 * line. The text is `formatText`'s for the same report when each resource's results come
 * together. Never throws.
 */
export function textWriter(options: TextFormatOptions = {}): ReportWriter {
  const paint = painter(options.color === true);
  let blocks = 0;
  let clean = 0;
  const hints = new Map<string, Hint>();
  return {
    head: () => "",
    results(results) {
      if (options.quiet || results.length === 0) return "";
      for (const r of results) {
        if ((r.outcome !== "fail" && r.outcome !== "error") || !r.remediation) continue;
        let hint = hints.get(r.policy);
        if (!hint) {
          hint = { remediation: r.remediation, named: [], count: 0 };
          hints.set(r.policy, hint);
        }
        hint.count += 1;
        const ref = r.resource;
        if (hint.named.length < SHOWN)
          hint.named.push(`${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`);
      }
      const quietOnly = results.every((r) => r.outcome === "pass" || r.outcome === "skip");
      if (quietOnly && !options.verbose) {
        clean += 1;
        return "";
      }
      // results come a resource at a time: the first one names it
      const lines = [header(results[0]!.resource, paint)];
      let passed = 0;
      let skipped = 0;
      for (const result of results) {
        const quiet = result.outcome === "pass" || result.outcome === "skip";
        if (quiet && !options.verbose) {
          if (result.outcome === "pass") passed += 1;
          else skipped += 1;
          continue;
        }
        lines.push(...resultLines(result, paint));
      }
      const tally = [
        passed > 0 ? paint(`${passed} passed`, "green") : "",
        skipped > 0 ? `${skipped} skipped` : "",
      ];
      const counted = tally.filter(Boolean).join(", ");
      if (counted) lines.push(`${INDENT}${counted}`);
      return `${blocks++ > 0 ? "\n\n" : ""}${lines.join("\n")}`;
    },
    tail(report) {
      const tail: string[] = [];
      const notices = (report.notices ?? []).map(
        (notice) => `${paint("notice:", "yellow")} ${printable(notice.message)}`,
      );
      if (clean > 0) {
        tail.push(
          `${paint(`${count(clean, "resource")} passed every policy that applies`, "green")} (-v lists them)`,
        );
      }
      const hinted = hintLines(hints, paint);
      if (hinted.length > 0) tail.push(hinted.join("\n"));
      if (notices.length > 0) tail.push(notices.join("\n"));
      tail.push(summaryLine(report.decision, report.summary, paint));
      return `${blocks > 0 ? "\n\n" : ""}${tail.join("\n\n")}\n`;
    },
  };
}
