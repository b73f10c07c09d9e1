import { stringify } from "yaml";

/** A stored document as YAML text, as an author would write it. */
export function toYaml(document: unknown): string {
  return stringify(document, { lineWidth: 100 });
}
