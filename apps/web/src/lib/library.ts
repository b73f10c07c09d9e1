// The built-in policy library (policies/<practice>/<name>.yaml), bundled as text into the
// playground's chunk so that the playground evaluates with no request to any service.
const files = import.meta.glob(["../../../../policies/*/*.yaml", "!../../../../policies/*/*.test.yaml"], {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

/** Each library file: its path below policies/ and its text. */
export const LIBRARY: readonly { file: string; text: string }[] = Object.entries(files)
  .map(([path, text]) => ({ file: path.replace(/^.*\/policies\//, "policies/"), text }))
  .sort((a, b) => a.file.localeCompare(b.file));
