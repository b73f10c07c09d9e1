import {
  type CompiledPolicySet,
  compilePolicySet,
  costWarnings,
  displayPath,
  ESTIMATED_COST_LIMIT,
  expressionsOf,
  renderDiagnostic,
} from "@celgate/core";
import { unknownParamDiagnostics, unknownPolicyDiagnostics } from "@celgate/core/testing";
import { parseFlags } from "../args.js";
import { EXIT, InputError } from "../errors.js";
import { builtinPolicyDir, loadDocuments } from "../inputs/documents.js";
import { shownDiagnostic } from "../output.js";

export const VALIDATE_HELP = `Usage: celgate validate [PATH...]

Parses and type-checks policies, exceptions and policy tests found in PATH (files or folders;
default: the built-in library), and prints every problem with file:line:col and a caret under
it. Exit code 0 when everything compiles, 2 otherwise.

Options:
      --cost      print each expression's estimated worst-case cost, as Kubernetes estimates it;
                  one over Kubernetes' per-expression limit (10,000,000) is a warning
  -v, --verbose   also say how many CEL expressions run compiled to JavaScript, and name each
                  one that is interpreted, with the reason
  -h, --help      show this help
`;

export async function validate(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      help: { type: "boolean", short: "h" },
      verbose: { type: "boolean", short: "v" },
      cost: { type: "boolean" },
    },
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
  const policyNames = new Set(documents.policies.map((p) => p.doc.metadata.name));
  const diagnostics = [
    ...documents.diagnostics,
    ...compiled.diagnostics,
    // a test of a policy that is not there would only fail when run
    ...unknownPolicyDiagnostics(documents.tests, policyNames),
    // and a case's param that its policy does not accept would change nothing
    ...unknownParamDiagnostics(documents.tests, compiled.set),
  ];
  const errors = diagnostics.filter((d) => d.severity !== "warning");
  for (const d of diagnostics) process.stderr.write(`${renderDiagnostic(shownDiagnostic(d))}\n`);
  const fileLines = (file: string) => documents.lines.get(file);
  const costly = compiled.set.policies.flatMap((p) => costWarnings(p, { fileLines }));
  if (values.cost) {
    for (const d of costly) process.stderr.write(`${renderDiagnostic(shownDiagnostic(d))}\n`);
    process.stdout.write(costTable(compiled.set));
  } else if (costly.length > 0) {
    const n = costly.length;
    process.stderr.write(
      `WARNING: ${n} expression${n === 1 ? " is" : "s are"} over Kubernetes' estimated cost limit (celgate validate --cost lists them)\n`,
    );
  }
  const summary = `${documents.policies.length} policies, ${documents.exceptions.length} exceptions, ${documents.tests.length} tests`;
  if (errors.length > 0) {
    const first = errors[0]!;
    throw new InputError(
      `${[first.file, first.line, first.column].filter((p) => p !== undefined).join(":")}: ${first.message} (${errors.length} error${errors.length === 1 ? "" : "s"} in ${summary})`,
    );
  }
  // a wrong path (an empty folder) must not pass as "valid", as `test` and `export vap` refuse it
  if (documents.policies.length + documents.exceptions.length + documents.tests.length === 0)
    throw new InputError(`no celgate documents found in ${paths.join(", ")}`);
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
    for (const e of expressionsOf(policy)) {
      if (e.engine === "compiled") {
        compiled++;
        continue;
      }
      interpreted++;
      const at = policy.origin?.file ? `${displayPath(policy.origin.file)}: ` : "";
      lines.push(`interpreted: ${at}${policy.name} ${e.path}: ${e.interpretedBecause ?? "no reason given"}`);
    }
  }
  lines.push(`CEL expressions: ${compiled} compiled to JavaScript, ${interpreted} interpreted`);
  return `${lines.join("\n")}\n`;
}

/** One line per expression: estimated cost, policy and document path; over the limit marked. */
function costTable(set: CompiledPolicySet): string {
  const lines: string[] = [];
  for (const policy of set.policies) {
    for (const e of expressionsOf(policy)) {
      const cost = e.cost ?? 0;
      const over = cost > ESTIMATED_COST_LIMIT ? "  over the limit" : "";
      lines.push(`${cost.toLocaleString("en-US").padStart(20)}  ${policy.name} ${e.path}${over}`);
    }
  }
  lines.push(
    `limit: ${ESTIMATED_COST_LIMIT.toLocaleString("en-US")} per expression (Kubernetes' estimated cost limit)`,
  );
  return `${lines.join("\n")}\n`;
}
