import { evaluateExpression, renderDiagnostic } from "@celgate/core";
import { keyValues, oneOf, parseFlags, timestampFlag } from "../args.js";
import { EXIT, InputError } from "../errors.js";
import { loadImageFacts } from "../inputs/data.js";
import { pickResource } from "../inputs/pick.js";
import { throwOnErrors } from "../inputs/policy-set.js";
import { loadManifests } from "./check.js";

export const EVAL_HELP = `Usage: celgate eval EXPRESSION [options]

Evaluates one CEL expression with the environment a policy sees (object, podSpec, containers,
images, bundle, params, context, now) and prints its value and type, or the error with a
caret under the spot. For trying out an expression while writing a policy. Exit code: 0 a
value, 1 an evaluation error, 2 a compile error or bad input.

Options:
  -f, --file PATH            manifests: object is the first resource (or --resource), bundle all
  -r, --resource KIND/NAME   which resource of --file is object (e.g. Deployment/web)
  -i, --images PATH          image facts: native, Trivy or Grype JSON (repeatable)
      --param NAME=JSON      a value of params (repeatable; not JSON: a string)
      --context KEY=VALUE    a value of context (repeatable)
      --now TIMESTAMP        the clock (RFC 3339); default: now
  -o, --format FORMAT        text (default) | json
  -h, --help                 show this help

Examples:
  celgate eval -f k8s/web.yaml 'containers.map(c, c.image)'
  celgate eval -f k8s/web.yaml -i scan.json 'images.all(i, i.scan.summary.critical == 0)'
  celgate eval "quantity('500m').isLessThan(quantity('1'))"
`;

const FLAGS = {
  file: { type: "string", short: "f", multiple: true },
  resource: { type: "string", short: "r" },
  images: { type: "string", short: "i", multiple: true },
  param: { type: "string", multiple: true },
  context: { type: "string", multiple: true },
  now: { type: "string" },
  format: { type: "string", short: "o" },
  help: { type: "boolean", short: "h" },
} as const;

/** Runs `celgate eval`; returns the exit code. Throws InputError for usage and input problems. */
export async function evalCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, FLAGS, "eval");
  if (values.help) {
    process.stdout.write(EVAL_HELP);
    return EXIT.allowed;
  }
  if (positionals.length !== 1)
    throw new InputError("eval: give exactly one expression (quote it for the shell)");
  const expression = positionals[0]!;
  const format = oneOf(values.format, ["text", "json"] as const, "text", "--format");
  const bundle = values.file?.length ? loadManifests(values.file) : [];
  if (values.resource !== undefined && bundle.length === 0)
    throw new InputError("--resource needs --file: the manifests to choose the resource from");
  const resource = values.resource === undefined ? bundle[0] : pickResource(bundle, values.resource);
  const images = loadImageFacts(values.images ?? []);
  throwOnErrors(images.diagnostics, "image facts");
  // Object.fromEntries: a NAME such as __proto__ is a param, not the object's prototype
  const params: Record<string, unknown> = Object.fromEntries(
    Object.entries(keyValues(values.param, "--param")).map(([name, raw]) => {
      try {
        return [name, JSON.parse(raw)];
      } catch {
        return [name, raw];
      }
    }),
  );
  const now = timestampFlag(values.now, "--now");
  const result = evaluateExpression(expression, {
    ...(resource ? { resource, bundle } : {}),
    images: images.images,
    params,
    context: keyValues(values.context, "--context"),
    ...(now ? { now } : {}),
  });
  if (!result.ok) {
    const d = { ...result.diagnostic, file: "<expression>", line: 1, sourceLine: expression };
    if (result.phase === "compile")
      throw new InputError(`<expression>:1:${d.column ?? 1}: ${d.message}`, renderDiagnostic(d));
    if (format === "json") process.stdout.write(`${JSON.stringify({ error: d.message })}\n`);
    else process.stderr.write(`error: ${d.message}\n`);
    return EXIT.denied;
  }
  if (format === "json")
    process.stdout.write(`${JSON.stringify({ value: toJson(result.value), type: result.type }, null, 2)}\n`);
  else process.stdout.write(`${show(result.value)}\n${`(${result.type})`}\n`);
  return EXIT.allowed;
}

/** A CEL value written the way CEL literals are. */
function show(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return Number.isInteger(value) ? value.toFixed(1) : String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "boolean") return String(value);
  if (value instanceof Date) return `timestamp(${JSON.stringify(value.toISOString())})`;
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${show(k)}: ${show(v)}`).join(", ")}}`;
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null)
      return `{${Object.entries(value)
        .map(([k, v]) => `${JSON.stringify(k)}: ${show(v)}`)
        .join(", ")}}`;
    return String(value);
  }
  return String(value);
}

/** A CEL value as JSON: ints as numbers when they fit, else strings; timestamps as text. */
function toJson(value: unknown): unknown {
  if (typeof value === "bigint")
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toJson(v)]));
  if (value && typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null)
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
    return String(value);
  }
  return value ?? null;
}
