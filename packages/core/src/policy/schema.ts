import { z } from "zod";
import { FAILURE_POLICIES, OUTCOMES, POLICY_ACTIONS, SEVERITIES } from "../report/types.js";

/** The API version every celgate document carries. */
export const API_VERSION = "celgate.dev/v1";

const dns1123Label = z
  .string()
  .min(1)
  .max(63, "must be at most 63 characters (a DNS-1123 label)")
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label: lower-case letters, digits and '-'");

const stringMap = z.record(z.string(), z.string());

export const labelSelectorSchema = z.strictObject({
  matchLabels: stringMap.optional(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string().min(1),
        operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});
export type LabelSelector = z.infer<typeof labelSelectorSchema>;

const matchFields = {
  kinds: z.array(z.string().min(1)).optional(),
  apiGroups: z.array(z.string()).optional(),
  namespaces: z.array(z.string().min(1)).optional(),
  excludeNamespaces: z.array(z.string().min(1)).optional(),
  labelSelector: labelSelectorSchema.optional(),
  namespaceSelector: labelSelectorSchema.optional(),
};

export const policyMatchSchema = z.strictObject(matchFields);
export type PolicyMatch = z.infer<typeof policyMatchSchema>;

export const exceptionMatchSchema = z.strictObject({
  ...matchFields,
  names: z.array(z.string().min(1)).optional(),
});
export type ExceptionMatch = z.infer<typeof exceptionMatchSchema>;

const metadataSchema = z.strictObject({
  name: dns1123Label,
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
});

const variableSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a CEL identifier (letters, digits, _)"),
  expression: z.string().min(1),
});

const matchConditionSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(63)
    .regex(
      /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/,
      "must be a qualified name (letters, digits, '-', '_', '.')",
    ),
  expression: z.string().min(1),
});

export const policySchema = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("Policy"),
  metadata: metadataSchema,
  spec: z.strictObject({
    title: z.string().optional(),
    description: z.string().optional(),
    severity: z.enum(SEVERITIES).default("medium"),
    action: z.enum(POLICY_ACTIONS).default("deny"),
    failurePolicy: z.enum(FAILURE_POLICIES).default("Fail"),
    remediation: z.string().optional(),
    references: z.array(z.string()).optional(),
    match: policyMatchSchema.optional(),
    params: z.record(z.string(), z.unknown()).optional(),
    matchConditions: z.array(matchConditionSchema).max(64).optional(),
    variables: z.array(variableSchema).optional(),
    validations: z
      .array(
        z.strictObject({
          expression: z.string().min(1),
          message: z.string().optional(),
          messageExpression: z.string().optional(),
          reason: z.string().optional(),
          fieldPath: z.string().optional(),
        }),
      )
      .min(1, "a policy needs at least one validation"),
  }),
});
export type PolicyDocument = z.infer<typeof policySchema>;

/**
 * RFC 3339 as Kubernetes writes times: a date and a time with its zone (`Z` or an offset), or a
 * date alone (midnight UTC). JavaScript's Date reads much more (`"1"` as 2001, `"Jan 1 2099"`,
 * and a time without a zone in the reading machine's own zone, so the CLI on a laptop and the
 * service in UTC would let one exception lapse hours apart): those are refused.
 */
const RFC3339 = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2}))?$/;

/** The instant of an RFC 3339 text, or NaN's date for any other text or an impossible day (February 30). */
function rfc3339Date(text: string): Date {
  if (!RFC3339.test(text)) return new Date(Number.NaN);
  const [y, m, d] = text.slice(0, 10).split("-").map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d)
    return new Date(Number.NaN);
  return new Date(text);
}

const timestampText = z.union([z.string(), z.date()]).transform((value, ctx) => {
  const date = value instanceof Date ? value : rfc3339Date(value);
  if (Number.isNaN(date.getTime())) {
    ctx.addIssue({ code: "custom", message: "must be an RFC 3339 timestamp such as 2027-01-31T00:00:00Z" });
    return z.NEVER;
  }
  return date.toISOString();
});

export const exceptionSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("PolicyException"),
  metadata: metadataSchema,
  spec: z.strictObject({
    policies: z.array(z.string().min(1)).min(1),
    match: exceptionMatchSchema.optional(),
    images: z.array(z.string().min(1)).optional(),
    vulnerabilities: z.array(z.string().min(1)).optional(),
    reason: z.string().min(1),
    owner: z.string().optional(),
    expires: timestampText,
  }),
});
export type ExceptionDocument = z.infer<typeof exceptionSchema>;

export const testCaseSchema = z
  .strictObject({
    name: z.string().min(1),
    expect: z.enum(OUTCOMES),
    resource: z.record(z.string(), z.unknown()).optional(),
    file: z.string().optional(),
    images: z.array(z.unknown()).optional(),
    params: z.record(z.string(), z.unknown()).optional(),
    context: z.record(z.string(), z.unknown()).optional(),
    namespaceObject: z.record(z.string(), z.unknown()).optional(),
    bundle: z.array(z.record(z.string(), z.unknown())).optional(),
    exceptions: z.array(z.unknown()).optional(),
    messageContains: z.string().optional(),
  })
  .refine((c) => (c.resource === undefined) !== (c.file === undefined), {
    message: "a case needs exactly one of `resource` or `file`",
  });

export const policyTestSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("PolicyTest"),
  metadata: z.strictObject({ name: z.string().min(1), labels: stringMap.optional() }),
  spec: z.strictObject({
    policy: z.string().min(1),
    now: timestampText.optional(),
    cases: z.array(testCaseSchema).min(1),
  }),
});
export type PolicyTestDocument = z.infer<typeof policyTestSchema>;
export type PolicyTestCase = PolicyTestDocument["spec"]["cases"][number];
