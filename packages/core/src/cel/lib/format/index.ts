/**
 * Named string formats (k8s.io/apiserver/pkg/cel/library/format.go): Kubernetes' name and
 * label validations and the OpenAPI formats of kube-openapi's strfmt, with the same error texts.
 * `format.named(name)` returns an optional format; `<format>.validate(s)` returns
 * optional.none() when `s` is valid, else the list of problems.
 */

import type { Environment } from "@marcbachmann/cel-js";
import { Optional } from "@marcbachmann/cel-js";
import type { FunctionDoc } from "../doc.js";
import { registerNamespace } from "../shared.js";
import { parseRequestURI } from "../url/index.js";

/** A named format: validate returns the problems with a string, [] when it is valid. */
export class NamedFormat {
  readonly celType = "kubernetes.NamedFormat";

  constructor(
    readonly name: string,
    readonly validate: (text: string) => string[],
  ) {}

  equals(other: unknown): boolean {
    return other instanceof NamedFormat && other.name === this.name;
  }
}

// k8s.io/apimachinery/pkg/util/validation
const DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?";
const QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const anchored = (fmt: string) => new RegExp(`^${fmt}$`);
const dns1123Label = anchored(DNS1123_LABEL_FMT);
const dns1123Subdomain = anchored(DNS1123_SUBDOMAIN_FMT);
const dns1035Label = anchored(DNS1035_LABEL_FMT);
const qualifiedName = anchored(QUALIFIED_NAME_FMT);
const labelValue = anchored(LABEL_VALUE_FMT);

const maxLenError = (length: number) => `must be no more than ${length} characters`;
const EMPTY_ERROR = "must be non-empty";
/** validation.RegexError: the message, examples and the regular expression. */
function regexError(message: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${message} (regex used for validation is '${fmt}')`;
  return `${message} (e.g. ${examples.map((e) => `'${e}', `).join(" or ")}regex used for validation is '${fmt}')`;
}

const DNS1123_LABEL_ERROR =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_ERROR =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_ERROR =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const QUALIFIED_NAME_ERROR =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_ERROR =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

function isDNS1123Label(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push(maxLenError(63));
  if (!dns1123Label.test(value)) {
    // A valid subdomain that is not a label can only be wrong because of its dots.
    if (dns1123Subdomain.test(value)) errors.push("must not contain dots");
    else errors.push(regexError(DNS1123_LABEL_ERROR, DNS1123_LABEL_FMT, "my-name", "123-abc"));
  }
  return errors;
}

function isDNS1123Subdomain(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 253) errors.push(maxLenError(253));
  if (!dns1123Subdomain.test(value))
    errors.push(regexError(DNS1123_SUBDOMAIN_ERROR, DNS1123_SUBDOMAIN_FMT, "example.com"));
  return errors;
}

function isDNS1035Label(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push(maxLenError(63));
  if (!dns1035Label.test(value))
    errors.push(regexError(DNS1035_LABEL_ERROR, DNS1035_LABEL_FMT, "my-name", "abc-123"));
  return errors;
}

function isQualifiedName(value: string): string[] {
  const errors: string[] = [];
  const parts = value.split("/");
  let name: string;
  if (parts.length === 1) name = parts[0] ?? "";
  else if (parts.length === 2) {
    const prefix = parts[0] ?? "";
    name = parts[1] ?? "";
    if (prefix.length === 0) errors.push(`prefix part ${EMPTY_ERROR}`);
    else errors.push(...isDNS1123Subdomain(prefix).map((e) => `prefix part ${e}`));
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_ERROR, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errors.push(`name part ${EMPTY_ERROR}`);
  else if (name.length > 63) errors.push(`name part ${maxLenError(63)}`);
  if (!qualifiedName.test(name)) {
    errors.push(
      `name part ${regexError(QUALIFIED_NAME_ERROR, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")}`,
    );
  }
  return errors;
}

function isValidLabelValue(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push(maxLenError(63));
  if (!labelValue.test(value))
    errors.push(regexError(LABEL_VALUE_ERROR, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"));
  return errors;
}

/** apimachinery's maskTrailingDash: a generateName prefix may end in '-'. */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith("-") ? `${name.slice(0, -2)}a` : name;
}

const prefixed = (validate: (s: string) => string[]) => (s: string) => validate(maskTrailingDash(s));

// kube-openapi strfmt
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;
const TIME = /^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$/;

/** Go's time.Parse("2006-01-02", s): a real calendar date. */
function isDate(text: string): boolean {
  const match = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  return day <= days;
}

/** strfmt's IsDateTime: a date, 't', then hh:mm:ss[.frac] and 'z' or an offset (case-insensitive). */
function isDateTime(text: string): boolean {
  if (text.length < 4) return false;
  const parts = text.toLowerCase().split("t");
  if (parts.length < 2 || !isDate(parts[0] ?? "")) return false;
  const match = TIME.exec(parts[1] ?? "");
  if (!match) return false;
  return (match[1] ?? "") <= "23" && (match[2] ?? "") <= "59" && (match[3] ?? "") <= "59";
}

const check = (ok: (s: string) => boolean, message: string) => (s: string) => (ok(s) ? [] : [message]);

/** The formats `format.named()` knows, by name, as in Kubernetes' ConstantFormats. */
export const NAMED_FORMATS: ReadonlyMap<string, NamedFormat> = new Map(
  (
    [
      ["dns1123Label", "DNS1123Label", isDNS1123Label],
      ["dns1123Subdomain", "DNS1123Subdomain", isDNS1123Subdomain],
      ["dns1035Label", "DNS1035Label", isDNS1035Label],
      ["qualifiedName", "QualifiedName", isQualifiedName],
      ["dns1123LabelPrefix", "DNS1123LabelPrefix", prefixed(isDNS1123Label)],
      ["dns1123SubdomainPrefix", "DNS1123SubdomainPrefix", prefixed(isDNS1123Subdomain)],
      ["dns1035LabelPrefix", "DNS1035LabelPrefix", prefixed(isDNS1035Label)],
      ["labelValue", "LabelValue", isValidLabelValue],
      [
        "uri",
        "URI",
        (s: string) => {
          try {
            parseRequestURI(s);
            return [];
          } catch (error) {
            return [(error as Error).message];
          }
        },
      ],
      ["uuid", "uuid", check((s) => UUID.test(s), "does not match the UUID format")],
      ["byte", "byte", check((s) => BASE64.test(s), "invalid base64")],
      ["date", "date", check(isDate, "invalid date")],
      ["datetime", "datetime", check(isDateTime, "invalid datetime")],
    ] as const
  ).map(([key, name, validate]) => [key, new NamedFormat(name, validate)]),
);

/** Registers format.named, format.<name>(), <NamedFormat>.validate and NamedFormat equality. */
export function registerFormatLibrary(env: Environment): void {
  const F = "kubernetes.NamedFormat";
  env.registerType(F, NamedFormat);
  // Kubernetes' format values compare by name (format.named('uri').value() == format.uri())
  env.registerOperator(`${F} == ${F}`, (a: NamedFormat, b: NamedFormat) => a.equals(b));
  const ns = registerNamespace(env, "format");
  env.registerFunction(`${ns}.named(string): optional<${F}>`, (_: unknown, name: string) => {
    const format = NAMED_FORMATS.get(name);
    return format ? Optional.of(format) : Optional.none();
  });
  for (const [key, format] of NAMED_FORMATS) env.registerFunction(`${ns}.${key}(): ${F}`, () => format);
  env.registerFunction(
    `${F}.validate(string): optional<list<string>>`,
    (format: NamedFormat, text: string) => {
      const errors = format.validate(text);
      return errors.length === 0 ? Optional.none() : Optional.of(errors);
    },
  );
}

export const formatFunctions: FunctionDoc[] = [
  {
    signature: "format.named(<string>) -> <optional<Format>>",
    description:
      "The named format, or optional.none() for an unknown name. Names: dns1123Label, dns1123Subdomain, dns1035Label, qualifiedName, dns1123LabelPrefix, dns1123SubdomainPrefix, dns1035LabelPrefix, labelValue, uri, uuid, byte, date, datetime.",
    example: "format.named('dns1123Label').hasValue()",
    result: "true",
  },
  {
    signature: "format.<name>() -> <Format>",
    description: "The named format directly, e.g. `format.dns1123Label()` or `format.uuid()`.",
    example: "format.labelValue().validate('my_value').hasValue()",
    result: "false",
  },
  {
    signature: "<Format>.validate(<string>) -> <optional<list<string>>>",
    description:
      "optional.none() if the string is valid, otherwise the list of problems (Kubernetes' messages).",
    example: "format.dns1123Label().validate('my.name').value()",
    result: "['must not contain dots']",
  },
  {
    signature: "<Format> == <Format> -> <bool>",
    description: "Formats are equal when they are the same named format.",
    example: "format.named('uri').value() == format.uri()",
    result: "true",
  },
];
