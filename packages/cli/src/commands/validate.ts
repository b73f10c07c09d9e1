import { compilePolicySet, renderDiagnostic } from "@celgate/core";
import { parseFlags } from "../args.js";
import { EXIT, InputError } from "../errors.js";
import { builtinPolicyDir, loadDocuments } from "../inputs/documents.js";

export const VALIDATE_HELP = `Usage: celgate validate [PATH...]

Parses and type-checks policies, exceptions and policy tests found in PATH (files or folders;
default: the built-in library), and prints every problem with file:line:col and a caret under
it. Exit code 0 when everything compiles, 2 otherwise.

Options:
  -h, --help   show this help
`;

export async function validate(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { help: { type: "boolean", short: "h" } }, "validate");
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
  process.stdout.write(`ok: ${summary}\n`);
  return EXIT.allowed;
}
