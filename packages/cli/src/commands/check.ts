import { writeFileSync } from "node:fs";
import {
  type CompiledPolicySet,
  displayPath,
  type EvaluateInput,
  type EvaluationReport,
  evaluate,
  evaluateStream,
  type ParamProblem,
  paramProblems,
  parseLabelSelector,
  parseManifests,
  REPORT_FORMATS,
  type ReportFormat,
  type ReportHead,
  type ReportNotice,
  type Resource,
  reportWriter,
  type Selector,
  selectPolicies,
  skippedDocumentNotices,
  writeReport,
} from "@celgate/core";
import { keyValues, mergeParams, oneOf, parseFlags, policyParams, timestampFlag } from "../args.js";
import { EXIT, InputError } from "../errors.js";
import { loadImageFacts, loadParamsFile } from "../inputs/data.js";
import { listInputs, manifestOptions } from "../inputs/files.js";
import { loadPolicyInputs, throwOnErrors } from "../inputs/policy-set.js";
import { refuseInputAsOutput, Spool, useColor, writeOutputStreamed } from "../output.js";
import { Progress } from "../progress.js";

export const CHECK_HELP = `Usage: celgate check [options] [PATH...]

Evaluates policies over Kubernetes manifests (files or folders of *.yaml, *.yml, *.json,
recursive; - reads stdin) and prints the report. Exit code: 0 allowed, 1 denied (see
--fail-on), 2 usage or input error.

Options:
  -p, --policies PATH        policy file or folder (repeatable); default: the built-in library
  -i, --images PATH          image facts: native JSON/YAML, Trivy JSON, Grype JSON (repeatable)
  -e, --exceptions PATH      PolicyException documents (repeatable)
  -s, --select SELECTOR      label selector over policy labels: "pss=baseline",
                             "pss in (baseline,restricted)", "practice!=logging"
      --param POLICY.NAME=JSON   override one param (repeatable)
      --params FILE          YAML/JSON map of policy name -> params
      --context KEY=VALUE    what is being deployed: environment, cluster, namespace, commit...
      --now TIMESTAMP        fixed clock (RFC 3339)
  -o, --format FORMAT        text (default) | json | sarif | junit | policyreport
      --output FILE          write the report to FILE instead of stdout
      --fail-on LEVEL        deny (default) | warn | never
      --include-skipped      list skipped pairs in the report too
      --omit-passing         leave passing results out of the report (still counted in the
                             summary); keeps the report of a large bundle small
      --pretty               json: indented even when not written to a terminal (json is
                             compact when stdout is not a terminal or with --output)
  -v, --verbose              text format: list passing policies too
  -q, --quiet                text format: only the decision and the counts
      --server URL           evaluate through the REST service (records history); also CELGATE_SERVER
      --token TOKEN          bearer token for --server; also CELGATE_TOKEN
                             (CELGATE_TIMEOUT: seconds per call to the service, retries
                             included; default 60. CELGATE_MAX_RESPONSE_BYTES: the longest
                             answer read; default 1 GiB)
      --receipt FILE         with --server: write the decision's signed receipt (a DSSE
                             envelope) to FILE, for "celgate verify" in the deploy job
  -h, --help                 show this help
`;

const FLAGS = {
  policies: { type: "string", short: "p", multiple: true },
  images: { type: "string", short: "i", multiple: true },
  exceptions: { type: "string", short: "e", multiple: true },
  select: { type: "string", short: "s" },
  param: { type: "string", multiple: true },
  params: { type: "string" },
  context: { type: "string", multiple: true },
  now: { type: "string" },
  format: { type: "string", short: "o" },
  output: { type: "string" },
  "fail-on": { type: "string" },
  "include-skipped": { type: "boolean" },
  "omit-passing": { type: "boolean" },
  pretty: { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
  quiet: { type: "boolean", short: "q" },
  server: { type: "string" },
  token: { type: "string" },
  receipt: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export type CheckFlags = ReturnType<typeof parseFlags<typeof FLAGS>>["values"];

/** Runs `celgate check`; returns the exit code. Throws InputError for usage and input problems. */
export async function check(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, FLAGS, "check");
  if (values.help) {
    process.stdout.write(CHECK_HELP);
    return EXIT.allowed;
  }
  const format = oneOf(values.format, REPORT_FORMATS, "text", "--format") as ReportFormat;
  const failOn = oneOf(values["fail-on"], ["deny", "warn", "never"] as const, "deny", "--fail-on");
  if (positionals.length === 0)
    throw new InputError("check: no manifests given (pass files, folders, or - for stdin)");
  // a report or receipt written over a manifest, policy or params file it was made from
  const inputs = [
    ...positionals,
    ...(values.policies ?? []),
    ...(values.exceptions ?? []),
    ...(values.images ?? []),
    ...(values.params === undefined ? [] : [values.params]),
  ];
  // standard input can be read once: a second "-" would read nothing and say nothing
  if (inputs.filter((path) => path === "-").length > 1)
    throw new InputError(`"-" (standard input) is given more than once; it can be read only once`);
  refuseInputAsOutput("--output", values.output, inputs);
  refuseInputAsOutput("--receipt", values.receipt, inputs);
  // parsed once, here; the parsed selector (not its text) goes to the engine
  const parsedSelector = values.select === undefined ? undefined : parseLabelSelector(values.select);
  if (parsedSelector && !parsedSelector.ok) throw new InputError(`--select: ${parsedSelector.error}`);
  const selector = parsedSelector?.selector;
  const fileParams = loadParamsFile(values.params);
  const flagParams = policyParams(values.param);
  const params = mergeParams(fileParams, flagParams);
  const context = keyValues(values.context, "--context");
  const now = timestampFlag(values.now, "--now");

  const omitPassing = values["omit-passing"] ?? false;
  const server = values.server ?? process.env.CELGATE_SERVER;
  const options = {
    color: format === "text" && useColor(values.output),
    verbose: values.verbose ?? false,
    quiet: values.quiet ?? false,
    baseDir: process.cwd(),
    // JSON for people is indented; for machines (a pipe, a file) it is one line
    compact: !(values.pretty ?? (values.output === undefined && Boolean(process.stdout.isTTY))),
  };
  let head: ReportHead;
  if (values.receipt !== undefined && !server)
    throw new InputError(
      "--receipt needs --server: only the service signs its decisions (see docs/receipts.md)",
    );
  if (server) {
    // the service evaluates its own policy set and stored exceptions
    if (values.policies?.length || values.exceptions?.length) {
      throw new InputError(
        "--policies and --exceptions cannot be used with --server: the service evaluates its own policies and exceptions",
      );
    }
    const { checkOnServer } = await import("./check-server.js");
    const report = await checkOnServer(server, values.token ?? process.env.CELGATE_TOKEN, {
      paths: positionals,
      imagePaths: values.images ?? [],
      select: values.select,
      params,
      context,
      includeSkipped: values["include-skipped"] ?? false,
      now,
    });
    if (values.receipt !== undefined) writeReceipt(report, values.receipt);
    // the service lists every result; passing ones are dropped here, the summary keeps them
    const shown = omitPassing
      ? { ...report, results: report.results.filter((r) => r.outcome !== "pass") }
      : report;
    writeOutputStreamed((write) => writeReport(shown, format, write, options), values.output);
    head = shown;
  } else {
    const { set, exceptions } = loadPolicyInputs(values.policies, values.exceptions ?? [], {
      forEvaluation: true,
    });
    requireParamsKnown(set, values, flagParams, fileParams);
    requireSelectionMatches(set, selector);
    const progress = new Progress();
    const { resources, notices } = readManifests(positionals, progress);
    const images = loadImageFacts(values.images ?? []);
    throwOnErrors(images.diagnostics, "image facts");
    const input: EvaluateInput = {
      resources,
      // the documents skipped while reading, named in the report as the service names them
      ...(notices.length > 0 ? { notices } : {}),
      images: images.images,
      exceptions,
      params,
      context,
      now,
      ...(selector ? { select: selector } : {}),
      includeSkipped: values["include-skipped"] ?? false,
      omitPassing,
      onProgress: (done, total) => progress.update("evaluating", done, total, "resources"),
    };
    const writer = reportWriter(format, options);
    if (writer) {
      // Written as evaluated: each resource's results are turned into text and dropped, the
      // text held in a spool until the head (decision, summary) is known, so memory does not
      // grow with the report.
      const spool = new Spool();
      try {
        const streamed = evaluateStream(set, input, (results) => spool.write(writer.results(results)));
        progress.done();
        writeOutputStreamed((write) => {
          write(writer.head(streamed));
          spool.drain(write);
          write(writer.tail(streamed));
        }, values.output);
        head = streamed;
      } finally {
        spool.close();
      }
    } else {
      // formats that group results by policy or namespace need the whole report first
      const report = evaluate(set, input);
      progress.done();
      writeOutputStreamed((write) => writeReport(report, format, write, options), values.output);
      head = report;
    }
  }
  // Facts for an image nothing uses are likely a typo: say so where people look, even when the
  // report itself goes to a file or to a machine (a text report on stdout already lists it).
  if (format !== "text" || values.output !== undefined) {
    for (const notice of head.notices ?? [])
      if (notice.kind === "unused-image-facts") process.stderr.write(`notice: ${notice.message}\n`);
  }
  return exitCode(head, failOn);
}

/**
 * Reads and parses manifests, one file at a time (a file's text is let go once it is parsed);
 * any syntax error anywhere is an InputError listing them all. See readManifests.
 */
export function loadManifests(paths: readonly string[], progress?: Progress): Resource[] {
  return readManifests(paths, progress).resources;
}

/**
 * The resources of the manifests and a `skipped-document` notice for each document that is
 * not a Kubernetes object (core's skippedDocumentNotices, as the service makes them), each also
 * warned of on stderr. Throws InputError for any syntax error (listing them all) and when no
 * resource is left.
 */
export function readManifests(
  paths: readonly string[],
  progress?: Progress,
): { resources: Resource[]; notices: ReportNotice[] } {
  const resources: Resource[] = [];
  const diagnostics = [];
  const options = manifestOptions();
  const files = listInputs(paths, { maxBytes: options.maxBytes });
  for (const [index, file] of files.entries()) {
    progress?.update("reading", index, files.length, "files");
    const parsed = parseManifests(file.read(), file.name, options);
    for (const resource of parsed.resources) resources.push(resource);
    diagnostics.push(...parsed.diagnostics);
  }
  throwOnErrors(diagnostics, "manifest");
  // before the error below too: they say why a file held no resource (a JSON file with comments)
  for (const warning of diagnostics) {
    process.stderr.write(
      `warning: ${displayPath(warning.file ?? "")}:${warning.line ?? 1}: ${warning.message}\n`,
    );
  }
  if (resources.length === 0) {
    throw new InputError(`no Kubernetes resources found in ${paths.join(", ")}`);
  }
  return { resources, notices: skippedDocumentNotices(diagnostics) };
}

export function exitCode(
  report: Pick<EvaluationReport, "decision">,
  failOn: "deny" | "warn" | "never",
): number {
  if (failOn === "never") return EXIT.allowed;
  if (report.decision === "deny") return EXIT.denied;
  if (report.decision === "warn" && failOn === "warn") return EXIT.denied;
  return EXIT.allowed;
}

/**
 * A typo in --select must not turn into a silent allow (check) or an empty export: an
 * InputError naming what matched nothing, by the service's check from core. The policies
 * selected otherwise.
 */
export function requireSelectionMatches(
  set: CompiledPolicySet,
  select: Selector | undefined,
): CompiledPolicySet {
  const { set: selected, problems } = selectPolicies(set, { select });
  if (problems.length > 0) throw new InputError(`--select: ${problems.map((p) => p.message).join("; ")}`);
  return selected;
}

/**
 * Params that would be ignored without a word: for a policy the set does not have (a typo in
 * its name), or a key the policy neither declares nor reads (a typo in the key: core's
 * paramProblems, the rule the service applies too). An InputError naming the first such
 * --param, then --params entry, the policy and the keys it accepts. For check and explain.
 */
export function requireParamsKnown(
  set: CompiledPolicySet,
  values: { policies?: string[] | undefined; param?: string[] | undefined; params?: string | undefined },
  flagParams: Record<string, Record<string, unknown>>,
  fileParams: Record<string, Record<string, unknown>>,
): void {
  const from = values.policies?.length ? values.policies.join(", ") : "the built-in library";
  const say = (problem: ParamProblem) =>
    problem.code === "unknown-policy"
      ? `no policy named ${JSON.stringify(problem.policy)} among the ${set.policies.length} policies of ${from}`
      : problem.message;
  const [flag] = paramProblems(set, flagParams);
  if (flag) {
    // the item as given: POLICY.KEY=..., or POLICY.... for a policy that is not there
    const prefix = flag.key === undefined ? `${flag.policy}.` : `${flag.policy}.${flag.key}=`;
    const item = values.param?.find((given) => given.startsWith(prefix));
    throw new InputError(`--param ${JSON.stringify(item)}: ${say(flag)}`);
  }
  const [file] = paramProblems(set, fileParams);
  if (file)
    throw new InputError(
      `--params ${values.params}: ${file.key === undefined ? "" : `${file.path}: `}${say(file)}`,
    );
}

/** Writes the signed receipt of a report from the service; InputError (exit 2) when it has none. */
function writeReceipt(report: EvaluationReport & { receipt?: unknown }, file: string): void {
  if (report.receipt === undefined)
    throw new InputError(
      `--receipt ${file}: the service returned no receipt (a service older than signed receipts?)`,
    );
  try {
    writeFileSync(file, `${JSON.stringify(report.receipt, null, 2)}\n`);
  } catch (error) {
    throw new InputError(`--receipt ${file}: cannot write: ${(error as Error).message}`);
  }
}
