import { printable, SEVERITIES, type Severity } from "@celgate/core";
import { type Finding, paginate, severitiesAtOrAbove } from "@celgate/sdk";
import { oneOf, parseFlags } from "../args.js";
import { EXIT, InputError } from "../errors.js";
import { oneLine, writeOutput } from "../output.js";
import { serverClient, serverFailure } from "./check-server.js";

export const FINDINGS_HELP = `Usage: celgate findings [options]

Lists the open findings of a celgate service: deployed objects that a re-evaluation (after a
new image scan, a policy or exception change, or an exception's expiry) found failing a
policy they passed when they were admitted. Newest first.

Options:
      --server URL           the celgate service; also CELGATE_SERVER
      --token TOKEN          a token of any role; also CELGATE_TOKEN
      --fail-on SEVERITY     exit 1 when a finding is at or above SEVERITY
                             (critical | high | medium | low | info)
      --cluster NAME         only findings in this cluster
      --namespace NAME       only findings in this namespace
      --kind KIND            only findings of this kind
      --policy NAME          only findings of this policy
  -o, --format FORMAT        text (default) | json
      --output FILE          write to FILE instead of stdout
  -h, --help                 show this help

Exit code: 0 no finding at or above --fail-on (always 0 without it), 1 some finding is,
2 usage or input error, unreachable service, refused token, or an answer that cannot be
judged (a finding of a severity not listed above).

Example:
  celgate findings --server https://celgate.example --fail-on high
`;

const FLAGS = {
  server: { type: "string" },
  token: { type: "string" },
  "fail-on": { type: "string" },
  cluster: { type: "string" },
  namespace: { type: "string" },
  kind: { type: "string" },
  policy: { type: "string" },
  format: { type: "string", short: "o" },
  output: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Runs `celgate findings`; returns the exit code. Throws InputError for usage and input problems. */
export async function findingsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, FLAGS, "findings");
  if (values.help) {
    process.stdout.write(FINDINGS_HELP);
    return EXIT.allowed;
  }
  if (positionals.length > 0)
    throw new InputError(
      `findings: unexpected argument ${JSON.stringify(positionals[0])} (see celgate findings --help)`,
    );
  const format = oneOf(values.format, ["text", "json"] as const, "text", "--format");
  const failOn =
    values["fail-on"] === undefined
      ? undefined
      : oneOf(values["fail-on"], SEVERITIES, "critical", "--fail-on");
  const server = values.server ?? process.env.CELGATE_SERVER;
  if (!server) throw new InputError("findings: no service given; pass --server URL or set CELGATE_SERVER");
  const client = serverClient(server, values.token ?? process.env.CELGATE_TOKEN);

  const items: Finding[] = [];
  try {
    const filters = {
      status: "open" as const,
      ...(values.cluster ? { cluster: values.cluster } : {}),
      ...(values.namespace ? { namespace: values.namespace } : {}),
      ...(values.kind ? { kind: values.kind } : {}),
      ...(values.policy ? { policy: values.policy } : {}),
    };
    for await (const f of paginate(async (cursor) => {
      const page = await client.findings.list({ ...filters, limit: 500, ...(cursor ? { cursor } : {}) });
      if (!Array.isArray(page?.items))
        throw new InputError(
          `the celgate service at ${server} answered the findings with no list of items; no verdict is taken from it`,
        );
      return page;
    }))
      items.push(f);
  } catch (error) {
    serverFailure(server, error);
  }
  // a severity this command does not know would count as none: --fail-on would pass it by
  const unknown = items.find((f) => !(SEVERITIES as readonly unknown[]).includes(f?.severity));
  if (unknown !== undefined)
    throw new InputError(
      `the celgate service at ${server} answered a finding with severity ${JSON.stringify(unknown?.severity)}, not one of ${SEVERITIES.join(", ")}; no verdict is taken from it`,
    );
  const counted = failOn === undefined ? [] : severitiesAtOrAbove(failOn);
  const failing = items.filter((f) => counted.includes(f.severity));
  writeOutput(
    format === "json" ? JSON.stringify({ items }, null, 2) : text(items, failOn, failing.length),
    values.output,
  );
  return failing.length > 0 ? EXIT.denied : EXIT.allowed;
}

function text(items: readonly Finding[], failOn: Severity | undefined, failing: number): string {
  if (items.length === 0) return "no open findings\n";
  const lines = items.map((f) => {
    const r = f.resource;
    const where = `${r.cluster}/${r.namespace ? `${r.namespace}/` : ""}${r.kind}/${r.name}`;
    const trigger = triggerText(f);
    // every field is the service's text: one line each, nothing in it that would act on the terminal
    return `${f.severity.padEnd(8)} ${shown(where)}  ${shown(f.policy)}  ${shown(f.cause)}${trigger ? ` (${shown(trigger)})` : ""}  since ${shown(f.openedAt)}\n         ${shown(f.message)}`;
  });
  const counts = SEVERITIES.map((s) => [s, items.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(", ");
  const verdict = failOn === undefined ? "" : `; ${failing} at or above ${failOn}`;
  return `${lines.join("\n")}\n${items.length} open finding${items.length === 1 ? "" : "s"} (${counts})${verdict}\n`;
}

/** Text from the service as printed: control and bidi characters, newlines too, as escapes. */
const shown = (text: string) => oneLine(printable(text));

/** The triggering fact in a few words: the vulnerability ids, the policy version, the exception. */
function triggerText(f: Finding): string {
  const t = f.trigger;
  if (Array.isArray(t.vulnerabilities) && t.vulnerabilities.length > 0)
    return (
      (t.vulnerabilities as string[]).slice(0, 5).join(", ") + (t.vulnerabilities.length > 5 ? ", ..." : "")
    );
  if (typeof t.policy === "string") return `${t.policy}${t.version ? ` v${t.version}` : ""}`;
  if (typeof t.exception === "string") return `exception ${t.exception}`;
  return "";
}
