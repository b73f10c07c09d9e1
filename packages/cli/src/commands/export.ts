import { exportVap } from "@celgate/core";
import yaml from "js-yaml";
import { parseFlags } from "../args.js";
import { EXIT, InputError } from "../errors.js";
import { loadPolicyInputs } from "../inputs/policy-set.js";
import { refuseInputAsOutput, writeOutput } from "../output.js";
import { requireSelectionMatches } from "./check.js";

export const EXPORT_HELP = `Usage: celgate export vap [options] [PATH...]

Writes a ValidatingAdmissionPolicy and a ValidatingAdmissionPolicyBinding
(admissionregistration.k8s.io/v1) for every policy in PATH (default: the built-in library)
that uses only what Kubernetes admission supports. For each other policy, one line on stderr
says why it cannot be exported (it reads images, bundle, context or now, or calls a CEL
function a ValidatingAdmissionPolicy does not have, named with its file:line:col). An
expression whose estimated cost is over Kubernetes' limit is exported with a warning on stderr
(see celgate validate --cost).

Options:
  -s, --select SELECTOR   only policies whose labels match (e.g. "pss=baseline")
      --output FILE       write the YAML to FILE instead of stdout
  -h, --help              show this help
`;

export async function exportCommand(argv: string[]): Promise<number> {
  const [target, ...rest] = argv;
  if (target === "--help" || target === "-h") {
    process.stdout.write(EXPORT_HELP);
    return EXIT.allowed;
  }
  if (target !== "vap")
    throw new InputError(`export: unknown target ${JSON.stringify(target ?? "")} (only "vap")`);
  const { values, positionals } = parseFlags(
    rest,
    {
      select: { type: "string", short: "s" },
      output: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    "export vap",
  );
  if (values.help) {
    process.stdout.write(EXPORT_HELP);
    return EXIT.allowed;
  }
  refuseInputAsOutput("--output", values.output, positionals);
  const { set, documents: sources } = loadPolicyInputs(positionals.length > 0 ? positionals : undefined);
  let policies = set.policies;
  if (values.select !== undefined) {
    const { parseLabelSelector } = await import("@celgate/core");
    const selector = parseLabelSelector(values.select);
    if (!selector.ok) throw new InputError(`--select: ${selector.error}`);
    policies = requireSelectionMatches(set, selector.selector).policies;
  }
  const documents: string[] = [];
  let skipped = 0;
  for (const policy of policies) {
    const result = exportVap(policy, { fileLines: (file) => sources.lines.get(file) });
    if (!result.exportable) {
      skipped++;
      process.stderr.write(`not exported: ${policy.name}: ${result.reason}\n`);
      continue;
    }
    for (const warning of result.costWarnings) {
      process.stderr.write(`warning: ${policy.name}: over Kubernetes' estimated cost limit: ${warning}\n`);
    }
    documents.push(
      yaml.dump(result.policy, { lineWidth: -1, noRefs: true }),
      yaml.dump(result.binding, { lineWidth: -1 }),
    );
  }
  writeOutput(documents.map((d) => `---\n${d}`).join(""), values.output);
  process.stderr.write(`${documents.length / 2} exported, ${skipped} not exportable\n`);
  return EXIT.allowed;
}
