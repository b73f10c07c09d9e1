import { KUBERNETES_KINDS, type KubernetesKind } from "./kinds.js";
import { KUBERNETES_MODELS } from "./kubernetes-models.js";

/** One field of a schema model, as @kubernetes/client-node describes it. */
interface ModelAttribute {
  baseName: string;
  type: string;
  format: string;
}

/** The fields of each message type celgate declares for the Kubernetes schemas, by CEL type name. */
export type MessageFields = Map<string, Record<string, string>>;

/** The CEL type name of a schema model: `k8s.V1DeploymentSpec`. */
export function modelTypeName(model: string): string {
  return `k8s.${model}`;
}

/** The CEL type of `kind`'s objects. */
export function kindTypeName(kind: KubernetesKind): string {
  return modelTypeName(KUBERNETES_KINDS[kind].model);
}

/**
 * The CEL type of a model attribute, as Kubernetes types a schema for CEL: integers are `int`,
 * numbers `double`, arrays lists, string-keyed maps maps and nested models their message type.
 * Kubernetes types `date-time` strings as timestamps and `byte` strings as bytes; celgate's
 * manifests carry them as strings, so both are `dyn` here (as are int-or-string and free-form
 * fields, as in Kubernetes). Returns undefined for a reference to a model the table lacks.
 */
export function attributeType(type: string, format: string): string | undefined {
  const list = /^Array<(.+)>$/.exec(type);
  if (list?.[1]) {
    const element = attributeType(list[1], "");
    return element && `list<${element}>`;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map?.[1]) {
    const value = attributeType(map[1], "");
    return value && `map<string, ${value}>`;
  }
  switch (type) {
    case "string":
      return format === "byte" || format === "date-time" ? "dyn" : "string";
    case "number":
      return format === "int32" || format === "int64" ? "int" : "double";
    case "boolean":
      return "bool";
    case "Date":
    case "any":
    case "IntOrString":
      return "dyn";
  }
  return Object.hasOwn(KUBERNETES_MODELS, type) ? modelTypeName(type) : undefined;
}

let declared: MessageFields | undefined;

/**
 * The message types of every model the kinds of kinds.ts reach: CEL type name to field name to
 * CEL type. Throws if a model refers to a model the table lacks (kubernetes-models.ts is out of
 * date: run scripts/kubernetes-models.mjs).
 */
export function kubernetesMessageTypes(): MessageFields {
  if (declared) return declared;
  const out: MessageFields = new Map();
  for (const [model, cls] of Object.entries(KUBERNETES_MODELS)) {
    const fields: Record<string, string> = {};
    for (const attribute of (cls as { attributeTypeMap: readonly ModelAttribute[] }).attributeTypeMap) {
      const type = attributeType(attribute.type, attribute.format);
      if (!type)
        throw new Error(
          `celgate: schema model ${model}.${attribute.baseName} refers to unknown ${attribute.type}`,
        );
      fields[attribute.baseName] = type;
    }
    out.set(modelTypeName(model), fields);
  }
  declared = out;
  return out;
}

/** A kind name of `kinds` that is a built-in kind of the schema, if `apiGroups` allows its group. */
export function builtinKind(
  kind: string,
  apiGroups: readonly string[] | undefined,
): KubernetesKind | undefined {
  if (!Object.hasOwn(KUBERNETES_KINDS, kind)) return undefined;
  const k = kind as KubernetesKind;
  if (apiGroups && !apiGroups.includes("*") && !apiGroups.includes(KUBERNETES_KINDS[k].group))
    return undefined;
  return k;
}
