/**
 * Renders the CEL function reference (docs/cel-functions.md) from the libraries' FunctionDoc
 * entries. A test keeps the checked-in file equal to this output.
 */
import { functionLibraries } from "./index.js";

/** The function reference as Markdown. Deterministic: same libraries, same text. */
export function renderFunctionReference(): string {
  const lines = [
    "# CEL function reference",
    "",
    "<!-- Generated from packages/core/src/cel/lib by renderFunctionReference(); do not edit by hand. -->",
    "",
    "Every celgate expression has the CEL standard library (`size`, `contains`, `startsWith`,",
    "`endsWith`, `matches`, `has`, `all`, `exists`, `exists_one`, `map`, `filter`, conversions,",
    "timestamps and durations), optional values (`a.?b.orValue(x)`, `optional.of`, `optional.none`)",
    "and the Kubernetes libraries below, as Kubernetes 1.34 enables them, with the names and results",
    "they have there (differences: docs/policy-language.md). celgate's own functions, which a",
    "ValidatingAdmissionPolicy cannot use, are listed last, as such. Each example is checked by",
    "celgate's tests to give the result shown.",
    "",
  ];
  for (const library of functionLibraries) {
    lines.push(`## ${library.name}`, "", library.summary, "");
    for (const fn of library.functions) {
      lines.push(
        `### \`${fn.signature}\``,
        "",
        fn.description,
        "",
        "```cel",
        fn.example,
        `// => ${fn.result}`,
        "```",
        "",
      );
    }
  }
  return `${lines.join("\n").trimEnd()}\n`;
}
