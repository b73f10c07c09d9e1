/**
 * Finds the first key given twice in one object of a JSON text that JSON.parse accepted (which
 * keeps the last value silently): one linear scan that keeps the keys of the open objects.
 * Returns the repeated key and where its second occurrence begins (1-based line and column),
 * or undefined. Never throws.
 */
export function duplicateJsonKey(text: string): { key: string; line: number; column: number } | undefined {
  // per open container: the keys seen so far (an object) or null (an array)
  const open: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) {
          escaped = true;
          i++;
        } else if (d === 34) break;
      }
      const keys = open[open.length - 1];
      if (expectKey && keys) {
        let key: string;
        try {
          key = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i);
        } catch {
          return undefined;
        }
        if (keys.has(key)) {
          const lineStart = text.lastIndexOf("\n", start) + 1;
          let line = 1;
          for (let j = text.indexOf("\n"); j >= 0 && j < start; j = text.indexOf("\n", j + 1)) line++;
          return { key, line, column: start - lineStart + 1 };
        }
        keys.add(key);
        expectKey = false;
      }
    } else if (c === 123 /* { */) {
      open.push(new Set());
      expectKey = true;
    } else if (c === 91 /* [ */) {
      open.push(null);
      expectKey = false;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      open.pop();
      expectKey = false;
    } else if (c === 44 /* , */) {
      expectKey = open[open.length - 1] != null;
    }
  }
  return undefined;
}
