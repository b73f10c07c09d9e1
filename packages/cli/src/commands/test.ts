import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { runPolicyTests } from "@celgate/core/testing";
import { parseFlags } from "../args.js";
import { EXIT, InputError } from "../errors.js";
import { loadPolicyInputs } from "../inputs/policy-set.js";
import { useColor } from "../output.js";

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
  const run = runPolicyTests(tests, set, {
    readFixture: (testFile, path) => {
      try {
        return readFileSync(resolve(testFile ? dirname(testFile) : ".", path), "utf8");
      } catch {
        return undefined;
      }
    },
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
  for (const c of cases) {
    if (!c.passed)
      process.stdout.write(`${red("FAIL")} ${c.policy} / ${c.case} (${c.file ?? "?"}): ${c.reason}\n`);
    else if (values.verbose) process.stdout.write(`${green("PASS")} ${c.policy} / ${c.case}\n`);
  }
  const passed = cases.filter((c) => c.passed).length;
  const failed = cases.length - passed;
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed > 0 ? EXIT.denied : EXIT.allowed;
}
