/** A document path as text: `spec.containers[0].image`. */
export function formatPath(path: readonly (string | number)[]): string {
  let text = "";
  for (const part of path) {
    if (typeof part === "number") text += `[${part}]`;
    else text += text ? `.${part}` : part;
  }
  return text;
}

/** The segments of a document path written by `formatPath`: `spec.validations[0]` -> ["spec", "validations", 0]. */
export function parsePath(path: string): (string | number)[] {
  return path
    .split(/\.|\[|\]/)
    .filter((part) => part !== "")
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}
