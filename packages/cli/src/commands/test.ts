import { printable } from "@celgate/core";
import { runPolicyTests, unknownParamDiagnostics, unknownPolicyDiagnostics } from "@celgate/core/testing";
import { parseFlags } from "../args.js";
import { EXIT, InputError } from "../errors.js";
import { builtinPolicyDir } from "../inputs/documents.js";
import { fixtureReader } from "../inputs/fixtures.js";
import { loadPolicyInputs, throwOnErrors } from "../inputs/policy-set.js";
import { oneLine, useColor } from "../output.js";

export const TEST_HELP = `Usage: celgate test [options] [PATH...]

Runs the PolicyTest documents found in PATH (files or folders; default: the built-in
library) against the policies found there. Prints one line per failing case and ends with
"N passed, N failed". Exit code 0 when every case passes, 1 when any fails, 2 on input errors.

Options:
  -p, --policies PATH   extra policy files or folders (repeatable)
      --run PATTERN     only cases whose "policy/case" name contains PATTERN
  -v, --verbose         list passing cases too
  -h, --help            show this help
`;

export async function test(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      policies: { type: "string", short: "p", multiple: true },
      run: { type: "string" },
      verbose: { type: "boolean", short: "v" },
      help: { type: "boolean", short: "h" },
    },
    "test",
  );
  if (values.help) {
    process.stdout.write(TEST_HELP);
    return EXIT.allowed;
  }
  const paths = [...positionals, ...(values.policies ?? [])];
  const { set, documents } = loadPolicyInputs(paths.length > 0 ? paths : undefined, [], { tests: true });
  let tests = documents.tests;
  if (tests.length === 0)
    throw new InputError(`no PolicyTest documents found in ${paths.join(", ") || "the built-in library"}`);
  // a test of a policy that is not there can never run: an input error at its spec.policy
  throwOnErrors(
    [
      ...unknownPolicyDiagnostics(tests, new Set(documents.policies.map((p) => p.doc.metadata.name))),
      ...unknownParamDiagnostics(tests, set),
    ],
    "test",
  );
  const run = runPolicyTests(tests, set, {
    readFixture: fixtureReader(paths.length > 0 ? paths : [builtinPolicyDir()]),
  });
  const color = useColor(undefined);
  const red = (s: string) => (color ? `\u001b[31m${s}\u001b[39m` : s);
  const green = (s: string) => (color ? `\u001b[32m${s}\u001b[39m` : s);
  let cases = run.cases;
  if (values.run) cases = cases.filter((c) => `${c.policy}/${c.case}`.includes(values.run!));
  // a typo in --run must not pass as "0 passed, 0 failed"
  if (values.run !== undefined && cases.length === 0)
    throw new InputError(
      `--run ${JSON.stringify(values.run)}: no case's policy/case name contains it (of ${run.cases.length} cases)`,
    );
  tests = [];
  // names, messages and reasons come from test files and fixtures: one line each, and no
  // character of theirs acts on the terminal (an escape sequence, a bidi override)
  const shown = (text: string) => oneLine(printable(text));
  for (const c of cases) {
    // file:line:col of the case's entry, as diagnostics point (an editor or CI jumps there)
    const where = `${c.file ?? "?"}${c.line === undefined ? "" : `:${c.line}:${c.column ?? 1}`}`;
    if (!c.passed)
      process.stdout.write(`${red("FAIL")} ${shown(`${c.policy} / ${c.case} (${where}): ${c.reason}`)}\n`);
    else if (values.verbose) process.stdout.write(`${green("PASS")} ${shown(`${c.policy} / ${c.case}`)}\n`);
  }
  const passed = cases.filter((c) => c.passed).length;
  const failed = cases.length - passed;
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed > 0 ? EXIT.denied : EXIT.allowed;
}
