// Shared fixtures of the redaction tests: secret values, manifests that carry them, policies
// that echo them, and the check that a text holds none of them.
import { expect } from "vitest";

const b64 = (text: string) => Buffer.from(text).toString("base64");

/** Every secret value the fixtures carry, in plain text. */
export const SECRET_VALUES = {
  password: "s3cr3t-P4ssw0rd!",
  token: "tok-live-abcdef123",
  envPassword: "env-pass-9876",
  urlPassword: "url-pass-5555",
  configMapPassword: "cm-pass-4242",
  oldPassword: "old-secret-value-77",
} as const;

/** Every form a stored or answered text must not hold: each value plain and base64-encoded. */
export const FORBIDDEN: readonly string[] = Object.values(SECRET_VALUES).flatMap((v) => [v, b64(v)]);

/** The operator path the fixtures need (CELGATE_REDACT_PATHS). */
export const REDACT_PATHS = "ConfigMap:data.password";

export const secretObject = (password: string = SECRET_VALUES.password) => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "db", namespace: "shop" },
  type: "Opaque",
  data: { password: b64(password) },
  stringData: { token: SECRET_VALUES.token },
});

export const deploymentWithEnv = () => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "api", namespace: "shop", labels: { owner: "team" } },
  spec: {
    replicas: 2,
    template: {
      spec: {
        containers: [
          {
            name: "app",
            image: "registry.example/shop/web:1.0",
            env: [
              { name: "DB_PASSWORD", value: SECRET_VALUES.envPassword },
              { name: "DATABASE_URL", value: `postgres://app:${SECRET_VALUES.urlPassword}@db:5432/app` },
              { name: "LOG_LEVEL", value: "debug" },
            ],
          },
        ],
      },
    },
  },
});

export const configMapObject = () => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "settings", namespace: "shop" },
  data: { password: SECRET_VALUES.configMapPassword, mode: "fast" },
});

/** The three objects as one YAML stream (block style, as people write it). */
export const manifestsYaml = () => `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
type: Opaque
data:
  password: ${b64(SECRET_VALUES.password)}
stringData:
  token: ${SECRET_VALUES.token}
---
${JSON.stringify(deploymentWithEnv())}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  password: ${SECRET_VALUES.configMapPassword}
  mode: fast
`;

/** An audit-action policy whose messages echo every secret it can reach, and a warn one. */
export const ECHO_POLICIES = `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: echo-secrets
spec:
  action: audit
  match:
    kinds: [Secret, Deployment, ConfigMap]
  validations:
    - expression: "false"
      messageExpression: "cel.bind(o, dyn(object), o.kind == 'Secret' ? 'data ' + o.data.map(k, k + '=' + o.data[k]).join(',') : o.kind == 'ConfigMap' ? 'cm ' + o.data.password : 'env ' + o.spec.template.spec.containers.map(c, c.env.map(e, e.name + '=' + e.value).join(',')).join(';'))"
    - expression: "false"
      messageExpression: "cel.bind(o, dyn(object), has(o.stringData) ? 'stringData ' + o.stringData.map(k, k + '=' + o.stringData[k]).join(',') : 'none')"
    - expression: "false"
      messageExpression: "oldObject == null ? 'no old object' : cel.bind(o, dyn(oldObject), 'old ' + o.data.map(k, k + '=' + o.data[k]).join(','))"
---
apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: echo-warn
spec:
  action: warn
  match:
    kinds: [Secret]
  validations:
    - expression: "false"
      messageExpression: "'pw=' + object.data.password"
`;

/** Asserts that `text` holds no secret value in any form. */
export function expectNoSecret(text: string, where: string): void {
  for (const f of FORBIDDEN) expect(text.includes(f), `${where} holds ${f}`).toBe(false);
}
