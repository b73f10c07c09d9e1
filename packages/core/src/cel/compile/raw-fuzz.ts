/**
 * The random manifests and expressions of the differential fuzz of values kept as they are
 * (raw-fuzz.test.ts, evaluate/raw-variables-fuzz.test.ts): manifests as JSON.parse gives them
 * (maps and lists nested a few levels; null, ints, doubles such as 0.5, -0 and 1e300, strings,
 * bools, empty maps and lists; keys such as `__proto__`, `constructor`, `toString`; keys whose
 * value is null), and expressions built around the constructs that keep manifest parts as they
 * are: `+` of lists, `filter`, `a[?k]`, `.?` chains, ternaries of optionals, `orValue`,
 * `hasValue`, `[]` and `dyn([])` beside them, among filter/map/all/exists/exists_one, size,
 * in, ==, has(), dyn(), string() and type(). Seeded: the same seed gives the same cases. For
 * tests only, as differential.ts.
 */
import { deepFreeze } from "../../util/freeze.js";
import { MANIFEST_VARIABLES } from "../environment.js";

/** mulberry32: a small seeded generator, so a failure reproduces from its seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Next = () => number;
const pickFrom =
  (next: Next) =>
  <T>(items: readonly T[]): T =>
    items[Math.floor(next() * items.length)] as T;

/** The keys manifests and expressions share: ordinary ones, hostile ones, and ones rarely present. */
export const KEYS = [
  "a",
  "b",
  "name",
  "items",
  "spec",
  "n",
  "__proto__",
  "constructor",
  "toString",
  "0",
] as const;
const SCALARS = [
  "null",
  "0",
  "1",
  "-1",
  "7",
  "0.5",
  "-0",
  "1e300",
  "2.5",
  '"a"',
  '""',
  '"x"',
  "true",
  "false",
];

/**
 * A random JSON text of a value `depth` levels deep at most: parsed with JSON.parse, as a
 * manifest is, so `__proto__` is a key of its own and -0 stays -0.
 */
export function jsonValue(next: Next, depth: number): string {
  const pick = pickFrom(next);
  const r = next();
  if (depth <= 0 || r < 0.35) return pick(SCALARS);
  if (r < 0.4) return pick(["{}", "[]"]);
  if (r < 0.7) return jsonMap(next, depth - 1);
  const items = Array.from({ length: Math.floor(next() * 4) }, () => jsonValue(next, depth - 1));
  return `[${items.join(", ")}]`;
}

function jsonMap(next: Next, depth: number, keys: readonly string[] = KEYS): string {
  const pick = pickFrom(next);
  const entries = new Map<string, string>();
  const count = 1 + Math.floor(next() * 7);
  for (let i = 0; i < count; i++) {
    const key = pick(keys);
    // `constructor` turns a map into a JavaScript Map when converted: less often, so the
    // ordinary path stays the common one
    if (key === "constructor" && next() < 0.6) continue;
    entries.set(key, jsonValue(next, depth));
  }
  return `{${[...entries].map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(", ")}}`;
}

/** A container: a map with a name, maybe ports, resources and a security context. */
function jsonContainer(next: Next): string {
  const parts = [`"name": ${pickFrom(next)(['"a"', '"b"', '"c"', "null", "1"])}`];
  if (next() < 0.6) parts.push(`"ports": ${jsonValue(next, 2)}`);
  if (next() < 0.6) parts.push(`"resources": ${jsonValue(next, 3)}`);
  if (next() < 0.4) parts.push(`"securityContext": ${jsonMap(next, 1)}`);
  const extra = pickFrom(next)(KEYS);
  const value = jsonValue(next, 2);
  if (next() < 0.5 && extra !== "name") parts.push(`${JSON.stringify(extra)}: ${value}`);
  return `{${parts.join(", ")}}`;
}

function jsonContainers(next: Next): string {
  const r = next();
  if (r < 0.1) return "null";
  if (r < 0.2) return jsonValue(next, 2);
  return `[${Array.from({ length: Math.floor(next() * 4) }, () => jsonContainer(next)).join(", ")}]`;
}

/** A Pod (or a Deployment, whose template holds the pod spec) whose spec, metadata and extra keys are random. */
export function jsonPod(next: Next, name = "p", kind: "Pod" | "Deployment" = "Pod"): string {
  const pick = pickFrom(next);
  // not `items`, which makes a document a List
  const extraKey = pick(KEYS.filter((k) => k !== "spec" && k !== "items"));
  const spec = [
    `"containers": ${jsonContainers(next)}`,
    `"initContainers": ${jsonContainers(next)}`,
    `"volumes": ${next() < 0.5 ? jsonValue(next, 3) : "null"}`,
    `${JSON.stringify(pick(KEYS))}: ${jsonValue(next, 3)}`,
  ];
  const labels = next() < 0.8 ? jsonMap(next, 0, ["app", "tier", "__proto__", "toString", "a"]) : "null";
  const metadata = `{"name": ${JSON.stringify(name)}, "namespace": "ns", "labels": ${labels}}`;
  const podSpec = `{${spec.join(", ")}}`;
  const body =
    kind === "Pod"
      ? podSpec
      : `{"replicas": ${pick(["1", "2.5", "null"])}, "template": {"spec": ${podSpec}}}`;
  return `{"apiVersion": "v1", "kind": "${kind}", "metadata": ${metadata}, "spec": ${body}, ${JSON.stringify(extraKey)}: ${jsonValue(next, 3)}}`;
}

/** A stream of `count` JSON documents (as YAML reads them): Pods, Deployments and ConfigMaps with random data. */
export function jsonManifests(next: Next, count: number): string {
  const docs: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = next();
    if (r < 0.5) docs.push(jsonPod(next, `r${i}`, "Pod"));
    else if (r < 0.8) docs.push(jsonPod(next, `r${i}`, "Deployment"));
    else
      docs.push(
        `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "r${i}", "namespace": "ns"}, "data": ${jsonMap(next, 2)}}`,
      );
  }
  return docs.join("\n---\n");
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `value` with every map rebuilt without a prototype, as the YAML reader gives maps (`__proto__` a key of its own). */
function withoutPrototypes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPrototypes);
  if (!isRecord(value)) return value;
  const out = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value))
    Object.defineProperty(out, key, {
      value: withoutPrototypes(value[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

/**
 * An activation as an evaluation makes it for a Pod: podSpec and containers are parts of the
 * object. Maps are as JSON.parse gives them or (half the time) as the YAML reader does, without
 * a prototype; a bundle is sometimes long enough to be indexed (list-index.ts).
 */
export function randomActivation(next: Next, long = next() < 0.3): Record<string, unknown> {
  const parse =
    next() < 0.5 ? (text: string) => JSON.parse(text) : (text: string) => withoutPrototypes(JSON.parse(text));
  const object = parse(jsonPod(next)) as Record<string, unknown>;
  const podSpec = isRecord(object.spec) ? object.spec : null;
  const containers: unknown[] = [];
  for (const field of ["containers", "initContainers"]) {
    const list = podSpec?.[field];
    if (Array.isArray(list)) for (const c of list) if (isRecord(c)) containers.push(c);
  }
  const other = parse(jsonPod(next, "q"));
  const bundle = [object, other, parse(jsonMap(next, 2))];
  if (long)
    for (let i = 0; i < 10; i++)
      bundle.push(parse(next() < 0.7 ? jsonPod(next, pickFrom(next)(["p", "q", "r"])) : jsonMap(next, 2)));
  return deepFreeze({
    object,
    oldObject: next() < 0.5 ? null : other,
    namespaceObject: next() < 0.5 ? null : parse(jsonMap(next, 2)),
    podSpec,
    containers,
    bundle: !long && next() < 0.15 ? [] : bundle,
    params: {},
    variables: {},
    images: [],
    context: {},
    now: new Date(0),
  });
}

/** Generates expressions over the manifest variables, built around the paths kept as they are. */
export function expressions(
  next: Next,
  roots: readonly string[] = ["object", "podSpec", "oldObject", "namespaceObject"],
  lists: readonly string[] = ["containers", "bundle", "podSpec.containers", "podSpec.initContainers"],
) {
  const pick = pickFrom(next);
  const vars: string[] = [];
  const keyText = () => pick(KEYS);
  const key = () => {
    const k = keyText();
    return /^[a-zA-Z_]\w*$/.test(k) ? k : undefined;
  };
  const withVar = <T>(name: string, body: () => T): T => {
    vars.push(name);
    try {
      return body();
    } finally {
      vars.pop();
    }
  };
  const index = () =>
    pick([
      `'${keyText()}'`,
      `'${keyText()}'`,
      "0",
      "1",
      "-1",
      "5",
      "0u",
      "1.0",
      vars.length > 0 ? pick(vars) : "'a'",
    ]);

  /** A value that may be a map or list read as it is. */
  const path = (depth: number): string => {
    const r = next();
    let base: string;
    if (vars.length > 0 && r < 0.3) base = pick(vars);
    else if (r < 0.45) base = pick(lists);
    else if (r < 0.5)
      // CEL values beside manifests, among them optionals held as values (through dyn)
      base = pick([
        "dyn({'a': optional.none()})",
        "dyn({'a': optional.of({'b': 1, 'name': [2]})})",
        "dyn([optional.of([3]), optional.none()])",
        "dyn(optional.of(optional.of({'a': 1})))",
        "dyn(optional.of(optional.none()))",
        "{'a': {'b': 1.0}, '__proto__': [1]}",
        "[{'name': 'a'}, null]",
      ]);
    else base = pick(roots);
    const steps = Math.floor(next() * next() * 3);
    for (let i = 0; i < steps; i++) {
      const k = key();
      const s = next();
      if (k && s < 0.6) base = `${base}.${k}`;
      else if (s < 0.8) base = `${base}[${index()}]`;
      else base = `${base}['${keyText()}']`;
    }
    if (depth > 0 && next() < 0.2) return value(depth - 1);
    return base;
  };

  /** An optional: `.?`, `[?k]`, chains of them, ternaries of them, or one made. */
  const optional = (depth: number): string => {
    const r = next();
    if (depth > 0 && r < 0.15) {
      const condition =
        next() < 0.8
          ? bool(depth - 1)
          : pick(["dyn(object.kind)", "dyn(podSpec)", "object.?kind.orValue(1)", "dyn(null)"]);
      return `(${condition} ? ${optional(depth - 1)} : ${optional(depth - 1)})`;
    }
    if (r < 0.2)
      return pick([
        "optional.none()",
        `optional.of(${path(depth - 1)})`,
        `optional.ofNonZeroValue(${path(depth - 1)})`,
      ]);
    let base = next() < 0.3 && depth > 0 ? optional(depth - 1) : path(depth - 1);
    const steps = 1 + Math.floor(next() * 3);
    for (let i = 0; i < steps; i++) {
      const k = key();
      if (k && next() < 0.5) base = `${base}.?${k}`;
      else base = `${base}[?${index()}]`;
    }
    return base;
  };

  const list = (depth: number): string => {
    const r = next();
    if (r < 0.2) return pick(["[]", "dyn([])", "containers", "bundle", "podSpec.containers"]);
    if (r < 0.45) return `${optional(depth)}.orValue(${pick(["[]", "dyn([])", "[]", list(depth - 1)])})`;
    if (depth > 0 && r < 0.6) return `(${list(depth - 1)} + ${list(depth - 1)})`;
    if (depth > 0 && r < 0.75) {
      const v = pick(["x", "y", "c"]);
      return `${list(depth - 1)}.filter(${v}, ${withVar(v, () => bool(depth - 1))})`;
    }
    if (depth > 0 && r < 0.85)
      return `(${bool(depth - 1)} ? ${list(depth - 1)} : ${pick(["[]", "dyn([])", list(depth - 1)])})`;
    if (depth > 0 && r < 0.9) {
      const v = pick(["x", "y"]);
      return `${list(depth - 1)}.map(${v}, ${withVar(v, () => value(depth - 1))})`;
    }
    return path(depth);
  };

  /** A comprehension whose predicate starts with key equalities: the shape the list index serves (index-plan.ts). */
  const keyed = (depth: number): string => {
    const v = pick(["x", "y", "c"]);
    const source = pick(["bundle", "bundle", "containers", "bundle.filter(o, o.kind == 'Pod')", list(depth)]);
    const macro = pick(["filter", "exists", "all", "exists_one", "map"]);
    const key = () =>
      `${v}.${pick(["kind", "name", "metadata.name", "metadata.namespace", "?metadata.?name.orValue('')"])}`;
    const value = () =>
      pick(["'Pod'", "'a'", "'p'", "'q'", "'ns'", "object.metadata.name", "string(object.kind)", "1"]);
    const predicate = () =>
      withVar(
        v,
        () => `${key()} == ${value()}${next() < 0.5 ? ` && ${key()} == ${value()}` : ""} && ${bool(depth)}`,
      );
    if (macro === "filter")
      return `size(${source}.filter(${v}, ${predicate()})) ${pick(["> 0", "== 1", "< 3"])}`;
    if (macro === "map")
      return `${source}.map(${v}, ${predicate()}, ${withVar(v, () => value())}).exists(z, z == 'p')`;
    return `${source}.${macro}(${v}, ${predicate()})`;
  };

  const bool = (depth: number): string => {
    const r = next();
    if (depth <= 0 || r < 0.1)
      return pick(["true", "false", `has(object.${key() ?? "a"})`, "object.kind == 'Pod'"]);
    const d = depth - 1;
    if (r < 0.15) return keyed(d);
    if (r < 0.2) return `${optional(d)}.hasValue()`;
    if (r < 0.3) {
      const k = key();
      return k ? `has(${path(d)}.${k})` : `has(object.spec.${pick(["containers", "volumes", "a"])})`;
    }
    if (r < 0.4) return `(${value(d)} ${pick(["==", "!="])} ${value(d)})`;
    if (r < 0.5) return `(${value(d)} in ${list(d)})`;
    if (r < 0.6) {
      const v = pick(["x", "y", "c"]);
      const macro = pick(["all", "exists", "exists_one"]);
      return `${list(d)}.${macro}(${v}, ${withVar(v, () => bool(d))})`;
    }
    if (r < 0.7) return `(${bool(d)} ${pick(["&&", "||"])} ${bool(d)})`;
    if (r < 0.75) return `!${bool(d)}`;
    if (r < 0.8) return `(size(${value(d)}) ${pick(["==", ">", "<="])} ${pick(["0", "1", "2"])})`;
    if (r < 0.85)
      return `(type(${value(d)}) == ${pick(["int", "double", "list", "map", "string", "null_type", "bool"])})`;
    if (r < 0.9) return `(${value(d)} ${pick(["<", ">="])} ${pick(["0", "1.5", "'a'"])})`;
    return `dyn(${value(d)})`;
  };

  const value = (depth: number): string => {
    const r = next();
    if (depth <= 0 || r < 0.15) return path(0);
    const d = depth - 1;
    if (r < 0.3)
      return `${optional(d)}.orValue(${pick(["[]", "dyn([])", "{}", "dyn({})", "0", "'none'", "null", path(0), value(d)])})`;
    if (r < 0.4) return list(d);
    if (r < 0.45) return `${optional(d)}.value()`;
    if (r < 0.55) return `(${bool(d)} ? ${value(d)} : ${pick(["[]", "dyn([])", "{}", value(d)])})`;
    if (r < 0.6) return `dyn(${value(d)})`;
    if (r < 0.65) return `string(${value(d)})`;
    if (r < 0.7) return `type(${value(d)})`;
    if (r < 0.75) return `size(${value(d)})`;
    if (r < 0.8) {
      const b = pick(["b", "v"]);
      return `cel.bind(${b}, ${value(d)}, ${withVar(b, () => value(d))})`;
    }
    if (r < 0.85) return `[${value(d)}, ${value(d)}]`;
    if (r < 0.9) return `{'k': ${value(d)}}`;
    if (r < 0.95) return `${list(d)}[${index()}]`;
    return bool(d);
  };

  return { value, bool, list, optional, keyed };
}

/** JSON of an activation's manifests, for a failure's message (bigints and -0 marked). */
export function showActivation(activation: Record<string, unknown>): string {
  const out: Record<string, unknown> = {};
  for (const name of MANIFEST_VARIABLES) out[name] = activation[name];
  return JSON.stringify(out, (_k, v) =>
    typeof v === "bigint" ? `${v}n` : Object.is(v, -0) ? "-0" : v === 1e300 ? "1e300" : v,
  );
}
