import { printable } from "@celgate/core";
import { EXIT, InputError } from "./errors.js";
import { oneLine } from "./output.js";

const HELP = `celgate: policy-as-code for Kubernetes deployments

Usage: celgate <command> [options]

Commands:
  check [PATH...]         evaluate policies over manifests and print the report
  test [PATH...]          run PolicyTest documents ("N passed, N failed")
  validate [PATH...]      compile and type-check policies
  export vap [PATH...]    ValidatingAdmissionPolicy + Binding YAML for exportable policies
  images push FILE...     send image facts (Trivy, Grype, native) to the service
  verify RECEIPT [PATH...] check a signed decision receipt against manifests (--key)
  findings --server URL   list the open findings of a service (exit 1 with --fail-on)
  policies [list|show N]  list the policies of a set, or show one whole
  eval EXPR [-f FILE]     evaluate one CEL expression with the policy environment
  explain PATH --policy N why a policy passed, failed or was skipped for a resource
  completion SHELL        print a completion script for bash, zsh or fish

Run "celgate <command> --help" for a command's options.
Exit codes: 0 allowed, 1 denied (or tests failed), 2 usage or input error.
`;

async function dispatch(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "check":
      return (await import("./commands/check.js")).check(rest);
    case "test":
      return (await import("./commands/test.js")).test(rest);
    case "validate":
      return (await import("./commands/validate.js")).validate(rest);
    case "export":
      return (await import("./commands/export.js")).exportCommand(rest);
    case "images":
      return (await import("./commands/images.js")).images(rest);
    case "findings":
      return (await import("./commands/findings.js")).findingsCommand(rest);
    case "policies":
      return (await import("./commands/policies.js")).policiesCommand(rest);
    case "explain":
      return (await import("./commands/explain.js")).explainCommand(rest);
    case "eval":
      return (await import("./commands/eval.js")).evalCommand(rest);
    case "verify":
      return (await import("./commands/verify.js")).verifyCommand(rest);
    case "completion":
      return (await import("./commands/completion.js")).completion(rest);
    case undefined:
      // a usage error: the usage goes to stderr with it, ending in the one-line reason
      throw new InputError("no command given (see celgate --help)", HELP.trimEnd());
    case "help":
    case "-h":
    case "--help":
      process.stdout.write(HELP);
      return EXIT.allowed;
    case "--version":
    case "version":
      process.stdout.write(`${(await import("./version.js")).versionLine()}\n`);
      return EXIT.allowed;
    default:
      throw new InputError(`unknown command ${JSON.stringify(command)} (see celgate --help)`);
  }
}

/**
 * Runs one celgate command line (without the program name) and resolves to its exit code:
 * 0 allowed, 1 denied (or tests failed), 2 usage or input error. Never rejects: an input error
 * is printed to stderr as one line (after its diagnostics), an unexpected failure as one line
 * too (with the stack when CELGATE_DEBUG is set). Reads and writes the process's cwd, stdin,
 * stdout and stderr, so tests can run it in process.
 */
export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (error) {
    // what an error says may come from a file or a service: nothing of it acts on the terminal
    if (error instanceof InputError) {
      if (error.details) process.stderr.write(`${printable(error.details)}\n`);
      process.stderr.write(`celgate: ${oneLine(printable(error.message))}\n`);
      return EXIT.input;
    }
    // an unexpected failure: one line, no stack unless asked for
    process.stderr.write(
      `celgate: internal error: ${oneLine(printable((error as Error)?.message ?? String(error)))}\n`,
    );
    if (process.env.CELGATE_DEBUG) process.stderr.write(`${(error as Error)?.stack}\n`);
    return EXIT.input;
  }
}
