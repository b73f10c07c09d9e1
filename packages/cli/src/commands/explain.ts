import { displayPath, type ExplainedStep, type Explanation, explain, printable } from "@celgate/core";
import { keyValues, mergeParams, oneOf, parseFlags, policyParams, timestampFlag } from "../args.js";
import { EXIT, InputError } from "../errors.js";
import { loadImageFacts, loadParamsFile } from "../inputs/data.js";
import { pickResource } from "../inputs/pick.js";
import { loadPolicyInputs, throwOnErrors } from "../inputs/policy-set.js";
import { loadManifests, requireParamsKnown } from "./check.js";

export const EXPLAIN_HELP = `Usage: celgate explain PATH... --policy NAME [options]

Explains why a policy passed, failed, errored, was skipped or waived for a resource: each
match criterion and whether it holds, each matchCondition's value, each variable's value,
each validation's value, and the exception that applied. Exit code 0 (2 for bad input).

Options:
      --policy NAME          the policy to explain (required)
  -r, --resource KIND/NAME   the resource of PATH to explain (default: every resource, up to 20)
  -p, --policies PATH        policy file or folder (repeatable); default: the built-in library
  -i, --images PATH          image facts: native JSON/YAML, Trivy JSON, Grype JSON (repeatable)
  -e, --exceptions PATH      PolicyException documents (repeatable)
      --param POLICY.NAME=JSON   override one param (repeatable)
      --params FILE          YAML/JSON map of policy name -> params
      --context KEY=VALUE    context values (repeatable)
      --now TIMESTAMP        fixed clock (RFC 3339)
  -o, --format FORMAT        text (default) | json
  -h, --help                 show this help
`;

const FLAGS = {
  policy: { type: "string" },
  resource: { type: "string", short: "r" },
  policies: { type: "string", short: "p", multiple: true },
  images: { type: "string", short: "i", multiple: true },
  exceptions: { type: "string", short: "e", multiple: true },
  param: { type: "string", multiple: true },
  params: { type: "string" },
  context: { type: "string", multiple: true },
  now: { type: "string" },
  format: { type: "string", short: "o" },
  help: { type: "boolean", short: "h" },
} as const;

const MAX_RESOURCES = 20;

/** Runs `celgate explain`; returns the exit code. Throws InputError for usage and input problems. */
export async function explainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, FLAGS, "explain");
  if (values.help) {
    process.stdout.write(EXPLAIN_HELP);
    return EXIT.allowed;
  }
  if (!values.policy) throw new InputError("explain: --policy NAME is required");
  if (positionals.length === 0) throw new InputError("explain: no manifests given (pass files or folders)");
  const format = oneOf(values.format, ["text", "json"] as const, "text", "--format");
  const { set, exceptions } = loadPolicyInputs(values.policies, values.exceptions ?? []);
  if (!set.byName.has(values.policy)) {
    const near = set.policies
      .map((p) => p.name)
      .filter((n) => n.includes(values.policy!) || values.policy!.includes(n));
    throw new InputError(
      `--policy ${values.policy}: no such policy${near.length ? ` (did you mean ${near.slice(0, 3).join(", ")}?)` : ""}`,
    );
  }
  const resources = loadManifests(positionals);
  const chosen = values.resource === undefined ? resources : [pickResource(resources, values.resource)];
  const images = loadImageFacts(values.images ?? []);
  throwOnErrors(images.diagnostics, "image facts");
  const fileParams = loadParamsFile(values.params);
  const flagParams = policyParams(values.param);
  // as in check: a param for a policy the set does not have is a typo, not to be ignored
  requireParamsKnown(set, values, flagParams, fileParams);
  const params = mergeParams(fileParams, flagParams);
  const now = timestampFlag(values.now, "--now");
  const input = {
    resources,
    images: images.images,
    exceptions,
    params,
    context: keyValues(values.context, "--context"),
    ...(now ? { now } : {}),
  };
  const explanations = chosen
    .slice(0, MAX_RESOURCES)
    .map((r) => explain(set, values.policy!, r, input))
    .filter((e): e is Explanation => e !== undefined);
  if (format === "json") process.stdout.write(`${JSON.stringify(explanations, null, 2)}\n`);
  else {
    process.stdout.write(explanations.map(text).join("\n"));
    if (chosen.length > MAX_RESOURCES)
      process.stdout.write(
        `\n(${chosen.length - MAX_RESOURCES} more resources; choose one with --resource)\n`,
      );
  }
  return EXIT.allowed;
}

function text(e: Explanation): string {
  const r = e.result;
  const ref = r.resource;
  const where = ref.source ? ` (${displayPath(ref.source.file)}:${ref.source.line})` : "";
  const lines = [
    `${r.policy} on ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}${where}: ${r.outcome}`,
  ];
  if (r.exception) lines.push(`  waived by exception ${r.exception}`);
  if (r.error) lines.push(`  error: ${r.error}`);
  for (const v of r.violations)
    lines.push(`  violation: ${v.message}${v.fieldPath ? ` at ${v.fieldPath}` : ""}`);
  const section = (title: string, steps: readonly ExplainedStep[], show: (s: ExplainedStep) => string) => {
    if (steps.length === 0) return;
    lines.push(`  ${title}:`);
    for (const s of steps) lines.push(`    ${show(s)}`);
  };
  const value = (s: ExplainedStep) => (s.error !== undefined ? `error: ${s.error}` : `${s.value}`);
  if (e.match.length === 0) lines.push("  match: (none: every resource)");
  section("match", e.match, (s) => `${s.value === "true" ? "holds " : "FAILS "} ${s.name} ${s.detail}`);
  section("matchConditions", e.matchConditions, (s) => `${s.name}: ${s.detail}  =>  ${value(s)}`);
  section("variables", e.variables, (s) => `${s.name} = ${s.detail}  =>  ${value(s)}`);
  section("validations", e.validations, (s) => `${s.detail}  =>  ${value(s)}`);
  // names, messages and values come from manifests and policies: no character of theirs acts
  // on the terminal (an escape sequence, a bidi override), and a line they break (a message
  // or expression of several lines) goes on indented below its own, as check's report does
  return `${lines.map((line) => printable(line).replaceAll("\n", `\n${line.match(/^ */)![0]}    `)).join("\n")}\n`;
}
