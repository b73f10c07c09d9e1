import { describe, expect, it } from "vitest";
import { parseManifests } from "../resources/parse.js";
import { sha256Hex } from "../util/sha256.js";
import { MAX_COMMAND_LINE_ITEMS, REDACTED_PREFIX, Redaction, TOO_DEEP, TOO_LONG } from "./redact.js";
import { LAST_APPLIED, parseRedactionPaths } from "./rules.js";

// A test digest; the service uses an HMAC with a per-installation key.
const digest = (v: string) => `test:${sha256Hex(`k${v}`).slice(0, 16)}`;
const marker = (v: string) => `${REDACTED_PREFIX}${digest(v)}`;
const b64 = (s: string) => Buffer.from(s).toString("base64");

const PASSWORD = "hunter2-correct-horse";
const secret = {
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "db", namespace: "shop" },
  data: { password: b64(PASSWORD), user: b64("admin") },
  stringData: { token: "tok-123456" },
};

describe("Redaction.object", () => {
  it("replaces every Secret data and stringData value by a marker that keeps the key", () => {
    const r = new Redaction({ digest });
    const out = r.object(secret);
    expect(out).toEqual({
      ...secret,
      data: { password: marker(b64(PASSWORD)), user: marker(b64("admin")) },
      stringData: { token: marker("tok-123456") },
    });
    expect(secret.data.password).toBe(b64(PASSWORD));
    expect(r.count).toBe(3);
    // Equal values give equal markers: "this key changed" stays answerable.
    expect(new Redaction({ digest }).object(secret)).toEqual(out);
    expect(JSON.stringify(out)).not.toContain(b64(PASSWORD));
  });

  it("replaces data that is not a mapping whole, and Secrets inside Lists", () => {
    const r = new Redaction({ digest });
    const odd = { apiVersion: "v1", kind: "Secret", metadata: { name: "x" }, data: ["a-secret-value"] };
    expect(r.object(odd).data).toBe(marker(JSON.stringify(["a-secret-value"])));
    const list = r.object({ apiVersion: "v1", kind: "List", items: [secret, { kind: "ConfigMap" }] });
    expect(JSON.stringify(list)).not.toContain(b64(PASSWORD));
    expect(list.items[1]).toEqual({ kind: "ConfigMap" });
  });

  it("redacts credential-looking env values in every container list at any depth", () => {
    const container = (name: string) => ({
      name,
      env: [
        { name: "DB_PASSWORD", value: "pw-1" },
        { name: "githubToken", value: "gh-2" },
        { name: "STRIPE_API_KEY", value: "sk-3" },
        { name: "DATABASE_URL", value: "postgres://app:pw-4@db:5432/app" },
        { name: "LOG_LEVEL", value: "debug" },
        { name: "FROM_SECRET", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
      ],
    });
    const cronJob = {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "nightly" },
      spec: {
        jobTemplate: {
          spec: {
            template: {
              spec: {
                containers: [container("a")],
                initContainers: [container("b")],
                ephemeralContainers: [container("c")],
              },
            },
          },
        },
      },
    };
    const rollout = {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Rollout",
      spec: { template: { spec: { containers: [container("d")] } } },
    };
    const r = new Redaction({ digest });
    const text = JSON.stringify([r.object(cronJob), r.object(rollout)]);
    for (const v of ["pw-1", "gh-2", "sk-3", "pw-4"]) expect(text).not.toContain(v);
    expect(text).toContain('"value":"debug"');
    expect(text).toContain("secretKeyRef");
    expect(r.count).toBe(16);
  });

  it("applies operator paths, by kind or for every kind", () => {
    const { paths, errors } = parseRedactionPaths(
      'ConfigMap:data.password, $.spec.credentials\nDeployment:metadata.annotations["vault.example/token"],ConfigMap:binaryData.*',
    );
    expect(errors).toEqual([]);
    const r = new Redaction({ digest, paths });
    const cm = r.object({
      apiVersion: "v1",
      kind: "ConfigMap",
      data: { password: "cm-pass", other: "keep" },
      binaryData: { a: "YmluMQ==", b: "YmluMg==" },
    });
    expect(cm.data).toEqual({ password: marker("cm-pass"), other: "keep" });
    expect(cm.binaryData).toEqual({ a: marker("YmluMQ=="), b: marker("YmluMg==") });
    const dep = r.object({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { annotations: { "vault.example/token": "vt", other: "x" } },
      spec: { credentials: { user: "u", pass: "p" } },
    });
    expect(dep.metadata.annotations).toEqual({ "vault.example/token": marker("vt"), other: "x" });
    expect(dep.spec.credentials).toMatch(/^celgate:redacted:/);
    // A path that is absent changes nothing.
    const plain = { apiVersion: "v1", kind: "Service", metadata: { name: "s" } };
    expect(r.object(plain)).toBe(plain);
  });

  it("reports bad operator paths", () => {
    expect(parseRedactionPaths("ConfigMap:, a..b, x[y]").errors).toHaveLength(3);
    expect(parseRedactionPaths("").paths).toEqual([]);
  });

  it("redacts the last-applied-configuration annotation by the same rules", () => {
    const applied = {
      ...secret,
      metadata: {
        ...secret.metadata,
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify(secret) },
      },
    };
    const out = new Redaction({ digest }).object(applied);
    expect(JSON.stringify(out)).not.toContain(b64(PASSWORD));
    expect(JSON.stringify(out)).not.toContain("tok-123456");
  });
});

describe("Redaction.manifests", () => {
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: web:1
`;
  const secretYaml = `apiVersion: v1
kind: Secret
metadata:
  name: db
data:
  password: ${b64(PASSWORD)}
stringData:
  token: tok-123456
`;

  it("keeps text with nothing secret as it is", () => {
    expect(new Redaction({ digest }).manifests(deployment)).toBe(deployment);
  });

  it("rewrites text with secrets: same resources, same document indexes and lines, no secret", () => {
    const text = `# leading comment\n${deployment}---\n${secretYaml}---\n- not an object\n---\n${deployment.replace("web", "api")}`;
    const out = new Redaction({ digest }).manifests(text, "k8s/app.yaml");
    expect(out).not.toContain(b64(PASSWORD));
    expect(out).not.toContain(PASSWORD);
    expect(out).not.toContain("tok-123456");
    const before = parseManifests(text, "k8s/app.yaml").resources;
    const after = parseManifests(out, "k8s/app.yaml").resources;
    expect(after.map((r) => r.ref)).toEqual(before.map((r) => r.ref));
    expect(after[1]!.object.data).toEqual({ password: marker(b64(PASSWORD)) });
    expect(after[0]!.object).toEqual(before[0]!.object);
  });

  it("does not keep documents the evaluation skipped (a values file, say), nor CRLF quirks", () => {
    const text = `db:\r\n  password: helm-values-secret\r\n---\r\n${deployment.replaceAll("\n", "\r\n")}`;
    const out = new Redaction({ digest }).manifests(text);
    expect(out).not.toContain("helm-values-secret");
    expect(parseManifests(out).resources.map((r) => r.ref)).toEqual(
      parseManifests(text).resources.map((r) => r.ref),
    );
  });

  it("keeps already-parsed text without parsing it again only when nothing is secret or skipped", () => {
    const parse = (t: string) => parseManifests(t).resources;
    const two = `${deployment}---\n${deployment.replace("web", "api")}`;
    expect(new Redaction({ digest }).manifests(two, "<input>", parse(two))).toBe(two);
    for (const text of [
      `${deployment}---\n${secretYaml}`,
      `${deployment}---\n- skipped\n`,
      `apiVersion: v1\nkind: List\nitems:\n  - ${JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } })}\n  - password: in-a-skipped-item\n`,
      JSON.stringify([JSON.parse(JSON.stringify({ apiVersion: "v1", kind: "ConfigMap" })), "skipped-string"]),
    ]) {
      const out = new Redaction({ digest }).manifests(text, "<input>", parse(text));
      expect(out, text).not.toBe(text);
      expect(out).not.toMatch(/in-a-skipped-item|skipped-string|tok-123456/);
    }
  });

  it("rewrites JSON text and Lists keeping document indexes", () => {
    const text = JSON.stringify([
      secret,
      { apiVersion: "v1", kind: "List", items: [secret, secret] },
      3,
      secret,
    ]);
    const out = new Redaction({ digest }).manifests(text);
    expect(out).not.toContain(b64(PASSWORD));
    const refs = (t: string) => parseManifests(t).resources.map((r) => [r.ref.name, r.ref.source?.document]);
    expect(refs(out)).toEqual(refs(text));
  });
});

describe("Redaction.mask", () => {
  it("masks a secret echoed as is, decoded, base64-encoded or JSON-escaped", () => {
    const r = new Redaction({ digest });
    r.object({ ...secret, stringData: { quoted: 'say "hi" now' } });
    const m = marker(b64(PASSWORD));
    expect(r.mask(`password is ${PASSWORD}!`)).toBe(`password is ${m}!`);
    expect(r.mask(`data: {"password": "${b64(PASSWORD)}"}`)).toBe(`data: {"password": "${m}"}`);
    expect(r.mask('{"quoted":"say \\"hi\\" now"}')).toBe(`{"quoted":"${marker('say "hi" now')}"}`);
    expect(r.mask("nothing secret here")).toBe("nothing secret here");
  });

  it("masks short values only as whole words", () => {
    const r = new Redaction({ digest });
    r.object({ apiVersion: "v1", kind: "Secret", stringData: { pin: "42" } });
    expect(r.mask("pin 42 in 1420")).toBe(`pin ${marker("42")} in 1420`);
  });

  it("masks every message of a report and leaves the input report alone", () => {
    const r = new Redaction({ digest });
    r.object(secret);
    const report = {
      apiVersion: "celgate.dev/v1" as const,
      kind: "EvaluationReport" as const,
      decision: "allow" as const,
      evaluatedAt: "2026-01-01T00:00:00Z",
      policySet: { digest: "sha256:x", policies: 1 },
      summary: { resources: 1, pass: 0, fail: 1, error: 0, skip: 0, waived: 0 },
      results: [
        {
          resource: { apiVersion: "v1", kind: "Secret", name: "db" },
          policy: "echo",
          severity: "low" as const,
          action: "audit" as const,
          outcome: "fail" as const,
          violations: [{ message: `saw ${b64(PASSWORD)}` }],
          error: `bad ${PASSWORD}`,
          exception: null,
        },
      ],
    };
    const masked = r.maskReport(report);
    expect(JSON.stringify(masked)).not.toContain(PASSWORD);
    expect(JSON.stringify(masked)).not.toContain(b64(PASSWORD));
    expect(report.results[0]!.violations[0]!.message).toContain(b64(PASSWORD));
  });
});

describe("Redaction of hostile depth", () => {
  it("replaces subtrees deeper than the limit instead of overflowing the stack", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const r = new Redaction({ digest });
    const config = r.object({ apiVersion: "v1", kind: "ConfigMap", data: deep });
    expect(JSON.stringify(config)).toContain(TOO_DEEP);
    const s = r.object({ apiVersion: "v1", kind: "Secret", data: { password: deep } });
    expect(s.data).toEqual({ password: TOO_DEEP });
    expect(r.mask("leaf")).toBe("leaf");
  });
});

describe("Redaction of hostile length", () => {
  const pod = (container: Record<string, unknown>) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "long" },
    spec: { containers: [{ name: "app", image: "mysql:8", ...container }] },
  });

  it("keeps a command line of more items than the limit as one marker per list, unread", () => {
    const args = Array.from({ length: MAX_COMMAND_LINE_ITEMS }, (_, i) => `-p${i}`);
    const r = new Redaction({ digest });
    const out = r.object(pod({ command: ["mysql"], args }));
    expect(out.spec.containers[0]).toMatchObject({ command: [TOO_LONG], args: [TOO_LONG] });
    expect(JSON.stringify(out)).not.toContain("-p1");
    // a probe's exec.command alone, over the limit
    const probe = r.object(pod({ livenessProbe: { exec: { command: ["sh", "-c", ...args] } } }));
    expect((probe.spec.containers[0] as Record<string, unknown>).livenessProbe).toEqual({
      exec: { command: [TOO_LONG] },
    });
  });

  it("reads a command line of exactly the limit item by item", () => {
    const args = Array.from({ length: MAX_COMMAND_LINE_ITEMS - 1 }, (_, i) => `-v${i}`);
    const out = new Redaction({ digest }).object(
      pod({ command: ["mysql"], args: [...args.slice(1), "-phunter2"] }),
    );
    const kept = (out.spec.containers[0] as Record<string, unknown>).args as string[];
    expect(kept).toHaveLength(MAX_COMMAND_LINE_ITEMS - 1);
    expect(kept[0]).toBe("-v1");
    expect(kept.at(-1)).toBe(`-p${marker("hunter2")}`);
  });
});

describe("Redaction.mask of odd values", () => {
  it("masks values with regular-expression characters and lone surrogates without throwing", () => {
    const r = new Redaction({ digest });
    r.object({ apiVersion: "v1", kind: "Secret", stringData: { a: "(a+)+$[x]\\d", b: "x\ud800y-value" } });
    expect(r.mask("1 (a+)+$[x]\\d 2")).toBe(`1 ${marker("(a+)+$[x]\\d")} 2`);
    expect(r.mask("x\ud800y-value")).toBe(marker("x\ud800y-value"));
  });
});

describe("Redaction of secrets in odd places", () => {
  const leaks = (value: unknown, ...secrets: string[]) =>
    secrets.filter((s) => JSON.stringify(value).includes(s));

  it("redacts Secrets whatever the case of the kind", () => {
    for (const kind of ["secret", "SECRET", "sEcReT"]) {
      const out = new Redaction({ digest }).object({ ...secret, kind });
      expect(leaks(out, b64(PASSWORD), "tok-123456")).toEqual([]);
      expect(out.stringData).toEqual({ token: marker("tok-123456") });
    }
  });

  it("redacts a Secret nested at any depth (a Template's objects, an embedded object)", () => {
    const template = {
      apiVersion: "template.openshift.io/v1",
      kind: "Template",
      metadata: { name: "t" },
      objects: [{ kind: "Secret", metadata: { name: "s" }, stringData: { password: "nested-pw-1" } }],
    };
    const custom = {
      apiVersion: "example.io/v1",
      kind: "Bundle",
      spec: { deep: { deeper: { kind: "secret", data: { key: b64("nested-pw-2") } } } },
    };
    const r = new Redaction({ digest });
    expect(leaks(r.object(template), "nested-pw-1")).toEqual([]);
    expect(leaks(r.object(custom), b64("nested-pw-2"))).toEqual([]);
    expect(r.object(template).objects[0]!.stringData).toEqual({ password: marker("nested-pw-1") });
  });

  it("leaves out the userinfo of image references and masks echoes of it", () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      spec: {
        containers: [
          { name: "a", image: "user:ImagePw-1@registry.example/app:1" },
          { name: "b", image: "https://robot:ImagePw-2@registry.example/app:2" },
          {
            name: "c",
            image: "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
          },
          { name: "d", image: "registry.example:5000/app:3" },
        ],
      },
    };
    const r = new Redaction({ digest });
    const out = r.object(pod);
    expect(out.spec.containers.map((c) => c.image)).toEqual([
      "registry.example/app:1",
      "https://registry.example/app:2",
      pod.spec.containers[2]!.image,
      "registry.example:5000/app:3",
    ]);
    expect(r.imageRef("registry.example/app:1")).toBe("registry.example/app:1");
    expect(r.mask('image "user:ImagePw-1@registry.example/app:1" is bad; pw ImagePw-2')).toBe(
      `image "registry.example/app:1" is bad; pw ${marker("ImagePw-2")}`,
    );
  });

  it("redacts the value of credential-named --flag=value args and command items", () => {
    const pod = {
      kind: "Pod",
      spec: {
        containers: [
          {
            name: "a",
            command: ["server", "--password=ArgPw-1", "-db-token=ArgPw-2"],
            args: [
              "--api-key=ArgPw-3",
              "--dsn=x",
              "--db=postgres://u:ArgPw-4@db/app",
              "--port=8080",
              "--password=",
            ],
          },
        ],
      },
    };
    const r = new Redaction({ digest });
    const c = r.object(pod).spec.containers[0]!;
    expect(leaks(c, "ArgPw-1", "ArgPw-2", "ArgPw-3", "ArgPw-4")).toEqual([]);
    expect(c.command).toEqual([
      "server",
      `--password=${marker("ArgPw-1")}`,
      `-db-token=${marker("ArgPw-2")}`,
    ]);
    expect(c.args.slice(3)).toEqual(["--port=8080", "--password="]);
  });

  it("redacts the item after a credential-named flag alone, in every container list", () => {
    const container = (name: string, n: number) => ({
      name,
      command: ["server", "--password", `SepPw-${n}a`],
      args: ["--db-token", `SepPw-${n}b`, "-api-key", `SepPw-${n}c`, "--port", "8080"],
    });
    const podSpec = (n: number) => ({
      containers: [container("a", n)],
      initContainers: [container("i", n + 1)],
      ephemeralContainers: [container("e", n + 2)],
    });
    const deployment = {
      kind: "Deployment",
      metadata: { name: "d" },
      spec: { template: { spec: podSpec(10) } },
    };
    const r = new Redaction({ digest });
    const out = r.object(deployment);
    const values = [10, 11, 12].flatMap((n) => ["a", "b", "c"].map((x) => `SepPw-${n}${x}`));
    expect(leaks(out, ...values)).toEqual([]);
    const c = out.spec.template.spec.initContainers[0]!;
    expect(c.command).toEqual(["server", "--password", marker("SepPw-11a")]);
    expect(c.args).toEqual([
      "--db-token",
      marker("SepPw-11b"),
      "-api-key",
      marker("SepPw-11c"),
      "--port",
      "8080",
    ]);
    expect(r.mask("bad password SepPw-12a")).toBe(`bad password ${marker("SepPw-12a")}`);

    // A pod, and the last-applied copy of it, the same.
    const pod = { kind: "Pod", metadata: { name: "p" }, spec: podSpec(20) };
    const applied = {
      ...pod,
      metadata: { name: "p", annotations: { [LAST_APPLIED]: JSON.stringify(pod) } },
    };
    expect(leaks(new Redaction({ digest }).object(applied), "SepPw-20a", "SepPw-22c")).toEqual([]);
  });

  it("keeps what follows a credential flag alone when it is a flag, and short flags", () => {
    const pod = {
      kind: "Pod",
      spec: {
        containers: [
          {
            name: "a",
            args: ["-p", "short-flag-value", "--password", "--verbose", "--token", "", "--secret"],
            command: ["--pin-token", 123456, "--port", 8080],
          },
        ],
      },
    };
    const c = new Redaction({ digest }).object(pod).spec.containers[0]!;
    expect(c.args).toEqual(pod.spec.containers[0]!.args);
    expect(c.command).toEqual(["--pin-token", marker("123456"), "--port", 8080]);
  });

  it("redacts the separate form in manifest text", () => {
    const text = [
      "apiVersion: batch/v1",
      "kind: CronJob",
      "metadata: {name: c}",
      "spec:",
      "  jobTemplate:",
      "    spec:",
      "      template:",
      "        spec:",
      "          containers:",
      "            - name: a",
      '              args: ["--password", "TextPw-1", "--port", "80"]',
      "",
    ].join("\n");
    const out = new Redaction({ digest }).manifests(text);
    expect(out).not.toContain("TextPw-1");
    expect(out).toContain(`"--password","${marker("TextPw-1")}","--port","80"`);
  });

  it("redacts ConfigMap data and binaryData values whose key looks like a credential", () => {
    const cm = {
      kind: "ConfigMap",
      metadata: { name: "c" },
      data: {
        password: "CmPw-1",
        DB_PASSWORD: "CmPw-2",
        api_token: "CmPw-3",
        url: "https://u:CmPw-4@h/",
        level: "debug",
      },
      binaryData: { "signing.key": b64("CmPw-5"), logo: b64("png") },
    };
    const r = new Redaction({ digest });
    const out = r.object({ ...cm, kind: "configmap" });
    expect(leaks(out, "CmPw-1", "CmPw-2", "CmPw-3", "CmPw-4", b64("CmPw-5"))).toEqual([]);
    expect(out.data.level).toBe("debug");
    expect(out.binaryData.logo).toBe(b64("png"));
    expect(r.mask("was CmPw-5")).toBe(`was ${marker(b64("CmPw-5"))}`);
  });

  it("keeps a __proto__ key as an own key of the redacted copy", () => {
    const value = JSON.parse(
      '{"kind":"Thing","spec":{"__proto__":{"containers":[{"name":"a","env":[{"name":"TOKEN","value":"ProtoPw-1"}]}]}}}',
    );
    const out = new Redaction({ digest }).object(value);
    expect(Object.hasOwn(out.spec, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(out.spec)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toContain('"__proto__":{"containers"');
    expect(JSON.stringify(out)).not.toContain("ProtoPw-1");

    const paths = parseRedactionPaths("Thing:spec.*.x").paths;
    const viaPath = new Redaction({ digest, paths }).object(
      JSON.parse('{"kind":"Thing","spec":{"__proto__":{"x":"ProtoPw-2"}}}'),
    );
    expect(Object.hasOwn(viaPath.spec, "__proto__")).toBe(true);
    expect(JSON.stringify(viaPath)).not.toContain("ProtoPw-2");
  });
});

describe("Redaction of credentials in command lines, probes, hooks, env values and annotations", () => {
  const leaks = (value: unknown, ...secrets: string[]) =>
    secrets.filter((s) => JSON.stringify(value).includes(s));
  /** One container in a pod, redacted; the pass too. */
  const redacted = (container: Record<string, unknown>) => {
    const r = new Redaction({ digest });
    const pod = r.object({
      kind: "Pod",
      metadata: { name: "p" },
      spec: { containers: [{ name: "a", ...container }] },
    });
    return { r, c: pod.spec.containers[0]! as Record<string, unknown> };
  };

  it("keeps ordinary command lines as they are (the same object)", () => {
    const pod = {
      kind: "Pod",
      metadata: { name: "p", annotations: { "example.com/owner": "team-a", "prometheus.io/port": "9090" } },
      spec: {
        containers: [
          {
            name: "a",
            image: "mysql:8",
            command: [
              "kubectl",
              "-n",
              "ns",
              "apply",
              "-f",
              "file.yaml",
              "-v",
              "-c",
              "conf",
              "--port",
              "8080",
            ],
            args: ["mysql", "-u", "root", "-h", "db", "-P", "3306", "-v", "-e", "select 1"],
            env: [{ name: "JAVA_OPTS", value: "-Xmx1g -Dlog.level=INFO" }],
            livenessProbe: {
              exec: { command: ["sh", "-c", "echo hello && ls -la /tmp | grep -c x > /dev/null 2>&1"] },
            },
            readinessProbe: {
              httpGet: { path: "/healthz?verbose=1", httpHeaders: [{ name: "Accept", value: "json" }] },
            },
            lifecycle: { preStop: { exec: { command: ["docker", "run", "-p", "80:80", "nginx"] } } },
          },
          {
            name: "b",
            command: ["git", "clone", "git@github.com:org/repo.git", "https://user@example.com/r.git"],
          },
          { name: "c", command: ["mysql"], args: ["-p"] },
        ],
      },
    };
    expect(new Redaction({ digest }).object(pod)).toBe(pod);
  });

  it.each([
    ["mysql -p attached", { command: ["mysql", "-u", "root", "-pShortPw-1", "db"] }, "-pcelgate:redacted:"],
    [
      "mysqldump -p separate, args after command",
      { command: ["/usr/bin/mysqldump"], args: ["-p", "ShortPw-1", "db"] },
      '"db"',
    ],
    ["mysqladmin", { command: ["mysqladmin", "-uroot", "-pShortPw-1", "ping"] }, "ping"],
    ["sshpass -p", { command: ["sshpass", "-p", "ShortPw-1", "ssh", "host"] }, "ssh"],
    ["redis-cli -a", { command: ["redis-cli", "-h", "cache", "-a", "ShortPw-1", "ping"] }, "cache"],
    ["curl -u user:pass", { command: ["curl", "-u", "user:ShortPw-1", "https://x"] }, "https://x"],
    ["curl -uuser:pass", { command: ["curl", "-uuser:ShortPw-1", "https://x"] }, "https://x"],
    ["curl --user=user:pass", { command: ["curl", "--user=user:ShortPw-1", "https://x"] }, "--user="],
    [
      "curl from the image, args alone",
      { image: "curlimages/curl:8.5.0", args: ["-u", "u:ShortPw-1", "https://x"] },
      "https://x",
    ],
    [
      "docker login -p",
      { command: ["docker", "login", "-u", "bot", "-p", "ShortPw-1", "reg.example"] },
      "bot",
    ],
    ["mongosh -p", { command: ["mongosh", "-u", "admin", "-p", "ShortPw-1"] }, "admin"],
    ["sqlcmd -P", { command: ["sqlcmd", "-S", "db", "-U", "sa", "-PShortPw-1"] }, "sa"],
    ["ldapsearch -w", { command: ["ldapsearch", "-D", "cn=admin", "-w", "ShortPw-1"] }, "cn=admin"],
    [
      "openssl -passin (a name ending in pass)",
      { command: ["openssl", "rsa", "-passin", "pass:ShortPw-1"] },
      "rsa",
      "pass:ShortPw-1",
    ],
    ["keytool -storepass", { command: ["keytool", "-list", "-storepass", "ShortPw-1"] }, "-list"],
    ["plink -pw", { command: ["plink", "-pw", "ShortPw-1", "host"] }, "host"],
    [
      "skopeo --creds",
      { command: ["skopeo", "copy", "--creds", "u:ShortPw-1", "a", "b"] },
      "copy",
      "u:ShortPw-1",
    ],
    ["htpasswd -b", { command: ["htpasswd", "-bc", "/etc/nginx/htpasswd", "admin", "ShortPw-1"] }, "admin"],
  ] as Array<[string, Record<string, unknown>, string, string?]>)(
    "redacts the password flag of a program: %s",
    (_, container, kept, secret = "ShortPw-1") => {
      const { r, c } = redacted(container);
      expect(leaks(c, "ShortPw-1")).toEqual([]);
      expect(JSON.stringify(c)).toContain(kept);
      expect(JSON.stringify(c)).toContain(marker(secret));
      expect(r.mask(`echo ${secret}`)).toBe(`echo ${marker(secret)}`);
    },
  );

  it("redacts an inline env assignment (`env PGPASSWORD=x psql`)", () => {
    const { c } = redacted({ command: ["env", "PGPASSWORD=InlinePw-1", "psql", "-h", "db"] });
    expect(c.command).toEqual(["env", `PGPASSWORD=${marker("InlinePw-1")}`, "psql", "-h", "db"]);
  });

  it("redacts credentials inside shell scripts, keeping the script readable", () => {
    const script =
      "mysql -u root -phunter2 db && curl -H 'Authorization: Bearer ShellTok-1' https://x\n" +
      "PGPASSWORD=ShellPw-2 psql -h db; redis-cli -a ShellPw-3 ping | tee out 2>&1\n" +
      'mysql -p"ShellPw-4" -e "select 1"; sshpass -p \'ShellPw-5\' ssh host; echo $(curl -uu:ShellPw-6 x)';
    const { r, c } = redacted({ command: ["/bin/sh", "-c"], args: [script] });
    const out = (c.args as string[])[0]!;
    expect(leaks(out, "hunter2", "ShellTok-1", ...[2, 3, 4, 5, 6].map((n) => `ShellPw-${n}`))).toEqual([]);
    expect(out).toBe(
      `mysql -u root -p${marker("hunter2")} db && curl -H 'Authorization: Bearer ${marker("ShellTok-1")}' https://x\n` +
        `PGPASSWORD=${marker("ShellPw-2")} psql -h db; redis-cli -a ${marker("ShellPw-3")} ping | tee out 2>&1\n` +
        `mysql -p"${marker("ShellPw-4")}" -e "select 1"; sshpass -p '${marker("ShellPw-5")}' ssh host; echo $(curl -uu:${marker("ShellPw-6")} x)`,
    );
    expect(r.mask("login hunter2 failed")).toBe(`login ${marker("hunter2")} failed`);
  });

  it("redacts scripts after bash -ec, nested shells, here-documents; an unreadable script whole", () => {
    const { c } = redacted({
      command: ["bash", "-o", "pipefail", "-ec", "sh -c \"bash -c 'mysql -pNestPw-1'\""],
      args: [],
      livenessProbe: {
        exec: {
          command: ["sh", "-c", "cat <<EOF > /etc/app.conf\npassword=DocPw-2\nuser: bob\nEOF\necho done"],
        },
      },
      readinessProbe: { exec: { command: ["sh", "-c", "mysql -pOpenPw-3 'unterminated"] } },
    });
    expect(leaks(c, "NestPw-1", "DocPw-2", "OpenPw-3")).toEqual([]);
    expect((c.command as string[])[4]).toBe(`sh -c "bash -c 'mysql -p${marker("NestPw-1")}'"`);
    expect(JSON.stringify(c)).toContain("user: bob");
    expect((c.readinessProbe as { exec: { command: string[] } }).exec.command[2]).toBe(
      marker("mysql -pOpenPw-3 'unterminated"),
    );
  });

  it("rewrites a word whose secret spans quotes as one quoted word", () => {
    const { c } = redacted({ command: ["sh", "-c", "mysql -p'Quo ted'Pw-1 db"] });
    expect(c.command).toEqual(["sh", "-c", `mysql -p${marker("Quo tedPw-1")} db`]);
  });

  it("redacts the password of URLs inside arguments and scripts, and token userinfo", () => {
    const { c } = redacted({
      command: ["sh", "-c", "psql postgres://app:UrlPw-1@db:5432/app -c 'select 1'"],
      args: [
        "--jdbc=jdbc:sqlserver://db;user=sa;password=UrlPw-2;",
        "git clone https://ghp_UrlTok3abcdefghijklmnop@github.com/o/r.git",
        "https://h/hook?access_token=UrlTok-4&x=1",
      ],
    });
    expect(leaks(c, "UrlPw-1", "UrlPw-2", "UrlTok3", "UrlTok-4")).toEqual([]);
    // a word that is a URL with a password is replaced whole, as an argument is
    expect((c.command as string[])[2]).toBe(
      `psql ${marker("postgres://app:UrlPw-1@db:5432/app")} -c 'select 1'`,
    );
    expect(JSON.stringify(c)).toContain("@github.com/o/r.git");
    expect(JSON.stringify(c)).toContain("&x=1");
  });

  it("redacts Authorization and bearer headers in arguments", () => {
    const { c } = redacted({
      command: ["wget", "--header=Authorization: Basic HdrPw-1", "https://x"],
      args: [
        "-H",
        "Authorization: Bearer HdrTok-2",
        "-H",
        "X-Api-Key: HdrKey-3",
        "--oauth2-bearer",
        "HdrTok-4",
        "git -c http.extraHeader=Authorization:token HdrTok-5",
        "Cookie:session=HdrCookie-6",
      ],
    });
    expect(leaks(c, "HdrPw-1", "HdrTok-2", "HdrKey-3", "HdrTok-4", "HdrTok-5", "HdrCookie-6")).toEqual([]);
    expect((c.command as string[])[1]).toBe(`--header=Authorization: Basic ${marker("HdrPw-1")}`);
  });

  it("redacts SQL passwords in -c and -e scripts", () => {
    const { c } = redacted({
      command: ["psql", "-c", "CREATE USER app WITH PASSWORD 'SqlPw-1';"],
      args: ["mysql", "-e", "ALTER USER 'app'@'%' IDENTIFIED WITH mysql_native_password BY 'SqlPw-2'"],
    });
    expect(leaks(c, "SqlPw-1", "SqlPw-2")).toEqual([]);
    expect((c.command as string[])[2]).toBe(`CREATE USER app WITH PASSWORD '${marker("SqlPw-1")}';`);
  });

  it("redacts exec probes and lifecycle hooks, and credential headers and query tokens of HTTP checks", () => {
    const { c } = redacted({
      livenessProbe: { exec: { command: ["sh", "-c", "mysqladmin ping -uroot -pProbePw-1"] } },
      startupProbe: { exec: { command: ["redis-cli", "-a", "ProbePw-2", "ping"] } },
      readinessProbe: {
        httpGet: {
          path: "/health?token=ProbeTok-3",
          httpHeaders: [
            { name: "Authorization", value: "Bearer ProbeTok-4" },
            { name: "X-Trace", value: "keep" },
          ],
        },
      },
      lifecycle: {
        postStart: { exec: { command: ["curl", "-u", "u:HookPw-5", "https://x"] } },
        preStop: { httpGet: { path: "/stop", httpHeaders: [{ name: "X-Auth-Token", value: "HookTok-6" }] } },
      },
    });
    expect(leaks(c, "ProbePw-1", "ProbePw-2", "ProbeTok-3", "ProbeTok-4", "HookPw-5", "HookTok-6")).toEqual(
      [],
    );
    expect(JSON.stringify(c)).toContain('{"name":"X-Trace","value":"keep"}');
  });

  it("redacts credentials inside env values, and PASS/PWD-named variables", () => {
    const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nEnvKey-1\n-----END OPENSSH PRIVATE KEY-----";
    const { c } = redacted({
      env: [
        { name: "JAVA_OPTS", value: "-Xmx1g -Dspring.datasource.password=EnvPw-2 -Dlog=INFO" },
        { name: "MYSQL_PWD", value: "EnvPw-3" },
        { name: "RABBITMQ_DEFAULT_PASS", value: "EnvPw-4" },
        { name: "SSH_KEY", value: key },
        { name: "APP_CONFIG", value: '{"db":{"password":"EnvPw-5"},"level":"info"}' },
        { name: "OTEL_EXPORTER_OTLP_HEADERS", value: "authorization=Bearer EnvTok-6" },
      ],
    });
    expect(leaks(c, "EnvKey-1", "EnvPw-2", "EnvPw-3", "EnvPw-4", "EnvPw-5", "EnvTok-6")).toEqual([]);
    expect(JSON.stringify(c)).toContain("-Dlog=INFO");
    expect(JSON.stringify(c)).toContain('\\"level\\":\\"info\\"');
  });

  it("redacts credential annotations and credentials inside annotations, pod templates included", () => {
    const annotations = {
      "vault.example/token": "AnnTok-1",
      "ad.datadoghq.com/db.instances": '[{"host":"%%host%%","password":"AnnPw-2"}]',
      "kubernetes.io/change-cause": "kubectl apply --password=AnnPw-3",
      "example.com/owner": "team-a",
    };
    const r = new Redaction({ digest });
    const out = r.object({
      kind: "Deployment",
      metadata: { name: "d", annotations },
      spec: { template: { metadata: { annotations }, spec: { containers: [] } } },
    });
    expect(leaks(out, "AnnTok-1", "AnnPw-2", "AnnPw-3")).toEqual([]);
    expect(out.metadata.annotations["vault.example/token"]).toBe(marker("AnnTok-1"));
    expect(out.spec.template.metadata.annotations["example.com/owner"]).toBe("team-a");
  });

  it("redacts credentials inside ConfigMap values (a properties or YAML file)", () => {
    const out = new Redaction({ digest }).object({
      kind: "ConfigMap",
      data: {
        "application.properties":
          "spring.datasource.url=jdbc:x\nspring.datasource.password=CmFile-1\nlevel=info",
        "config.yaml": "db:\n  password: CmFile-2\n  host: db\n",
      },
    });
    expect(leaks(out, "CmFile-1", "CmFile-2")).toEqual([]);
    expect(out.data["config.yaml"]).toBe(`db:\n  password: ${marker("CmFile-2")}\n  host: db\n`);
  });

  it("redacts the same in every workload template", () => {
    const podSpec = {
      containers: [{ name: "a", command: ["sh", "-c", "mysql -pWorkPw-1"] }],
      initContainers: [{ name: "i", livenessProbe: { exec: { command: ["redis-cli", "-a", "WorkPw-2"] } } }],
    };
    const template = { metadata: { annotations: { "x.io/token": "WorkTok-3" } }, spec: podSpec };
    const workloads = [
      { kind: "Pod", metadata: { annotations: { "x.io/token": "WorkTok-3" } }, spec: podSpec },
      ...["Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet", "ReplicationController"].map(
        (kind) => ({
          kind,
          spec: { template },
        }),
      ),
      { kind: "CronJob", spec: { jobTemplate: { spec: { template } } } },
      { kind: "PodTemplate", template },
    ];
    for (const w of workloads) {
      const out = new Redaction({ digest }).object({ apiVersion: "v1", metadata: { name: "w" }, ...w });
      expect(leaks(out, "WorkPw-1", "WorkPw-2", "WorkTok-3"), w.kind).toEqual([]);
    }
  });

  it("reads hostile text in bounded time", () => {
    const big = (unit: string, size: number) => unit.repeat(Math.ceil(size / unit.length));
    const started = performance.now();
    for (const unit of [
      "a: ",
      "pass: ",
      "a://b:",
      "x=",
      "key=",
      '"a":',
      "Bearer ",
      "IDENTIFIED ",
      "-----BEGIN PRIVATE KEY-----",
      "$(",
      "'",
    ]) {
      // a script just under the length read as a script; an env value of 400 kB
      redacted({ command: ["sh", "-c", big(unit, 60_000)], env: [{ name: "X", value: big(unit, 400_000) }] });
    }
    // generous for a loaded machine: one quadratic rule takes minutes here
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});
