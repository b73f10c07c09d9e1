/**
 * A generated, deterministic bundle of workloads shaped like a real platform's: Deployments,
 * StatefulSets, CronJobs and Pods with several containers and init containers, security
 * contexts that sometimes comply and sometimes do not, resources written both as YAML integers
 * (`cpu: 1`) and as strings (`cpu: "500m"`), images with and without tags and digests, image
 * facts (scans, signatures) for some of the images, and the Namespaces, NetworkPolicies,
 * ResourceQuotas and LimitRanges around them. The same seed always gives the same text.
 */
import { toYaml } from "./lib/yaml.js";

export interface GeneratedBundle {
  /** Multi-document YAML, as a manifest file would hold it. */
  yaml: string;
  /** Image facts in celgate's native form (a list of image objects), for some of the images. */
  imageFacts: Record<string, unknown>[];
  workloads: number;
  /** Documents per kind. */
  kinds: Record<string, number>;
}

/** Workloads per namespace. */
const WORKLOADS_PER_NAMESPACE = 25;

/** mulberry32: a tiny, well-known seeded PRNG, so every run generates the same bundle. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function chance(random: Random, p: number): boolean {
  return random() < p;
}

function hex(random: Random, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += "0123456789abcdef"[Math.floor(random() * 16)];
  return out;
}

const REGISTRIES = [
  "",
  "docker.io/library/",
  "registry.internal.example/shop/",
  "registry.internal.example:5000/platform/",
  "ghcr.io/acme/",
  "quay.io/prometheus/",
  "gcr.io/distroless/",
];
const NAMES = [
  "nginx",
  "redis",
  "postgres",
  "web",
  "api",
  "worker",
  "busybox",
  "alpine",
  "node",
  "envoy",
  "app",
];

/** A pool of image references: bare names, tags, `latest`, digests, tag plus digest, registry ports. */
function imagePool(random: Random, size: number): string[] {
  const pool = new Set<string>();
  while (pool.size < size) {
    const name = `${pick(random, REGISTRIES)}${pick(random, NAMES)}`;
    const form = random();
    const digest = `sha256:${hex(random, 64)}`;
    const tag = pick(random, ["1.27", "v2.3.1", "3.19", "1.4.2", "2024.11.1", "stable"]);
    if (form < 0.1) pool.add(name);
    else if (form < 0.2) pool.add(`${name}:latest`);
    else if (form < 0.65) pool.add(`${name}:${tag}`);
    else if (form < 0.85) pool.add(`${name}@${digest}`);
    else pool.add(`${name}:${tag}@${digest}`);
  }
  return [...pool];
}

const SEVERITIES = ["critical", "high", "medium", "low"] as const;

/** Native image facts for one reference: a scan with a few vulnerabilities, maybe a signature. */
function factsFor(random: Random, ref: string): Record<string, unknown> {
  const vulnerabilities = Array.from({ length: Math.floor(random() * 6) }, (_, i) => ({
    id: `CVE-2024-${1000 + Math.floor(random() * 9000)}`,
    severity: pick(random, SEVERITIES),
    package: pick(random, ["openssl", "zlib", "glibc", "busybox", "curl", "libxml2"]),
    installedVersion: `1.${i}.${Math.floor(random() * 10)}`,
    fixedVersion: chance(random, 0.6) ? `1.${i}.${10 + Math.floor(random() * 10)}` : null,
  }));
  const day = 1 + Math.floor(random() * 28);
  return {
    ref,
    scan: {
      scanner: "trivy 0.58.0",
      scannedAt: `2026-11-${String(day).padStart(2, "0")}T10:00:00Z`,
      vulnerabilities,
    },
    signatures: chance(random, 0.5)
      ? [
          {
            verified: chance(random, 0.9),
            identity: "https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main",
            issuer: "https://token.actions.githubusercontent.com",
          },
        ]
      : [],
    createdAt: `2026-10-${String(day).padStart(2, "0")}T00:00:00Z`,
    labels: { "org.opencontainers.image.source": "https://github.com/acme/web" },
    user: pick(random, ["1000", "0", "nobody", null]),
  };
}

function resources(random: Random): Record<string, unknown> | undefined {
  const form = random();
  if (form < 0.08) return undefined;
  // `cpu: 1` is a YAML integer, `"500m"` a string, 0.5 a float: a policy must handle all three
  const requests = {
    cpu: pick(random, [1, "500m", "250m", "100m", 2, 0.5]),
    memory: pick(random, ["128Mi", "256Mi", "1Gi", "512M"]),
  };
  if (form < 0.2) return { requests };
  const limits = {
    cpu: pick(random, [1, 2, "1500m", "500m", 4]),
    memory: pick(random, ["256Mi", "512Mi", "2Gi", "1G"]),
  };
  return { requests, limits };
}

function containerSecurityContext(random: Random): Record<string, unknown> | undefined {
  const form = random();
  if (form < 0.25) return undefined;
  if (form < 0.28) return { privileged: true };
  const context: Record<string, unknown> = {
    allowPrivilegeEscalation: !chance(random, 0.9),
    readOnlyRootFilesystem: chance(random, 0.7),
    capabilities: chance(random, 0.85) ? { drop: ["ALL"] } : { add: ["NET_ADMIN"] },
  };
  const nonRoot = random();
  if (nonRoot < 0.3) context.runAsNonRoot = true;
  else if (nonRoot < 0.35) context.runAsNonRoot = false;
  if (chance(random, 0.3)) context.runAsUser = pick(random, [1000, 10001, 0]);
  if (chance(random, 0.2))
    context.seccompProfile = { type: pick(random, ["RuntimeDefault", "Localhost", "Unconfined"]) };
  return context;
}

function container(
  random: Random,
  name: string,
  images: readonly string[],
  init: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name,
    image: pick(random, images),
    imagePullPolicy: pick(random, ["IfNotPresent", "Always"]),
  };
  if (!init) {
    out.ports = [
      {
        name: "http",
        containerPort: 8080,
        protocol: "TCP",
        ...(chance(random, 0.03) ? { hostPort: 8080 } : {}),
      },
    ];
    out.env = [
      { name: "LOG_LEVEL", value: "info" },
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    ];
    if (chance(random, 0.6)) {
      out.readinessProbe = { httpGet: { path: "/ready", port: 8080 }, periodSeconds: 10 };
      out.livenessProbe = { tcpSocket: { port: 8080 }, initialDelaySeconds: 5 };
    }
  } else {
    out.command = ["/bin/sh", "-c", "until nslookup db; do sleep 2; done"];
  }
  const res = resources(random);
  if (res) out.resources = res;
  const sc = containerSecurityContext(random);
  if (sc) out.securityContext = sc;
  out.volumeMounts = [{ name: "tmp", mountPath: "/tmp" }];
  return out;
}

function podSpec(
  random: Random,
  app: string,
  images: readonly string[],
  kind: string,
): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  if (chance(random, 0.5)) spec.serviceAccountName = app;
  if (chance(random, 0.4)) spec.automountServiceAccountToken = false;
  const podContext = random();
  if (podContext < 0.55) {
    spec.securityContext = {
      runAsNonRoot: true,
      runAsUser: 1000,
      fsGroup: 2000,
      seccompProfile: { type: "RuntimeDefault" },
    };
  } else if (podContext < 0.65) {
    spec.securityContext = { runAsUser: 0 };
  }
  if (chance(random, 0.02)) spec.hostNetwork = true;
  if (chance(random, 0.01)) spec.hostPID = true;
  if (chance(random, 0.01)) spec.hostIPC = true;
  const inits = Math.floor(random() * 3) - (chance(random, 0.4) ? 1 : 0);
  if (inits > 0)
    spec.initContainers = Array.from({ length: inits }, (_, i) =>
      container(random, `init-${i}`, images, true),
    );
  spec.containers = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, i) =>
    container(random, i === 0 ? app : `sidecar-${i}`, images, false),
  );
  if (kind === "Pod" && chance(random, 0.05)) {
    spec.ephemeralContainers = [{ name: "debugger", image: "busybox:latest", stdin: true, tty: true }];
  }
  spec.volumes = [
    { name: "tmp", emptyDir: {} },
    chance(random, 0.03)
      ? { name: "host", hostPath: { path: "/var/run/docker.sock", type: "Socket" } }
      : { name: "config", configMap: { name: `${app}-config` } },
  ];
  if (kind === "CronJob") spec.restartPolicy = "OnFailure";
  return spec;
}

function workload(
  random: Random,
  index: number,
  namespace: string,
  images: readonly string[],
): Record<string, unknown> {
  const form = random();
  const kind = form < 0.45 ? "Deployment" : form < 0.65 ? "StatefulSet" : form < 0.8 ? "CronJob" : "Pod";
  const name = `${kind.toLowerCase()}-${index}`;
  const labels = {
    app: name,
    tier: pick(random, ["web", "backend", "batch"]),
    "app.kubernetes.io/part-of": namespace,
  };
  const metadata = {
    name,
    namespace,
    labels,
    annotations: { "celgate.dev/bench": "generated", "kubectl.kubernetes.io/default-container": name },
  };
  const template = { metadata: { labels }, spec: podSpec(random, name, images, kind) };
  switch (kind) {
    case "Deployment":
      return {
        apiVersion: "apps/v1",
        kind,
        metadata,
        spec: { replicas: 1 + Math.floor(random() * 4), selector: { matchLabels: { app: name } }, template },
      };
    case "StatefulSet":
      return {
        apiVersion: "apps/v1",
        kind,
        metadata,
        spec: { serviceName: name, replicas: 3, selector: { matchLabels: { app: name } }, template },
      };
    case "CronJob":
      return {
        apiVersion: "batch/v1",
        kind,
        metadata,
        spec: {
          schedule: "*/15 * * * *",
          concurrencyPolicy: "Forbid",
          jobTemplate: { spec: { backoffLimit: 2, template } },
        },
      };
    default:
      return { apiVersion: "v1", kind: "Pod", metadata: { ...metadata, labels }, spec: template.spec };
  }
}

function namespaceDocuments(
  random: Random,
  namespace: string,
  apps: readonly string[],
): Record<string, unknown>[] {
  const docs: Record<string, unknown>[] = [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: namespace,
        labels: {
          team: namespace,
          "pod-security.kubernetes.io/enforce": pick(random, ["baseline", "restricted"]),
        },
      },
    },
  ];
  if (chance(random, 0.67)) {
    docs.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "default-deny", namespace },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    });
  }
  docs.push({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "allow-web", namespace },
    spec: {
      podSelector: {
        matchLabels: { tier: "web" },
        matchExpressions: [{ key: "app", operator: "In", values: apps.slice(0, 5) }],
      },
      policyTypes: ["Ingress"],
      ingress: [
        { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress" } } }] },
      ],
    },
  });
  if (chance(random, 0.5)) {
    docs.push({
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: { name: "quota", namespace },
      spec: { hard: { "requests.cpu": "20", "requests.memory": "64Gi", pods: 100 } },
    });
  }
  if (chance(random, 0.33)) {
    docs.push({
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: { name: "limits", namespace },
      spec: { limits: [{ type: "Container", default: { cpu: "500m", memory: "512Mi" } }] },
    });
  }
  return docs;
}

/**
 * Generates `workloads` workloads in namespaces of 25, with their namespace-level objects and
 * image facts for about half of the image pool. Deterministic for a given seed.
 */
export function generateBundle(workloads: number, seed = 20261129): GeneratedBundle {
  const random = prng(seed);
  const images = imagePool(random, Math.max(20, Math.min(200, Math.ceil(workloads / 10))));
  const imageFacts = images.filter(() => chance(random, 0.5)).map((ref) => factsFor(random, ref));
  const namespaces = Math.max(1, Math.ceil(workloads / WORKLOADS_PER_NAMESPACE));
  const docs: Record<string, unknown>[] = [];
  let index = 0;
  for (let n = 0; n < namespaces; n++) {
    const namespace = `team-${String(n).padStart(3, "0")}`;
    const count = Math.min(WORKLOADS_PER_NAMESPACE, workloads - index);
    const items = Array.from({ length: count }, () => workload(random, index++, namespace, images));
    const apps = items.map((w) => (w.metadata as { name: string }).name);
    docs.push(...namespaceDocuments(random, namespace, apps), ...items);
  }
  const kinds: Record<string, number> = {};
  for (const doc of docs) kinds[doc.kind as string] = (kinds[doc.kind as string] ?? 0) + 1;
  return { yaml: docs.map(toYaml).join("---\n"), imageFacts, workloads, kinds };
}
