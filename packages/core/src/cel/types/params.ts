/**
 * The CEL types of a policy's params, inferred from their declared defaults (celgate's policy
 * format has no params schema; the defaults are the declaration). A whole number is `int`, any
 * other number `double`; a list or a mapping has the one type all its elements (values) share,
 * or `dyn` when they differ or it is empty; a mapping is a `map<string, V>`, since callers may
 * override it with other keys; `null` is `dyn`.
 */
export function paramTypes(params: Readonly<Record<string, unknown>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params ?? {})) out[name] = valueType(value);
  return out;
}

function valueType(value: unknown): string {
  switch (typeof value) {
    case "boolean":
      return "bool";
    case "bigint":
      return "int";
    case "number":
      return Number.isInteger(value) ? "int" : "double";
    case "string":
      return "string";
  }
  if (Array.isArray(value)) return `list<${commonType(value)}>`;
  if (value !== null && typeof value === "object") return `map<string, ${commonType(Object.values(value))}>`;
  return "dyn";
}

function commonType(values: readonly unknown[]): string {
  const types = new Set(values.map(valueType));
  const [only] = types;
  return types.size === 1 && only !== undefined ? only : "dyn";
}
