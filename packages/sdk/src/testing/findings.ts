/**
 * A finding as a service answers it on `GET /v1/findings`, for the tests that hand the SDK and
 * the CLI findings from a misbehaving service: `severity` as given (a wrong one is the point of
 * most of them), every other field well formed.
 */
export function findingAnswer(severity: unknown): Record<string, unknown> {
  return {
    id: "f_1",
    status: "open",
    resource: { cluster: "prod", namespace: "shop", kind: "Deployment", name: "web" },
    policy: "run-as-non-root",
    policyVersion: 1,
    severity,
    action: "deny",
    message: "may run as root",
    cause: "policy-change",
    trigger: {},
    openedAt: "2026-01-01T00:00:00Z",
    resolvedAt: null,
    resolution: null,
  };
}
