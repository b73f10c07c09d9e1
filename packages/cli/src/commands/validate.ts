import { type CompiledPolicySet, compilePolicySet, renderDiagnostic } from "@celgate/core";
import { parseFlags } from "../args.js";
import { EXIT, InputError } from "../errors.js";
import { builtinPolicyDir, loadDocuments } from "../inputs/documents.js";

export const VALIDATE_HELP = `Usage: celgate validate [PATH...]

Parses and type-checks policies, exceptions and policy tests found in PATH (files or folders;
default: the built-in library), and prints every problem with file:line:col and a caret under
it. Exit code 0 when everything compiles, 2 otherwise.

Options:
  -v, --verbose   also say how many CEL expressions run compiled to JavaScript, and name each
                  one that is interpreted, with the reason
  -h, --help      show this help
`;

export async function validate(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { help: { type: "boolean", short: "h" }, verbose: { type: "boolean", short: "v" } },
    "validate",
  );
  if (values.help) {
    process.stdout.write(VALIDATE_HELP);
    return EXIT.allowed;
  }
  // like `celgate test`, no path means the built-in library
  const paths = positionals.length > 0 ? positionals : [builtinPolicyDir()];
  const documents = loadDocuments(paths, { tests: true });
  const compiled = compilePolicySet(documents.policies, { fileLines: (file) => documents.lines.get(file) });
  const diagnostics = [...documents.diagnostics, ...compiled.diagnostics];
  const errors = diagnostics.filter((d) => d.severity !== "warning");
  for (const d of diagnostics) process.stderr.write(`${renderDiagnostic(d)}\n`);
  const summary = `${documents.policies.length} policies, ${documents.exceptions.length} exceptions, ${documents.tests.length} tests`;
  if (errors.length > 0) {
    const first = errors[0]!;
    throw new InputError(
      `${[first.file, first.line, first.column].filter((p) => p !== undefined).join(":")}: ${first.message} (${errors.length} error${errors.length === 1 ? "" : "s"} in ${summary})`,
    );
  }
  if (values.verbose) process.stdout.write(engineLines(compiled.set));
  process.stdout.write(`ok: ${summary}\n`);
  return EXIT.allowed;
}

/** How each expression runs: a count of compiled ones, and each interpreted one with its reason. */
function engineLines(set: CompiledPolicySet): string {
  const lines: string[] = [];
  let compiled = 0;
  let interpreted = 0;
  for (const policy of set.policies) {
    const expressions = [
      ...policy.matchConditions,
      ...policy.variables,
      ...policy.validations.flatMap((v) =>
        v.messageExpression ? [v.expression, v.messageExpression] : [v.expression],
      ),
    ];
    for (const e of expressions) {
      if (e.engine === "compiled") {
        compiled++;
        continue;
      }
      interpreted++;
      const at = policy.origin?.file ? `${policy.origin.file}: ` : "";
      lines.push(`interpreted: ${at}${policy.name} ${e.path}: ${e.interpretedBecause ?? "no reason given"}`);
    }
  }
  lines.push(`CEL expressions: ${compiled} compiled to JavaScript, ${interpreted} interpreted`);
  return `${lines.join("\n")}\n`;
}
