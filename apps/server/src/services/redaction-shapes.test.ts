// Secrets in less obvious places (docs/security.md, "Redaction"): posted through real HTTP, none
// of their values reaches the stored input, the evaluation row or the report.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../server.js";
import { BACKENDS, serveOnTestDatabase } from "../test/harness.js";

const b64 = (text: string) => Buffer.from(text).toString("base64");

const SECRETS = {
  lowerKind: "ShapePw-lower-kind",
  nested: "ShapePw-nested-template",
  imagePw: "ShapePw-image-basic",
  imageUrlPw: "ShapePw-image-url",
  arg: "ShapePw-arg-flag",
  command: "ShapePw-command-token",
  configMap: "ShapePw-configmap-key",
  proto: "ShapePw-under-proto",
  shellMysql: "ShapePw-shell-mysql",
  bearer: "ShapePw-bearer-token",
  urlArg: "ShapePw-url-in-script",
  javaOpts: "ShapePw-java-opts",
  probe: "ShapePw-probe-redis",
  hook: "ShapePw-hook-curl",
  annotation: "ShapePw-annotation-token",
};

// Decided on the object as sent: the evaluation sees the password, history sees a marker (a
// replay of this evaluation would pass; the recorded decision stays deny).
const DENY_INLINE = `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: deny-inline-password
spec:
  action: deny
  match:
    kinds: [Pod]
  validations:
    - expression: "!object.spec.containers.exists(c, c.args.exists(a, a.contains('-pShapePw-shell')))"
      message: a password inline in a command line
`;

const ECHO = `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: echo-shapes
spec:
  action: audit
  match:
    kinds: [Pod]
  validations:
    - expression: "false"
      messageExpression: "object.spec.containers.map(c, c.image + ' ' + c.args.join(' ') + ' ' + c.command.join(' ')).join(';')"
`;

const resources = () => [
  {
    apiVersion: "v1",
    kind: "secret",
    metadata: { name: "lower" },
    stringData: { password: SECRETS.lowerKind },
  },
  {
    apiVersion: "template.openshift.io/v1",
    kind: "Template",
    metadata: { name: "tpl" },
    objects: [
      { apiVersion: "v1", kind: "Secret", metadata: { name: "in" }, data: { pw: b64(SECRETS.nested) } },
    ],
  },
  {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "shop" },
    spec: {
      containers: [
        {
          name: "a",
          image: `robot:${SECRETS.imagePw}@registry.example/shop/web:1`,
          args: [`--password=${SECRETS.arg}`, "--port=8080"],
          command: ["/app", `--api-token=${SECRETS.command}`],
        },
        {
          name: "b",
          image: `https://robot:${SECRETS.imageUrlPw}@registry.example/shop/side:2`,
          args: [],
          command: [],
        },
      ],
    },
  },
  { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm" }, data: { DB_PASSWORD: SECRETS.configMap } },
  {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "inline",
      namespace: "shop",
      annotations: { "vault.example/token": SECRETS.annotation },
    },
    spec: {
      containers: [
        {
          name: "c",
          image: "mysql:8",
          command: ["sh", "-c"],
          args: [
            `mysql -u root -p${SECRETS.shellMysql} db && curl -H 'Authorization: Bearer ${SECRETS.bearer}' https://x`,
          ],
          env: [{ name: "JAVA_OPTS", value: `-Xmx1g -Dspring.datasource.password=${SECRETS.javaOpts}` }],
          livenessProbe: { exec: { command: ["redis-cli", "-a", SECRETS.probe, "ping"] } },
          lifecycle: {
            postStart: { exec: { command: ["curl", "-u", `u:${SECRETS.hook}`, "https://x"] } },
            preStop: {
              exec: { command: ["sh", "-c", `psql postgres://u:${SECRETS.urlArg}@db/x -c 'select 1'`] },
            },
          },
        },
      ],
    },
  },
];

// `__proto__` is data deep in a body (docs/api.md, "Bodies"): written as JSON text.
const protoResource = `{"apiVersion":"example.io/v1","kind":"Thing","metadata":{"name":"p"},"spec":{"__proto__":{"containers":[{"name":"c","image":"nginx","env":[{"name":"TOKEN","value":"${SECRETS.proto}"}]}]}}}`;

const ADMIN = "redaction-shapes-admin-token-0123456789";

describe.each(BACKENDS)("redaction of secrets in odd places on %s", (backend) => {
  let server: RunningServer;
  let close: () => Promise<void>;
  const answers: string[] = [];
  const post = (path: string, body: string, type: string) =>
    fetch(`http://127.0.0.1:${server.port}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": type },
      body,
    });
  /** Every row of a table as text, straight from the database. */
  const table = async (query: string) =>
    JSON.stringify(
      (await server.services.database.db.execute(sql.raw(query))) as unknown as { rows: unknown[] },
    );

  beforeAll(async () => {
    ({ server, close } = await serveOnTestDatabase(backend, { CELGATE_ADMIN_TOKEN: ADMIN }));
    for (const yaml of [ECHO, DENY_INLINE]) {
      const policy = await post("/v1/policies", yaml, "application/yaml");
      expect(policy.status, await policy.text()).toBe(201);
    }
    const yaml = resources()
      .map((r) => JSON.stringify(r))
      .join("\n---\n");
    const bodies = [
      JSON.stringify({ resources: resources() }),
      JSON.stringify({ manifests: yaml }),
      JSON.stringify({ manifests: [{ file: "k8s/app.yaml", text: yaml }] }),
      `{"resources":[${protoResource}]}`,
    ];
    for (const body of bodies) {
      const res = await post("/v1/evaluations", body, "application/json");
      const text = await res.text();
      expect(res.status, text).toBe(201);
      answers.push(text);
    }
  });
  afterAll(async () => {
    await close?.();
  });

  const leaked = (text: string) =>
    Object.values(SECRETS)
      .flatMap((s) => [s, b64(s)])
      .filter((s) => text.includes(s));

  it("keeps no secret in stored inputs, evaluation rows or reports, nor in the answers", async () => {
    for (const name of ["inputs", "evaluations"])
      expect(leaked(await table(`select * from ${name}`)), name).toEqual([]);
    for (const answer of answers) expect(leaked(answer)).toEqual([]);
  });

  it("decides on the objects as sent, and stores the decision with the redacted inputs", async () => {
    const inline = (text: string) =>
      (
        JSON.parse(text) as {
          results: Array<{ policy: string; resource: { name: string }; outcome: string }>;
        }
      ).results.find((r) => r.policy === "deny-inline-password" && r.resource.name === "inline")?.outcome;
    for (const answer of answers.slice(0, 3)) {
      expect(JSON.parse(answer).decision).toBe("deny");
      expect(inline(answer)).toBe("fail");
    }
    const rows = (await server.services.database.db.execute(
      sql.raw("select report from evaluations"),
    )) as unknown as {
      rows: Array<{ report: { decision: string; results: Array<{ resource: { name: string } }> } }>;
    };
    const withInline = rows.rows.filter((r) => r.report.results.some((x) => x.resource.name === "inline"));
    expect(withInline.map((r) => r.report.decision)).toEqual(["deny", "deny", "deny"]);
    const stored = await table("select text, data from inputs");
    expect(stored).toContain("mysql -u root -pcelgate:redacted:hmac-sha256:");
    expect(stored).toContain("Authorization: Bearer celgate:redacted:hmac-sha256:");
  });

  it("keeps the images named without userinfo, and __proto__ as data", async () => {
    const rows = await table("select images, report from evaluations");
    expect(rows).toContain('"registry.example/shop/web:1"');
    expect(rows).toContain('"https://registry.example/shop/side:2"');
    expect(rows).toContain("registry.example/shop/web:1 --password=celgate:redacted:");
    expect(await table("select data from inputs")).toContain('"__proto__":{"containers"');
  });
});
