/**
 * The conformance tests celgate does not run, each with the reason. A key names a whole file
 * (`proto2`), a section (`fields/map_has`) or one test (`lists/in/uint_in_ints`); the most
 * specific key wins. Entries are grouped by reason; the reasons that name cel-js describe
 * @marcbachmann/cel-js 8.0.0, and the groups under "matters for policies" are the ones a
 * Kubernetes-style policy can run into.
 */

/** Gives every path in `paths` the same reason. */
function each(reason: string, paths: readonly string[]): Record<string, string> {
  return Object.fromEntries(paths.map((path) => [path, reason]));
}

// --- Not part of celgate's environment -------------------------------------------------

const PROTO = "proto messages are not part of celgate's environment (manifests are JSON)";
const PROTO_WELL_KNOWN =
  "proto wrapper, Any, Struct and Value messages are not part of celgate's environment (manifests are JSON)";
const QUALIFIED =
  "cel-js has no containers or qualified identifiers (a variable named `a.b`); celgate declares plain names";
const NOT_KUBERNETES = "not a Kubernetes CEL library, so celgate does not register it";

// --- Kubernetes behaves differently from this cel-spec release ----------------------------

const INDEX_PAST_END =
  "this cel-spec release predates cel-go v0.22: in Kubernetes (1.32+) indexOf/lastIndexOf with an offset past the end find nothing (-1) instead of failing";
const HOMOGENEOUS =
  "Kubernetes checks list and map literals as homogeneous (cel.HomogeneousAggregateLiterals), and so does celgate: a literal mixing element types is a compile error";
const CHECKED_ALWAYS =
  "celgate type-checks every expression before evaluating it, as Kubernetes does; this test evaluates an unchecked heterogeneous literal";
const TS_LITERAL_AT_COMPILE =
  "Kubernetes validates timestamp literals at compile time (cel.ValidateTimestampLiterals), and so does celgate: this run-time error is a compile error";
const DURATION_LITERAL_AT_COMPILE =
  "Kubernetes validates duration literals at compile time (cel.ValidateDurationLiterals), and so does celgate: a literal beyond cel-go's duration range (int64 nanoseconds, about ±292 years) is a compile error, not this run-time error";
const UNCHECKED_EQ =
  "evaluates `==` between lists of different static element types without type checking; Kubernetes checks every expression and cel-go's checker refuses list<int> == list<double>, as celgate does (values of type dyn compare across numeric types here as in cel-go)";
const DURATION_MILLIS =
  "cel-go's duration.getMilliseconds() is the whole duration in milliseconds (123321 for 123.321s), not cel-spec's millisecond part; cel-go skips this test, and celgate follows Kubernetes";
const CEL_GO_NULL_ABSTRACT =
  "cel-go fails this test too (it is in cel-go's own conformance skip list), and Kubernetes checks list literals as homogeneous, so [optional.of(1), null] is a compile error in celgate";

// --- cel-js 8.0.0 gaps that matter for policies ---------------------------------------------

const HAS_ROOT =
  "has() of a field of an optional whose value type is still an unbound type parameter (`has({}.?x.y)`, `has({'foo': optional.none()}.foo.bar)`, `has(optional.none().y)`) is a compile error here (\"Cannot index type 'undefined'\") where cel-go answers false; only literals give such a type (an empty map literal, optional.none()): values from manifests, params and variables are dyn or schema-typed, and `has(dyn({}).?x.y)` or `has(object.?spec.x)` answer as in cel-go. (This cel-spec data records a cel-go parse without optional syntax, 'unsupported syntax .?'; Kubernetes enables optional syntax)";
const FORMAT_KUBERNETES =
  "celgate's format() mirrors Kubernetes (cel-go strings v2, en_US): %e as '1.052033 × 10⁰³', infinity as '∞', quoted list items, %d rejects doubles";

// --- cel-js 8.0.0 gaps unlikely to matter for policies --------------------------------------

const UNDECLARED =
  "the test evaluates without type checking, so `|| true` can absorb an undeclared identifier or function; Kubernetes and celgate check every expression, where it is a compile error";
const UNCHECKED_LOGIC =
  "cel-js type-checks even unchecked expressions, so non-bool && / || operands and mixed ternary branches are errors instead of short-circuiting";
const MAP_KEYS =
  "cel-spec expects an error for a null key and for a repeated key in a map literal; cel-go, which Kubernetes runs, accepts both (a repeated key keeps its last value; cel-go's own conformance run skips these tests), and so does celgate";

// --- Out of scope: a Kubernetes policy cannot tell, or cannot write it ----------------------

const TIMESTAMP_PRECISION =
  "timestamps have millisecond precision (cel-js uses JavaScript Dates), so digits past the millisecond are dropped; a policy notices only by parsing a timestamp with more than three fractional digits and comparing, printing or adding nanoseconds at that resolution, while Kubernetes objects carry metav1.Time (whole seconds) and MicroTime (microseconds, in Events and Leases only); the fix is an owned seconds-and-nanoseconds type behind every timestamp function, operator and conversion";
const INT_KEY_MAPS =
  "cel-js stores a map literal with int keys as an object with string keys, so iterating its keys yields strings ({6: 'a'}.all(k, k > 0) fails; indexing and `in` work); a policy notices only by iterating an int-keyed map literal it writes itself, while maps read from manifests are JSON objects with string keys, which behave as in cel-go";
const ABSTRACT_TYPES =
  "the test declares its own function over an abstract parametric type (tuple<T, U, V>), which cel-js cannot declare; a Kubernetes policy cannot declare functions at all";
const UNKNOWNS =
  "unknown values (partial evaluation) are a feature of cel-go embedders that the API server does not use for admission policies; celgate always evaluates with complete data";
const BLOCK =
  "cel.block is the encoding cel-go's optimizer produces for common subexpressions; policies do not write it and Kubernetes' environment does not enable it";

export const SKIPS: Readonly<Record<string, string>> = {
  // Whole files.
  ...each(PROTO, ["proto2", "proto2_ext", "proto3", "enums"]),
  ...each(PROTO_WELL_KNOWN, ["dynamic", "wrappers"]),
  ...each(QUALIFIED, ["namespace"]),
  ...each(`the math extension is ${NOT_KUBERNETES}`, ["math_ext"]),
  ...each(`the encoders extension (base64) is ${NOT_KUBERNETES}`, ["encoders_ext"]),
  ...each(BLOCK, ["block_ext"]),
  ...each(UNKNOWNS, ["unknowns"]),

  // Proto messages inside the core files.
  ...each(PROTO_WELL_KNOWN, [
    "comparisons/eq_wrapper",
    "comparisons/eq_literal/eq_dyn_json_null",
    "type_deductions/wrappers",
  ]),
  ...each(PROTO, [
    "comparisons/eq_literal/not_eq_dyn_proto2_msg_null",
    "comparisons/eq_literal/not_eq_dyn_proto3_msg_null",
    "comparisons/ne_literal/ne_proto2",
    "comparisons/ne_literal/ne_proto3",
    "comparisons/ne_literal/ne_proto2_missing_fields_neq",
    "comparisons/ne_literal/ne_proto3_missing_fields_neq",
    "comparisons/ne_literal/ne_proto_nan_not_equal",
    "comparisons/ne_literal/ne_proto_different_types",
    "comparisons/ne_literal/ne_proto2_any_unpack",
    "comparisons/ne_literal/ne_proto2_any_unpack_bytewise_fallback",
    "comparisons/ne_literal/ne_proto3_any_unpack",
    "comparisons/ne_literal/ne_proto3_any_unpack_bytewise_fallback",
    "parse/nest/message_literal",
    "parse/repeat/select",
    "parse/repeat/message_literal",
    "parse/struct_field_names",
    "parse/whitespace",
    "parse/comments/new_line_terminated",
    "string_ext/format_errors/object not allowed",
    "string_ext/format_errors/object inside list",
    "string_ext/format_errors/object inside map",
    "type_deductions/complex_initializers/struct",
    "type_deductions/field_access",
    "type_deductions/flexible_type_parameter_assignment/comprehension_type_var_aliasing",
    "type_deductions/flexible_type_parameter_assignment/overload_type_var_aliasing",
    "type_deductions/flexible_type_parameter_assignment/list_parameters_do_not_unify",
    "type_deductions/legacy_nullable_types/null_assignable_to_message_parameter_candidate",
    "type_deductions/legacy_nullable_types/null_assignable_to_duration_parameter_candidate",
    "type_deductions/legacy_nullable_types/null_assignable_to_timestamp_parameter_candidate",
    "optionals/optionals/has_optional_ofNonZeroValue_struct_optional_ofNonZeroValue_map_optindex_field",
    "optionals/optionals/optional_ofNonZeroValue_struct_optional_ofNonZeroValue_map_optindex_field",
    "optionals/optionals/struct_map_optindex_field",
    "optionals/optionals/struct_optional_ofNonZeroValue_map_optindex_field",
    "optionals/optionals/struct_map_optindex_field_nested",
    "optionals/optionals/struct_list_optindex_field",
    "optionals/optionals/empty_struct_optindex_hasValue",
    "optionals/optionals/optional_empty_struct_optindex_hasValue",
    "optionals/optionals/struct_optindex_value",
    "optionals/optionals/optional_struct_optindex_value",
    "optionals/optionals/optional_struct_optindex_index_value",
  ]),
  ...each(QUALIFIED, [
    "fields/qualified_identifier_resolution/qualified_ident",
    "fields/qualified_identifier_resolution/map_field_select",
    "fields/qualified_identifier_resolution/qualified_identifier_resolution_unchecked",
    "fields/qualified_identifier_resolution/ident_with_longest_prefix_check",
  ]),

  // Kubernetes differs from the cel-spec release.
  ...each(INDEX_PAST_END, [
    "string_ext/value_errors/indexof_out_of_range",
    "string_ext/value_errors/lastindexof_out_of_range",
  ]),
  ...each(HOMOGENEOUS, [
    "comparisons/eq_literal/not_eq_list_null",
    "comparisons/eq_literal/not_eq_list_mixed_type_numbers",
    "comparisons/eq_literal/not_eq_list_false_vs_types",
    "comparisons/eq_literal/not_eq_map_null",
    "comparisons/eq_literal/not_eq_map_false_vs_types",
    "comparisons/eq_literal/eq_map_value_mixed_types",
    "comparisons/eq_literal/not_eq_list_elem_null",
    "comparisons/eq_literal/not_eq_map_value_null",
    "comparisons/in_list_literal/elem_in_mixed_type_list",
    "comparisons/in_list_literal/elem_in_mixed_type_list_cross_type",
    "comparisons/in_map_literal/key_in_mixed_key_type_map",
    "comparisons/in_map_literal/key_in_mixed_key_type_map_cross_type",
    "conversions/dyn/dyn_heterogeneous_list",
    "fields/map_fields/map_key_int64",
    "fields/map_fields/map_key_uint64",
    "fields/map_fields/map_key_mixed_type",
    "fields/map_fields/map_key_mixed_numbers_double_key",
    "fields/map_fields/map_key_mixed_numbers_lossy_double_key",
    "fields/map_fields/map_key_mixed_numbers_uint_key",
    "fields/map_fields/map_key_mixed_numbers_int_key",
    "fields/map_fields/map_value_mix_type",
    "fields/in/mixed_numbers_and_keys_present",
    "fields/in/mixed_numbers_and_keys_absent",
    "macros/exists/list_elem_type_shortcircuit",
    "macros/exists/list_elem_type_exhaustive",
    "macros/exists/map_key_type_shortcircuit",
    "macros/exists/map_key_type_exhaustive",
    "macros/all/list_elem_type_shortcircuit",
    "macros/all/list_elem_type_exhaustive",
    "optionals/optionals/map_key_mixed_type_optindex_value",
    "optionals/optionals/map_key_mixed_numbers_double_key_optindex_value",
    "optionals/optionals/map_key_mixed_numbers_uint_key_optindex_value",
    "optionals/optionals/map_key_mixed_numbers_int_key_optindex_value",
  ]),
  "plumbing/check_inputs/skip_check": CHECKED_ALWAYS,
  ...each(HOMOGENEOUS, [
    "macros2/exists/list_elem_type_shortcircuit",
    "macros2/exists/list_elem_type_exhaustive",
    "macros2/exists/map_key_type_shortcircuit",
    "macros2/exists/map_key_type_exhaustive",
    "macros2/all/list_elem_type_shortcircuit",
    "macros2/all/list_elem_type_exhaustive",
    "macros2/all/list_elem_type_error_exhaustive",
  ]),
  ...each(TS_LITERAL_AT_COMPILE, [
    "timestamps/timestamp_range/from_string_under",
    "timestamps/timestamp_range/from_string_over",
  ]),
  "timestamps/duration_range": DURATION_LITERAL_AT_COMPILE,
  "timestamps/duration_converters/get_milliseconds": DURATION_MILLIS,
  "type_deductions/legacy_nullable_types/null_assignable_to_abstract_parameter_candidate":
    CEL_GO_NULL_ABSTRACT,

  // cel-js gaps that matter for policies.
  ...each(HAS_ROOT, ["optionals/optionals/has_map_optindex", "optionals/optionals/map_optional_select_has"]),
  ...each(HOMOGENEOUS, [
    "comparisons/eq_literal/eq_list_mixed_type_numbers",
    "comparisons/eq_literal/eq_map_mixed_type_numbers",
  ]),
  ...each(UNCHECKED_EQ, [
    "comparisons/eq_literal/eq_list_elem_mixed_types",
    "comparisons/eq_literal/not_eq_list_length",
  ]),
  "optionals/optionals/type": "cel-js has no type() of an optional value and no optional_type identifier",
  "timestamps/timestamp_conversions/toString_timestamp_nanos": TIMESTAMP_PRECISION,
  ...each(FORMAT_KUBERNETES, [
    "string_ext/format/scientific notation formatting clause",
    "string_ext/format/default precision for scientific notation",
    "string_ext/format/positive infinity support for scientific notation",
    "string_ext/format/negative infinity support for scientific notation",
    "string_ext/format/NaN support for decimal",
    "string_ext/format/positive infinity support for decimal",
    "string_ext/format/negative infinity support for decimal",
    "string_ext/format/positive infinity support for fixed-point",
    "string_ext/format/negative infinity support for fixed-point",
    "string_ext/format/list support for string",
    "string_ext/format/map support for string",
    "string_ext/format/map support (all key types)",
    "string_ext/format/dyntype support for scientific notation",
    "string_ext/format/dyntype NaN/infinity support",
    "string_ext/format/dyntype support for lists",
    "string_ext/format/dyntype support for maps",
    "string_ext/format/scientific notation formatting clause in a string variable",
  ]),

  // cel-js gaps unlikely to matter for policies.
  ...each(UNDECLARED, [
    "basic/variables/unbound_is_runtime_error",
    "basic/functions/unbound_is_runtime_error",
    "parse/receiver_function_names",
  ]),
  ...each(UNCHECKED_LOGIC, [
    "logic/conditional/mixed_type",
    "logic/AND/short_circuit_type_left",
    "logic/AND/short_circuit_type_right",
    "logic/OR/short_circuit_type_left",
    "logic/OR/short_circuit_type_right",
  ]),
  ...each(MAP_KEYS, [
    "fields/qualified_identifier_resolution/map_key_null",
    "fields/qualified_identifier_resolution/map_value_repeat_key",
  ]),
  // {0: 1, 0u: 2}: int and uint keys in one literal
  "fields/qualified_identifier_resolution/map_value_repeat_key_heterogeneous": HOMOGENEOUS,
  "macros/exists_one/map_one": INT_KEY_MAPS,
  "macros2/existsOne/map_one": INT_KEY_MAPS,
  // Kubernetes refuses them too: celgate reports cel-go's "unsupported syntax '`'" at the backtick
  // (lib/syntax/index.ts), so these tests fail here as they would in the API server
  "fields/quoted_map_fields":
    "backtick-quoted field names ({'content-type': 1}.`content-type`) are off in Kubernetes 1.34: cel-go v0.26 parses them only with the opt-in cel.EnableIdentifierEscapeSyntax() (feature cel.feature.backtick_escape_syntax), which the API server's base environment (k8s.io/apiserver/pkg/cel/environment/base.go) does not pass",
  ...each(TIMESTAMP_PRECISION, [
    "timestamps/timestamp_arithmetic/add_time_to_duration_nanos_positive",
    "timestamps/timestamp_range/add_duration_nanos_over",
  ]),
  "type_deductions/type_parameters": ABSTRACT_TYPES,
};

/**
 * Tests that celgate passes although their file is skipped whole (their file's features are
 * out of scope, but these tests do not use them). They run like any other test.
 */
export const RUNS: ReadonlySet<string> = new Set([
  "dynamic/list/var",
  "dynamic/struct/var",
  "dynamic/value_null/var",
  "dynamic/value_number/var",
  "dynamic/value_string/var",
  "dynamic/value_bool/var",
  "dynamic/value_struct/var",
  "dynamic/value_list/var",
]);

/** The reason a test is skipped, or undefined when it runs: the test's entry, else its section's, else its file's. */
export function skipReason(file: string, section: string, test: string): string | undefined {
  const path = `${file}/${section}/${test}`;
  if (RUNS.has(path)) return undefined;
  return SKIPS[path] ?? SKIPS[`${file}/${section}`] ?? SKIPS[file];
}
