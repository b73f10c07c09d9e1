import type { LabelSelector } from "../policy/schema.js";

export type Labels = Readonly<Record<string, string>>;

export interface Requirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist" | "Equals" | "NotEquals";
  values: string[];
}

/**
 * A parsed label selector: a conjunction of requirements (Kubernetes semantics). Plain data, so
 * it survives structured cloning (to a worker thread) and JSON; test it with `selectorMatches`.
 */
export interface Selector {
  /** The text it was parsed from ("" for a structured selector). */
  text: string;
  requirements: readonly Requirement[];
}

/** Whether `labels` satisfy every requirement of `selector`; an empty selector matches everything. */
export function selectorMatches(selector: Selector, labels: Labels): boolean {
  return selector.requirements.every((r) => matchesRequirement(r, labels));
}

function matchesRequirement(r: Requirement, labels: Labels): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "In":
    case "Equals":
      return has && r.values.includes(value as string);
    case "NotIn":
    case "NotEquals":
      // Kubernetes: `!=` and `notin` also match objects that lack the key
      return !has || !r.values.includes(value as string);
  }
}

function selector(text: string, requirements: Requirement[]): Selector {
  return { text, requirements };
}

/**
 * The structured selector of a policy (`matchLabels` and `matchExpressions`). An empty
 * selector matches everything, as in Kubernetes.
 */
export function selectorFromSpec(spec: LabelSelector | undefined): Selector {
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(spec?.matchLabels ?? {})) {
    requirements.push({ key, operator: "In", values: [value] });
  }
  for (const e of spec?.matchExpressions ?? []) {
    requirements.push({ key: e.key, operator: e.operator, values: e.values ?? [] });
  }
  return selector("", requirements);
}

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/**
 * Parses the Kubernetes label-selector string syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
 * `a notin (x)`, `a`, `!a`, joined by commas. Returns an error naming the position instead
 * of throwing.
 */
export function parseLabelSelector(
  text: string,
): { ok: true; selector: Selector; matches: (labels: Labels) => boolean } | { ok: false; error: string } {
  const requirements: Requirement[] = [];
  let i = 0;
  const s = text;
  const fail = (message: string) => ({
    ok: false as const,
    error: `invalid selector ${JSON.stringify(text)} at ${i + 1}: ${message}`,
  });
  const skipSpace = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  const word = () => {
    const start = i;
    while (i < s.length && /[A-Za-z0-9_.\-/]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  skipSpace();
  if (i === s.length) {
    const sel = selector(text, []);
    return { ok: true, selector: sel, matches: (labels) => selectorMatches(sel, labels) };
  }
  while (i < s.length) {
    skipSpace();
    let negated = false;
    if (s[i] === "!") {
      negated = true;
      i++;
      skipSpace();
    }
    const key = word();
    if (!key) return fail("expected a label key");
    if (!KEY.test(key)) return fail(`invalid label key ${JSON.stringify(key)}`);
    skipSpace();
    if (negated) {
      requirements.push({ key, operator: "DoesNotExist", values: [] });
    } else if (s.startsWith("==", i) || s[i] === "=" || s.startsWith("!=", i)) {
      const op = s.startsWith("!=", i) ? "NotEquals" : "Equals";
      i += s.startsWith("==", i) || s.startsWith("!=", i) ? 2 : 1;
      skipSpace();
      const value = word();
      if (!VALUE.test(value)) return fail(`invalid label value ${JSON.stringify(value)}`);
      requirements.push({ key, operator: op, values: [value] });
    } else if (/^(in|notin)\s*\(/i.test(s.slice(i))) {
      const op = s
        .slice(i, i + 5)
        .toLowerCase()
        .startsWith("notin")
        ? "NotIn"
        : "In";
      i += op === "NotIn" ? 5 : 2;
      skipSpace();
      i++; // (
      const values: string[] = [];
      for (;;) {
        skipSpace();
        const value = word();
        if (!VALUE.test(value)) return fail(`invalid label value ${JSON.stringify(value)}`);
        if (value) values.push(value);
        skipSpace();
        if (s[i] === ",") {
          i++;
          continue;
        }
        if (s[i] === ")") {
          i++;
          break;
        }
        return fail("expected ',' or ')'");
      }
      if (values.length === 0) return fail("a set needs at least one value");
      requirements.push({ key, operator: op, values });
    } else {
      requirements.push({ key, operator: "Exists", values: [] });
    }
    skipSpace();
    if (i < s.length) {
      if (s[i] !== ",") return fail("expected ','");
      i++;
    }
  }
  const sel = selector(text, requirements);
  return { ok: true, selector: sel, matches: (labels) => selectorMatches(sel, labels) };
}
