/**
 * Loads the CEL conformance data (the cel-spec `simple` test files, as `@bufbuild/cel-spec`
 * ships them: JSON-serialised `cel.expr.conformance.test.SimpleTest` messages that
 * `getConformanceSuite()` decodes with `@bufbuild/protobuf`) and turns each test into plain
 * data: the expression, its declarations and bindings as cel-js values, and the expectation.
 *
 * Conversions that celgate cannot represent (proto messages, enums, sub-millisecond
 * timestamps) never throw here: they become `unsupported` entries with the reason, so the
 * test that needs them fails with that reason unless the skip list names it.
 */

import type { Type as CelType, Decl } from "@bufbuild/cel-spec/cel/expr/checked_pb.js";
import { Type_PrimitiveType, Type_WellKnownType } from "@bufbuild/cel-spec/cel/expr/checked_pb.js";
import type { Value } from "@bufbuild/cel-spec/cel/expr/value_pb.js";
import { getTestRegistry } from "@bufbuild/cel-spec/testdata/registry.js";
import { getConformanceSuite, type IncrementalTest } from "@bufbuild/cel-spec/testdata/tests.js";
import { type JsonValue, type Registry, toJson } from "@bufbuild/protobuf";
import { type Any, anyUnpack } from "@bufbuild/protobuf/wkt";
import { Duration, UnsignedInt } from "@marcbachmann/cel-js/evaluator";

/** A value celgate cannot build for cel-js, with the reason. */
export class Unsupported {
  constructor(readonly reason: string) {}
}

/** An expected `type` value (`type(1) == int`): the CEL type name. */
export class TypeName {
  constructor(readonly name: string) {}
}

/** What a test expects: a value, an evaluation error, a deduced type, or unknowns. */
export type Expectation =
  | { kind: "value"; value: unknown }
  | { kind: "error"; message: string }
  | { kind: "type"; type: string | Unsupported; value?: unknown }
  | { kind: "unknown" };

export interface ConformanceTest {
  /** `file/section/test`, the key the skip list uses. */
  path: string;
  name: string;
  expr: string;
  /** Identifiers the test declares, as cel-js type strings. */
  variables: Map<string, string | Unsupported>;
  /** Function declarations as cel-js signatures (`fn(string, int): string`); only type-checking tests have them. */
  functions: (string | Unsupported)[];
  /** Activation values, converted to the values cel-js uses. */
  bindings: Map<string, unknown>;
  container: string;
  disableCheck: boolean;
  disableMacros: boolean;
  checkOnly: boolean;
  expect: Expectation;
}

export interface ConformanceSection {
  name: string;
  tests: ConformanceTest[];
}

export interface ConformanceFile {
  name: string;
  sections: ConformanceSection[];
}

/** Every conformance file, in the order the package ships them. */
export function loadConformanceFiles(): ConformanceFile[] {
  const registry = getTestRegistry();
  return getConformanceSuite().suites.map((file) => ({
    name: file.name,
    sections: file.suites.map((section) => ({
      name: section.name,
      tests: section.tests.map((test) => toConformanceTest(`${file.name}/${section.name}`, test, registry)),
    })),
  }));
}

function toConformanceTest(prefix: string, test: IncrementalTest, registry: Registry): ConformanceTest {
  const t = test.original;
  const variables = new Map<string, string | Unsupported>();
  const functions: (string | Unsupported)[] = [];
  for (const decl of t.typeEnv) {
    if (decl.declKind.case === "function") functions.push(...functionSignatures(decl));
    else variables.set(decl.name, declType(decl));
  }
  const bindings = new Map<string, unknown>();
  for (const [name, exprValue] of Object.entries(t.bindings)) {
    bindings.set(
      name,
      exprValue.kind.case === "value"
        ? fromValue(exprValue.kind.value, registry)
        : new Unsupported(`binding ${name} is an ${exprValue.kind.case ?? "empty"} ExprValue`),
    );
  }
  return {
    path: `${prefix}/${test.name}`,
    name: test.name,
    expr: t.expr,
    variables,
    functions,
    bindings,
    container: t.container,
    disableCheck: t.disableCheck,
    disableMacros: t.disableMacros,
    checkOnly: t.checkOnly,
    expect: expectation(t.resultMatcher, registry),
  };
}

function expectation(matcher: IncrementalTest["original"]["resultMatcher"], registry: Registry): Expectation {
  switch (matcher.case) {
    case "value":
      return { kind: "value", value: fromValue(matcher.value, registry) };
    case "evalError":
      return { kind: "error", message: matcher.value.errors.map((e) => e.message).join("; ") };
    case "anyEvalErrors":
      return { kind: "error", message: "any error" };
    case "typedResult": {
      const { result, deducedType } = matcher.value;
      const type = deducedType ? typeString(deducedType) : new Unsupported("no deduced type");
      return result ? { kind: "type", type, value: fromValue(result, registry) } : { kind: "type", type };
    }
    case "unknown":
    case "anyUnknowns":
      return { kind: "unknown" };
    default:
      // A SimpleTest without a matcher expects `true`.
      return { kind: "value", value: true };
  }
}

function declType(decl: Decl): string | Unsupported {
  if (decl.declKind.case !== "ident" || !decl.declKind.value.type) {
    return new Unsupported(`declaration ${decl.name} has no type`);
  }
  return typeString(decl.declKind.value.type);
}

/** Each overload of a function declaration as a cel-js signature, e.g. `string.fn(int): bool`. */
function functionSignatures(decl: Decl): (string | Unsupported)[] {
  if (decl.declKind.case !== "function") return [];
  return decl.declKind.value.overloads.map((overload) => {
    const params = overload.params.map(typeString);
    const result = overload.resultType ? typeString(overload.resultType) : "dyn";
    const bad = [...params, result].find((t) => t instanceof Unsupported);
    if (bad) return bad;
    const [receiver, ...rest] = params as string[];
    return overload.isInstanceFunction
      ? `${receiver}.${decl.name}(${rest.join(", ")}): ${result}`
      : `${decl.name}(${(params as string[]).join(", ")}): ${result}`;
  });
}

/**
 * A `cel.expr.Type` as a cel-js type string (`list<int>`, `map<string, dyn>`,
 * `google.protobuf.Timestamp`). Message types other than the JSON well-known ones are
 * unsupported: celgate has no proto messages.
 */
export function typeString(type: CelType): string | Unsupported {
  const kind = type.typeKind;
  switch (kind.case) {
    case "dyn":
      return "dyn";
    case "null":
      return "null";
    case "primitive":
      return primitiveName(kind.value);
    case "wrapper":
      return new Unsupported(`wrapper type ${primitiveName(kind.value)}`);
    case "wellKnown":
      switch (kind.value) {
        case Type_WellKnownType.TIMESTAMP:
          return "google.protobuf.Timestamp";
        case Type_WellKnownType.DURATION:
          return "google.protobuf.Duration";
        default:
          return new Unsupported("google.protobuf.Any");
      }
    case "listType": {
      const elem = kind.value.elemType ? typeString(kind.value.elemType) : "dyn";
      return elem instanceof Unsupported ? elem : `list<${elem}>`;
    }
    case "mapType": {
      const key = kind.value.keyType ? typeString(kind.value.keyType) : "dyn";
      const value = kind.value.valueType ? typeString(kind.value.valueType) : "dyn";
      if (key instanceof Unsupported) return key;
      if (value instanceof Unsupported) return value;
      return `map<${key}, ${value}>`;
    }
    case "messageType":
      switch (kind.value) {
        case "google.protobuf.Struct":
          return "map<string, dyn>";
        case "google.protobuf.Value":
          return "dyn";
        case "google.protobuf.ListValue":
          return "list<dyn>";
        case "google.protobuf.Timestamp":
        case "google.protobuf.Duration":
          return kind.value;
        default:
          return new Unsupported(`proto message type ${kind.value}`);
      }
    case "type": {
      const inner = typeString(kind.value);
      return inner instanceof Unsupported ? inner : "type";
    }
    case "typeParam":
      return kind.value;
    case "abstractType": {
      const params = kind.value.parameterTypes.map(typeString);
      const bad = params.find((p) => p instanceof Unsupported);
      if (bad) return bad;
      if (kind.value.name === "optional_type" && params.length === 1) return `optional<${params[0]}>`;
      return new Unsupported(`abstract type ${kind.value.name}`);
    }
    default:
      return new Unsupported(`type kind ${kind.case ?? "unset"}`);
  }
}

function primitiveName(p: Type_PrimitiveType): string {
  switch (p) {
    case Type_PrimitiveType.BOOL:
      return "bool";
    case Type_PrimitiveType.INT64:
      return "int";
    case Type_PrimitiveType.UINT64:
      return "uint";
    case Type_PrimitiveType.DOUBLE:
      return "double";
    case Type_PrimitiveType.STRING:
      return "string";
    case Type_PrimitiveType.BYTES:
      return "bytes";
    default:
      return "dyn";
  }
}

/**
 * A `cel.expr.Value` as the JavaScript value cel-js uses: int -> bigint, uint ->
 * UnsignedInt, double -> number, bytes -> Uint8Array, list -> array, map -> prototype-less
 * object (string keys) or Map, timestamp -> Date, duration -> Duration, type -> TypeName.
 */
export function fromValue(value: Value, registry: Registry): unknown {
  const kind = value.kind;
  switch (kind.case) {
    case "nullValue":
      return null;
    case "boolValue":
    case "int64Value":
    case "doubleValue":
    case "stringValue":
    case "bytesValue":
      return kind.value;
    case "uint64Value":
      return new UnsignedInt(kind.value);
    case "enumValue":
      return new Unsupported(`enum value ${kind.value.type}`);
    case "typeValue":
      return new TypeName(kind.value);
    case "listValue":
      return firstUnsupported(kind.value.values.map((v) => fromValue(v, registry)));
    case "mapValue": {
      const entries: [unknown, unknown][] = [];
      for (const entry of kind.value.entries) {
        if (!entry.key || !entry.value) return new Unsupported("map entry without key or value");
        const key = fromValue(entry.key, registry);
        const val = fromValue(entry.value, registry);
        if (key instanceof Unsupported) return key;
        if (val instanceof Unsupported) return val;
        entries.push([key, val]);
      }
      if (entries.every(([key]) => typeof key === "string")) {
        const out: Record<string, unknown> = Object.create(null);
        for (const [key, val] of entries) out[key as string] = val;
        return out;
      }
      return new Map(entries);
    }
    case "objectValue":
      return fromAny(kind.value, registry);
    default:
      return new Unsupported("empty cel.expr.Value");
  }
}

function firstUnsupported(values: unknown[]): unknown {
  return values.find((v) => v instanceof Unsupported) ?? values;
}

const WELL_KNOWN = "type.googleapis.com/google.protobuf.";

/** The well-known proto messages CEL maps to its own values; any other message is unsupported. */
function fromAny(any: Any, registry: Registry): unknown {
  const typeName = any.typeUrl.startsWith(WELL_KNOWN) ? any.typeUrl.slice(WELL_KNOWN.length) : "";
  const message = typeName ? anyUnpack(any, registry) : undefined;
  if (!message) return new Unsupported(`proto message ${any.typeUrl.replace(/^.*\//, "")}`);
  const fields = message as unknown as Record<string, unknown>;
  switch (typeName) {
    case "Timestamp": {
      const seconds = fields.seconds as bigint;
      const nanos = fields.nanos as number;
      if (nanos % 1_000_000 !== 0) {
        return new Unsupported("timestamp with sub-millisecond precision (cel-js timestamps are Dates)");
      }
      return new Date(Number(seconds) * 1000 + nanos / 1_000_000);
    }
    case "Duration":
      return new Duration(fields.seconds as bigint, fields.nanos as number);
    case "Int64Value":
      return fields.value as bigint;
    case "Int32Value":
      return BigInt(fields.value as number);
    case "UInt64Value":
      return new UnsignedInt(fields.value as bigint);
    case "UInt32Value":
      return new UnsignedInt(fields.value as number);
    case "DoubleValue":
    case "FloatValue":
    case "BoolValue":
    case "StringValue":
    case "BytesValue":
      return fields.value;
    case "Struct":
    case "Value":
    case "ListValue": {
      const schema = registry.getMessage(message.$typeName);
      if (!schema) return new Unsupported(`proto message ${message.$typeName}`);
      return fromJsonValue(toJson(schema, message));
    }
    default:
      return new Unsupported(`proto message google.protobuf.${typeName}`);
  }
}

/** google.protobuf.Struct, Value and ListValue are JSON: numbers are doubles, objects maps. */
function fromJsonValue(json: JsonValue): unknown {
  if (Array.isArray(json)) return json.map(fromJsonValue);
  if (json !== null && typeof json === "object") {
    const out: Record<string, unknown> = Object.create(null);
    for (const [key, val] of Object.entries(json)) out[key] = fromJsonValue(val);
    return out;
  }
  return json;
}
