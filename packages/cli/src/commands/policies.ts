import { type PolicyDocument, parseLabelSelector, policySchema } from "@celgate/core";
import { paginate } from "@celgate/sdk";
import yaml from "js-yaml";
import { oneOf, parseFlags } from "../args.js";
import { EXIT, InputError } from "../errors.js";
import { loadPolicyInputs } from "../inputs/policy-set.js";

export const POLICIES_HELP = `Usage: celgate policies [list] [options]
       celgate policies show NAME [options]

Lists the policies of a policy set (the built-in library unless -p is given, or the service's
set with --server): name, severity, action, labels and title; "show" prints one policy whole:
description, params with their defaults, match, validations, remediation and its source file.

Options:
  -p, --policies PATH    policy file or folder (repeatable); default: the built-in library
  -s, --select SELECTOR  only policies whose labels match ("pss=restricted", "practice!=logging")
  -o, --format FORMAT    text (default) | json | yaml ("show": the document itself)
      --server URL       the service's policy set; also CELGATE_SERVER
      --token TOKEN      bearer token for --server; also CELGATE_TOKEN
  -h, --help             show this help
`;

const FLAGS = {
  policies: { type: "string", short: "p", multiple: true },
  select: { type: "string", short: "s" },
  format: { type: "string", short: "o" },
  server: { type: "string" },
  token: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** What `policies` shows of each policy, wherever the set comes from. */
export interface PolicyEntry {
  name: string;
  title: string | null;
  severity: string;
  action: string;
  labels: Record<string, string>;
  params: Record<string, unknown>;
  /** `file:line` of a local policy, `api`/`repository` (with its version) on the service. */
  source: string;
  document: PolicyDocument;
}

/** Runs `celgate policies`; returns the exit code. Throws InputError for usage and input problems. */
export async function policiesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, FLAGS, "policies");
  if (values.help) {
    process.stdout.write(POLICIES_HELP);
    return EXIT.allowed;
  }
  const [verb = "list", ...names] = positionals;
  if (verb !== "list" && verb !== "show")
    throw new InputError(`policies: unknown subcommand ${JSON.stringify(verb)} (expected list or show NAME)`);
  if (verb === "list" && names.length > 0)
    throw new InputError(
      `policies list: unexpected argument ${JSON.stringify(names[0])} (did you mean show?)`,
    );
  if (verb === "show" && names.length !== 1)
    throw new InputError("policies show: give exactly one policy name");
  const format = oneOf(values.format, ["text", "json", "yaml"] as const, "text", "--format");
  const selector = values.select === undefined ? undefined : parseLabelSelector(values.select);
  if (selector && !selector.ok) throw new InputError(`--select: ${selector.error}`);

  const server = values.server ?? process.env.CELGATE_SERVER;
  if (server && values.policies?.length)
    throw new InputError("--policies cannot be used with --server: the service lists its own policy set");
  let entries = server
    ? await serverEntries(server, values.token ?? process.env.CELGATE_TOKEN, values.select)
    : localEntries(values.policies);
  if (selector?.ok) entries = entries.filter((e) => selector.matches(e.labels));

  if (verb === "show") {
    const entry = entries.find((e) => e.name === names[0]);
    if (!entry) {
      const near = entries
        .filter((e) => e.name.includes(names[0]!) || names[0]!.includes(e.name))
        .map((e) => e.name);
      throw new InputError(
        `no policy named ${JSON.stringify(names[0])}${near.length ? ` (did you mean ${near.slice(0, 3).join(", ")}?)` : ""}`,
      );
    }
    process.stdout.write(
      format === "json"
        ? `${JSON.stringify(entry, null, 2)}\n`
        : format === "yaml"
          ? yaml.dump(entry.document, { lineWidth: 100, noRefs: true })
          : showText(entry),
    );
    return EXIT.allowed;
  }
  if (selector?.ok && entries.length === 0)
    throw new InputError(`--select ${JSON.stringify(values.select)}: no policy's labels match`);
  process.stdout.write(
    format === "json"
      ? `${JSON.stringify(
          entries.map(({ document: _, ...rest }) => rest),
          null,
          2,
        )}\n`
      : format === "yaml"
        ? yaml.dump(
            entries.map(({ document: _, ...rest }) => rest),
            { lineWidth: 100, noRefs: true },
          )
        : listText(entries),
  );
  return EXIT.allowed;
}

function localEntries(paths: readonly string[] | undefined): PolicyEntry[] {
  const { set } = loadPolicyInputs(paths);
  return set.policies.map((p) => ({
    name: p.name,
    title: p.title ?? null,
    severity: p.severity,
    action: p.action,
    labels: p.labels,
    params: p.params,
    source: p.origin?.file ? `${p.origin.file}:${p.origin.position?.([])?.line ?? 1}` : "(inline)",
    document: p.document,
  }));
}

async function serverEntries(
  url: string,
  token: string | undefined,
  select: string | undefined,
): Promise<PolicyEntry[]> {
  const { serverClient, serverFailure } = await import("./check-server.js");
  const client = serverClient(url, token);
  const out: PolicyEntry[] = [];
  try {
    for await (const p of paginate((cursor) => client.policies.list({ cursor, limit: 500, select }))) {
      // The wire schema keeps spec open; the engine's schema reads it (and refuses what it cannot).
      const parsed = policySchema.safeParse(p.document);
      if (!parsed.success)
        throw new InputError(
          `the celgate service at ${url} answered policy ${p.name} in a shape this celgate cannot read: ${parsed.error.issues[0]?.message ?? "invalid"}`,
        );
      const document: PolicyDocument = parsed.data;
      out.push({
        name: p.name,
        title: document.spec.title ?? null,
        severity: document.spec.severity,
        action: document.spec.action,
        labels: p.labels,
        params: document.spec.params ?? {},
        source: `${p.source} v${p.version}`,
        document,
      });
    }
  } catch (error) {
    serverFailure(url, error);
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function listText(entries: readonly PolicyEntry[]): string {
  const rows = entries.map((e) => [
    e.name,
    e.severity,
    e.action,
    Object.entries(e.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
    e.title ?? "",
  ]);
  const head = ["NAME", "SEVERITY", "ACTION", "LABELS", "TITLE"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${[line(head), ...rows.map(line)].join("\n")}\n${entries.length} ${entries.length === 1 ? "policy" : "policies"}\n`;
}

function showText(e: PolicyEntry): string {
  const spec = e.document.spec;
  const lines = [`${e.name}${e.title ? `: ${e.title}` : ""}`, ""];
  const field = (name: string, value: string | undefined) => {
    if (value !== undefined && value !== "") lines.push(`${`${name}:`.padEnd(15)}${value}`);
  };
  field("severity", e.severity);
  field("action", e.action);
  field("failurePolicy", spec.failurePolicy ?? "Fail");
  field(
    "labels",
    Object.entries(e.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(", "),
  );
  field("source", e.source);
  if (spec.match) field("match", JSON.stringify(spec.match));
  if (Object.keys(e.params).length > 0) {
    lines.push("params:");
    for (const [k, v] of Object.entries(e.params)) lines.push(`  ${k} = ${JSON.stringify(v)}`);
  }
  if (spec.description) lines.push("", spec.description.trim());
  const section = (title: string, items: readonly { name?: string; expression: string }[] | undefined) => {
    if (!items?.length) return;
    lines.push("", `${title}:`);
    for (const item of items) lines.push(`  ${item.name ? `${item.name}: ` : ""}${item.expression.trim()}`);
  };
  section("matchConditions", spec.matchConditions);
  section("variables", spec.variables);
  section("validations", spec.validations);
  if (spec.remediation) lines.push("", `remediation: ${spec.remediation.trim()}`);
  if (spec.references?.length) lines.push(`references: ${spec.references.join(" ")}`);
  return `${lines.join("\n")}\n`;
}
