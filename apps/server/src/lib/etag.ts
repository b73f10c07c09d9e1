/** The strong ETag of a stored version. */
export function etagOf(version: number): string {
  return `"v${version}"`;
}

/** Whether an If-Match header value (a list of ETags or `*`) matches the current ETag. */
export function ifMatchSatisfied(header: string, current: string): boolean {
  return header
    .split(",")
    .map((t) => t.trim())
    .some((t) => t === "*" || t === current);
}
