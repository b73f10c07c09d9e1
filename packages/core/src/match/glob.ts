const cache = new Map<string, RegExp>();

/**
 * Shell-style glob over a whole string: `*` is any run of characters (including `/`), `?` one
 * character; everything else is literal. Linear-time regular expressions only (no nesting).
 */
export function globMatch(pattern: string, text: string): boolean {
  if (!pattern.includes("*") && !pattern.includes("?")) return pattern === text;
  let re = cache.get(pattern);
  if (!re) {
    re = new RegExp(globToRegexSource(pattern), "s");
    if (cache.size > 1000) cache.clear();
    cache.set(pattern, re);
  }
  return re.test(text);
}

export function anyGlob(patterns: readonly string[], text: string): boolean {
  for (let i = 0; i < patterns.length; i++) if (globMatch(patterns[i] as string, text)) return true;
  return false;
}

/** The anchored regular expression (RE2 and JavaScript syntax alike) of a glob. */
export function globToRegexSource(pattern: string): string {
  const body = pattern
    .split("")
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return `^${body}$`;
}
