/**
 * The five rules of five-rules.yaml as hand-written JavaScript: what a careful engineer would
 * write without a policy engine. Each takes a plain manifest object (as the YAML parser gives
 * it) and returns the same outcome and message as its CEL twin; the bench proves they agree.
 * They do their own matching (workload kinds), pod-spec extraction, image-reference parsing and
 * quantity comparison, so the comparison is whole rule against whole rule.
 */

export type JsOutcome = { outcome: "skip" } | { outcome: "pass" } | { outcome: "fail"; messages: string[] };

export interface JsRule {
  name: string;
  check(object: Record<string, unknown>): JsOutcome;
}

type Obj = Record<string, unknown>;

const SKIP: JsOutcome = { outcome: "skip" };
const PASS: JsOutcome = { outcome: "pass" };

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const WORKLOADS = new Set([
  "Pod",
  "Deployment",
  "ReplicaSet",
  "StatefulSet",
  "DaemonSet",
  "Job",
  "CronJob",
  "ReplicationController",
]);

/** The pod spec of a Pod or the pod template spec of a workload; null for anything else. */
function podSpecOf(object: Obj): Obj | null {
  const kind = object.kind;
  if (typeof kind !== "string" || !WORKLOADS.has(kind)) return null;
  const spec = object.spec;
  if (!isObj(spec)) return null;
  if (kind === "Pod") return spec;
  let template: unknown = spec.template;
  if (kind === "CronJob") {
    const job = spec.jobTemplate;
    template = isObj(job) && isObj(job.spec) ? job.spec.template : undefined;
  }
  return isObj(template) && isObj(template.spec) ? template.spec : null;
}

/** containers, then initContainers, then ephemeralContainers. */
function containersOf(pod: Obj): Obj[] {
  const out: Obj[] = [];
  for (const field of ["containers", "initContainers", "ephemeralContainers"]) {
    const list = pod[field];
    if (Array.isArray(list)) for (const c of list) if (isObj(c)) out.push(c);
  }
  return out;
}

function names(containers: readonly Obj[]): string {
  return containers.map((c) => String(c.name)).join(", ");
}

function get(value: unknown, key: string): unknown {
  return isObj(value) ? value[key] : undefined;
}

function has(value: unknown, key: string): boolean {
  return isObj(value) && Object.hasOwn(value, key);
}

/** A rule that applies to workloads with a pod spec; `check` sees the pod spec. */
function workloadRule(name: string, check: (pod: Obj, object: Obj) => JsOutcome): JsRule {
  return {
    name,
    check(object) {
      const pod = podSpecOf(object);
      return pod ? check(pod, object) : SKIP;
    },
  };
}

const noPrivileged = workloadRule("no-privileged", (pod) => {
  const privileged = containersOf(pod).filter((c) => get(c.securityContext, "privileged") === true);
  return privileged.length === 0
    ? PASS
    : { outcome: "fail", messages: [`privileged containers: ${names(privileged)}`] };
});

const runAsNonRoot = workloadRule("run-as-non-root", (pod) => {
  const podNonRoot = get(pod.securityContext, "runAsNonRoot") === true;
  const root = containersOf(pod).filter((c) => {
    const own = has(c.securityContext, "runAsNonRoot") ? get(c.securityContext, "runAsNonRoot") : podNonRoot;
    return own !== true;
  });
  return root.length === 0
    ? PASS
    : { outcome: "fail", messages: [`containers that may run as root: ${names(root)}`] };
});

const noHostNamespaces = workloadRule("no-host-namespaces", (pod) =>
  pod.hostNetwork === true || pod.hostPID === true || pod.hostIPC === true
    ? { outcome: "fail", messages: ["hostNetwork, hostPID and hostIPC must not be true"] }
    : PASS,
);

const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const QUANTITY = /^([+-]?)(\d+)(?:\.(\d*))?(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

/** A Kubernetes quantity in nano-units, exactly (bigint); throws on text Kubernetes refuses. */
function nanos(text: string): bigint {
  const m = QUANTITY.exec(text);
  if (!m) throw new Error(`invalid quantity ${JSON.stringify(text)}`);
  const [, sign = "", whole = "", fraction = "", exponent, suffix = ""] = m;
  let value = BigInt(whole + fraction);
  let scale = 9 - fraction.length; // power of ten still to apply to reach nano-units
  if (exponent) scale += Number(exponent.slice(1));
  else if (suffix in BINARY) value *= 1n << BigInt(BINARY[suffix]!);
  else scale += DECIMAL[suffix] ?? 0;
  if (scale >= 0) value *= 10n ** BigInt(scale);
  else {
    // below a nano-unit, round up as Kubernetes does
    const divisor = 10n ** BigInt(-scale);
    value = (value + divisor - 1n) / divisor;
  }
  return sign === "-" ? -value : value;
}

const containerResourcesRequired = workloadRule("container-resources-required", (pod) => {
  const containers = containersOf(pod);
  const unbounded = containers.filter((c) => {
    const requests = get(c.resources, "requests");
    const limits = get(c.resources, "limits");
    return !has(requests, "cpu") || !has(requests, "memory") || !has(limits, "cpu") || !has(limits, "memory");
  });
  const overcommitted = containers.filter((c) => {
    const requests = get(c.resources, "requests");
    const limits = get(c.resources, "limits");
    if (!has(requests, "cpu") || !has(limits, "cpu")) return false;
    return nanos(String(get(requests, "cpu"))) > nanos(String(get(limits, "cpu")));
  });
  const messages: string[] = [];
  if (unbounded.length > 0)
    messages.push(`containers without cpu and memory requests and limits: ${names(unbounded)}`);
  if (overcommitted.length > 0)
    messages.push(`containers whose cpu request exceeds their limit: ${names(overcommitted)}`);
  return messages.length === 0 ? PASS : { outcome: "fail", messages };
});

/** Tag and digest of an image reference: `name[:tag][@digest]`, where a registry port is not a tag. */
function tagAndDigest(ref: string): { tag: string | null; digest: string | null } {
  const at = ref.indexOf("@");
  const name = at >= 0 ? ref.slice(0, at) : ref;
  const colon = name.lastIndexOf(":");
  return {
    tag: colon > name.lastIndexOf("/") ? name.slice(colon + 1) : null,
    digest: at >= 0 ? ref.slice(at + 1) : null,
  };
}

const imageTagPinned = workloadRule("image-tag-pinned", (pod) => {
  const refs = new Set<string>();
  for (const c of containersOf(pod)) if (typeof c.image === "string") refs.add(c.image);
  const floating = [...refs].filter((ref) => {
    const { tag, digest } = tagAndDigest(ref);
    return digest === null && (tag === null || tag === "latest");
  });
  return floating.length === 0
    ? PASS
    : { outcome: "fail", messages: [`images without a pinned tag or digest: ${floating.join(", ")}`] };
});

/** In the order of five-rules.yaml. */
export const JS_RULES: readonly JsRule[] = [
  noPrivileged,
  runAsNonRoot,
  noHostNamespaces,
  containerResourcesRequired,
  imageTagPinned,
];
