import yaml from "js-yaml";

/**
 * Where YAML text crosses a nesting depth limit: the offset of the first collection (in
 * document order) that sits deeper than `maxDepth`, the top-level value counting 1 as
 * checkValue counts (limits/limits.ts), or of the alias through which the depth is crossed.
 * Undefined when no crossing is found (the text does not read as js-yaml reads YAML, say).
 * The `yaml` package, which keeps positions, takes seconds and a gigabyte to read a few
 * megabytes of nesting and overflows its stack on deep block collections; js-yaml stops one
 * level past the limit: text nested 1,000,000 levels deep is judged as fast as text nested 129
 * levels deep, and nothing recurses deeper than the limit. Never throws.
 */
export function depthCrossing(text: string, maxDepth: number): number | undefined {
  // the start offset of every node open, outermost first (js-yaml's depth counts them)
  const open: number[] = [];
  let found: number | undefined;
  const stop = new Error("depth crossing found");
  try {
    yaml.loadAll(text, () => {}, {
      // one level past the limit: a node opened there is inside the crossing collection
      maxDepth: maxDepth + 1,
      // a key given twice is the other reader's error to report, not a reason to stop here
      json: true,
      listener(event, state) {
        if (event === "open") {
          open.push(state.position);
          return;
        }
        const start = open.pop() ?? 0;
        const depth = open.length + 1;
        const result: unknown = state.result;
        if (!isCollection(result)) return;
        // an empty collection at the first depth past the limit has no child to open below it
        if (depth === maxDepth + 1) {
          found = start;
          throw stop;
        }
        // an alias is not walked by js-yaml: the depth it adds is measured here
        if (text[skipBlank(text, start)] === "*" && deeperThan(result, maxDepth - depth + 1)) {
          found = start;
          throw stop;
        }
      },
    } as yaml.LoadOptions);
  } catch (error) {
    if (error !== stop && found === undefined && /maxDepth/.test((error as { reason?: string }).reason ?? ""))
      found = open[maxDepth];
  }
  return found === undefined ? undefined : skipBlank(text, found);
}

/** A sequence or mapping as js-yaml reads it (a timestamp or !!binary is a scalar). */
function isCollection(value: unknown): value is object {
  return (
    typeof value === "object" &&
    value !== null &&
    !(value instanceof Date) &&
    !(value instanceof ArrayBuffer) &&
    !ArrayBuffer.isView(value)
  );
}

/** The first offset from `offset` that is not a space, a line break or a comment. */
function skipBlank(text: string, offset: number): number {
  let i = offset;
  while (i < text.length) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\r" || c === "\n") i++;
    else if (c === "#") {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end;
    } else break;
  }
  return i;
}

/**
 * Whether a value read by js-yaml holds collections more than `levels` deep (itself counting 1).
 * Walks each distinct object once (the parts of an alias bomb are shared), without recursion;
 * a value that holds itself is endlessly deep.
 */
function deeperThan(root: object, levels: number): boolean {
  const height = new Map<object, number>();
  const onPath = new Set<object>();
  const stack: [object, boolean][] = [[root, false]];
  const children = (node: object) => Object.values(node).filter(isCollection);
  while (stack.length > 0) {
    const [node, done] = stack.pop()!;
    if (done) {
      let below = 0;
      for (const child of children(node)) below = Math.max(below, height.get(child) ?? 0);
      if (below + 1 > levels) return true;
      height.set(node, below + 1);
      onPath.delete(node);
      continue;
    }
    if (height.has(node)) continue;
    if (onPath.has(node)) return true;
    onPath.add(node);
    stack.push([node, true]);
    for (const child of children(node)) if (!height.has(child)) stack.push([child, false]);
  }
  return false;
}
