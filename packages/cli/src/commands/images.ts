import { displayPath, type ImageFacts, parseImageFacts } from "@celgate/core";
import { parseFlags } from "../args.js";
import { EXIT, InputError } from "../errors.js";
import { parseData } from "../inputs/data.js";
import { readInputs } from "../inputs/files.js";
import { throwOnErrors } from "../inputs/policy-set.js";
import { serverClient, serverFailure } from "./check-server.js";

export const IMAGES_HELP = `Usage: celgate images push [options] FILE...

Sends image facts to the celgate service, which keeps them by image digest, or by normalised
name and tag for facts that name no digest (a Trivy scan of a tag): later evaluations
(celgate check --server, the REST API, the admission webhook) use them for every image
referenced by that digest, or by the same name and tag, without --images.

FILE is native image facts (JSON/YAML), a Trivy JSON report (trivy image -f json) or a Grype
JSON report (grype -o json); a folder is read recursively. --digest names the digest of the
one image of a file that names none (a scan of a local archive).

Options:
      --digest DIGEST        the image's digest (sha256:...) when the file names none
      --server URL           the celgate service; also CELGATE_SERVER
      --token TOKEN          a token with role evaluator or admin; also CELGATE_TOKEN
  -h, --help                 show this help

Exit code: 0 every image stored, 2 usage or input error, unreachable service, refused token.

Example:
  trivy image -f json -o scan.json registry.example/shop/web@sha256:...
  celgate images push scan.json --server https://celgate.example --token "$CELGATE_TOKEN"
`;

const FLAGS = {
  digest: { type: "string" },
  server: { type: "string" },
  token: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-f0-9]{32,}$/;

interface Upload {
  /** null: the document is sent whole, and the service keys its images by name and tag. */
  digest: string | null;
  /** The document as read (sent as is: the service recognises the format itself). */
  body: unknown;
  /** The image sent under `digest`; with no digest, every image of the document. */
  facts: ImageFacts[];
  file: string;
}

/** Runs `celgate images ...`; returns the exit code. Throws InputError for usage and input problems. */
export async function images(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined)
    throw new InputError(
      "images: no subcommand given (push; see celgate images --help)",
      IMAGES_HELP.trimEnd(),
    );
  if (sub === "--help" || sub === "-h" || sub === "help") {
    process.stdout.write(IMAGES_HELP);
    return EXIT.allowed;
  }
  if (sub !== "push")
    throw new InputError(`images: unknown subcommand ${JSON.stringify(sub)} (see celgate images --help)`);
  const { values, positionals } = parseFlags(rest, FLAGS, "images push");
  if (values.help) {
    process.stdout.write(IMAGES_HELP);
    return EXIT.allowed;
  }
  if (positionals.length === 0)
    throw new InputError("images push: no files given (see celgate images --help)");
  if (values.digest !== undefined && !DIGEST.test(values.digest))
    throw new InputError(
      `--digest ${JSON.stringify(values.digest)}: expected an image digest such as sha256:<64 hex>`,
    );
  const server = values.server ?? process.env.CELGATE_SERVER;
  if (!server) throw new InputError("images push: no service given; pass --server URL or set CELGATE_SERVER");
  const client = serverClient(server, values.token ?? process.env.CELGATE_TOKEN);

  const uploads = collect(positionals, values.digest);
  let count = 0;
  for (const u of uploads) {
    if (u.digest !== null) {
      try {
        await client.images.put(u.digest, u.body);
      } catch (error) {
        serverFailure(server, error);
      }
      const facts = u.facts[0]!;
      // the reference names the digest once, whether the file or --digest gave it
      const ref = facts.digest === u.digest ? facts.ref : `${facts.ref}@${u.digest}`;
      process.stdout.write(`pushed ${ref} (${describeScan(facts)}) from ${displayPath(u.file)}\n`);
      count++;
      continue;
    }
    // no digest: the service keys the facts by normalised name and tag
    let stored: { key: string; ref: string }[] = [];
    try {
      stored = (await client.images.push(u.body)).images;
    } catch (error) {
      serverFailure(server, error);
    }
    for (const image of stored) {
      const facts = u.facts.find((f) => f.ref === image.ref);
      const scan = facts ? ` (${describeScan(facts)})` : "";
      // the key is the name and tag the service files it under; say so only when the reference hides it
      const key = image.ref.startsWith(image.key) ? "" : ` as ${image.key}`;
      process.stdout.write(`pushed ${image.ref}${key}${scan} from ${displayPath(u.file)}\n`);
    }
    count += stored.length;
  }
  process.stdout.write(`${count} image${count === 1 ? "" : "s"} pushed to ${server}\n`);
  return EXIT.allowed;
}

/** Reads every file and pairs each image with its digest; throws InputError naming the file. */
function collect(paths: readonly string[], digestFlag: string | undefined): Upload[] {
  const uploads: Upload[] = [];
  for (const file of readInputs(paths)) {
    for (const doc of parseData(file.text, file.name)) {
      const parsed = parseImageFacts(doc, file.name);
      throwOnErrors(parsed.diagnostics, "image facts");
      if (parsed.format === null || parsed.images.length === 0)
        throw new InputError(
          `${file.name}: no image facts found (expected native facts, a Trivy or a Grype JSON report)`,
        );
      for (const facts of parsed.images) {
        let digest = facts.digest;
        if (digestFlag !== undefined) {
          if (parsed.images.length > 1)
            throw new InputError(
              `--digest names one image, but ${file.name} describes ${parsed.images.length}`,
            );
          if (digest !== null && digest !== digestFlag)
            throw new InputError(
              `--digest ${digestFlag}: ${file.name} describes ${facts.ref}, whose digest is ${digest}`,
            );
          digest = digestFlag;
        }
        if (digest === null) {
          // one push of the whole document stores every image of it by name and tag
          const whole = uploads.find((u) => u.body === doc && u.digest === null);
          if (whole) whole.facts.push(facts);
          else uploads.push({ digest: null, body: doc, facts: [facts], file: file.name });
          continue;
        }
        uploads.push({ digest, body: doc, facts: [facts], file: file.name });
      }
    }
  }
  return uploads;
}

function describeScan(facts: ImageFacts): string {
  if (!facts.scan) return "no scan";
  const s = facts.scan.summary;
  const total = s.critical + s.high + s.medium + s.low + s.unknown;
  if (total === 0) return "no vulnerabilities";
  const parts = (["critical", "high", "medium", "low", "unknown"] as const)
    .filter((k) => s[k] > 0)
    .map((k) => `${s[k]} ${k}`);
  return `${total} vulnerabilit${total === 1 ? "y" : "ies"}: ${parts.join(", ")}`;
}
