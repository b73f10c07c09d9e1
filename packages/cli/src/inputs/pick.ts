import type { Resource } from "@celgate/core";
import { InputError } from "../errors.js";

/** The resource that `--resource KIND/NAME` names (kind case-insensitive); InputError otherwise. */
export function pickResource(bundle: readonly Resource[], wanted: string): Resource {
  const slash = wanted.indexOf("/");
  if (slash <= 0)
    throw new InputError(`--resource ${JSON.stringify(wanted)}: expected KIND/NAME, e.g. Deployment/web`);
  const kind = wanted.slice(0, slash);
  const name = wanted.slice(slash + 1);
  const found = bundle.find((r) => r.ref.kind.toLowerCase() === kind.toLowerCase() && r.ref.name === name);
  if (!found) {
    const known = bundle.map((r) => `${r.ref.kind}/${r.ref.name}`).slice(0, 10);
    throw new InputError(`--resource ${wanted}: not in the manifests (they hold ${known.join(", ")})`);
  }
  return found;
}
