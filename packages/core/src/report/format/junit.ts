import type { EvaluationReport, Result } from "../types.js";
import { groupByPolicy, portablePath, resourcePath, resultMessage } from "./shared.js";

export interface JunitFormatOptions {
  /** Strip this directory from the `file` attribute of test cases. */
  baseDir?: string;
}

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "\t": "&#9;",
  "\n": "&#10;",
  "\r": "&#13;",
};

/** Whether XML 1.0 allows a code point at all (even as a character reference). */
function allowedInXml(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

/**
 * Escapes text for XML 1.0. Markup characters become entities; in attributes tab, newline
 * and carriage return become character references so parsers keep them. Characters XML
 * cannot carry at all (most C0 controls, lone surrogates, U+FFFE/U+FFFF) are written as the
 * visible text `\uXXXX`.
 */
export function escapeXml(text: string, attribute = false): string {
  let out = "";
  // for...of walks code points, so a valid surrogate pair stays one character.
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (!allowedInXml(code)) {
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else if (char === "&" || char === "<" || char === ">") {
      out += ENTITIES[char];
    } else if (attribute && char in ENTITIES) {
      out += ENTITIES[char];
    } else {
      out += char;
    }
  }
  return out;
}

function attributes(attrs: Record<string, string | number | undefined>): string {
  return Object.entries(attrs)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${escapeXml(String(value), true)}"`)
    .join("");
}

function details(result: Result, options: JunitFormatOptions): string {
  const lines: string[] = [];
  if (result.outcome === "error" && result.error !== null) lines.push(`error: ${result.error}`);
  for (const violation of result.violations) {
    lines.push(violation.fieldPath ? `${violation.message} (at ${violation.fieldPath})` : violation.message);
  }
  lines.push(`severity: ${result.severity}, action: ${result.action}`);
  const { source } = result.resource;
  if (source) lines.push(`source: ${portablePath(source.file, options.baseDir)}:${source.line}`);
  if (result.remediation) lines.push(`hint: ${result.remediation}`);
  return escapeXml(lines.join("\n"));
}

function testcase(result: Result, options: JunitFormatOptions): string[] {
  const { source } = result.resource;
  const open = `    <testcase${attributes({
    classname: result.policy,
    name: resourcePath(result.resource),
    file: source ? portablePath(source.file, options.baseDir) : undefined,
    line: source?.line,
    time: 0,
  })}`;
  switch (result.outcome) {
    case "pass":
      return [`${open}/>`];
    case "fail":
      return [
        `${open}>`,
        `      <failure${attributes({ message: resultMessage(result), type: result.action })}>${details(result, options)}</failure>`,
        "    </testcase>",
      ];
    case "error":
      return [
        `${open}>`,
        `      <error${attributes({ message: resultMessage(result), type: "EvaluationError" })}>${details(result, options)}</error>`,
        "    </testcase>",
      ];
    case "waived":
      return [
        `${open}>`,
        `      <skipped${attributes({ message: `waived by exception ${result.exception ?? "(unnamed)"}` })}/>`,
        "    </testcase>",
      ];
    case "skip":
      return [
        `${open}>`,
        `      <skipped${attributes({ message: "policy does not apply" })}/>`,
        "    </testcase>",
      ];
  }
}

interface Totals {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function totals(results: readonly Result[]): Totals {
  const sum: Totals = { tests: results.length, failures: 0, errors: 0, skipped: 0 };
  for (const result of results) {
    if (result.outcome === "fail") sum.failures += 1;
    else if (result.outcome === "error") sum.errors += 1;
    else if (result.outcome === "waived" || result.outcome === "skip") sum.skipped += 1;
  }
  return sum;
}

/**
 * JUnit XML: a `<testsuite>` per policy, a `<testcase>` per resource it was evaluated on
 * (`<failure>` for fail, `<error>` for error, `<skipped>` for waived and listed skips), with
 * totals on every suite and on `<testsuites>`. Ends with a newline; never throws.
 */
export function formatJunit(report: EvaluationReport, options: JunitFormatOptions = {}): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(`<testsuites${attributes({ name: "celgate", ...totals(report.results), time: 0 })}>`);
  for (const group of groupByPolicy(report.results)) {
    lines.push(
      `  <testsuite${attributes({
        name: group.policy,
        ...totals(group.results),
        time: 0,
        timestamp: report.evaluatedAt,
      })}>`,
    );
    for (const result of group.results) lines.push(...testcase(result, options));
    lines.push("  </testsuite>");
  }
  lines.push("</testsuites>");
  return `${lines.join("\n")}\n`;
}
