import { describe, expect, it } from "vitest";
import { docCheckExpression, evalCel, evalError } from "../test-env.js";
import { formatFunctions, NAMED_FORMATS } from "./index.js";

const validate = (name: string, value: string) => NAMED_FORMATS.get(name)?.validate(value);

describe("format library", () => {
  it("gives every documented result", () => {
    for (const doc of formatFunctions) expect(evalCel(docCheckExpression(doc)), doc.example).toBe(true);
  });

  // k8s.io/apiserver/pkg/cel/library/format.go documentation and format_test.go
  it.each([
    ["format.dns1123Label().validate('my-label-name').hasValue()", false],
    ["format.dns1123Subdomain().validate('apiextensions.k8s.io').hasValue()", false],
    ["format.dns1035Label().validate('my-label-name').hasValue()", false],
    ["format.qualifiedName().validate('apiextensions.k8s.io/v1beta1').hasValue()", false],
    ["format.dns1123LabelPrefix().validate('my-label-prefix-').hasValue()", false],
    ["format.dns1123SubdomainPrefix().validate('mysubdomain.prefix.-').hasValue()", false],
    ["format.dns1035LabelPrefix().validate('my-label-prefix-').hasValue()", false],
    ["format.uri().validate('http://example.com').hasValue()", false],
    ["format.uuid().validate('123e4567-e89b-12d3-a456-426614174000').hasValue()", false],
    ["format.byte().validate('aGVsbG8=').hasValue()", false],
    ["format.date().validate('2021-01-01').hasValue()", false],
    ["format.datetime().validate('2021-01-01T00:00:00Z').hasValue()", false],
    ["format.named('dns1123Label').value().validate('my-name').hasValue()", false],
    ["format.named('unknown').hasValue()", false],
    // format_test.go compares formats: one == overload serves == and !=
    ["format.named('dns1123Label').value() == format.dns1123Label()", true],
    ["format.named('uri').value() == format.uuid()", false],
    ["format.named('uri').value() != format.uuid()", true],
    ["[format.uri(), format.date()].exists(f, f == format.date())", true],
    ["format.named('labelValue').value().validate('').hasValue()", false],
    ["format.dns1123Label().validate('UPPER').hasValue()", true],
    ["format.dns1035Label().validate('1abc').hasValue()", true],
    ["format.uri().validate('relative/path').value()", ['parse "relative/path": invalid URI for request']],
    ["format.uuid().validate('not-a-uuid').value()", ["does not match the UUID format"]],
    ["format.byte().validate('aGVsbG8').value()", ["invalid base64"]],
    ["format.date().validate('2021-02-29').value()", ["invalid date"]],
    ["format.date().validate('2020-02-29').hasValue()", false],
    ["format.datetime().validate('2021-01-01T25:00:00Z').value()", ["invalid datetime"]],
    ["format.datetime().validate('2021-01-01t10:00:00.123+02:00').hasValue()", false],
    ["format.datetime().validate('2021-01-01').hasValue()", true],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression)).toEqual(expected);
  });

  it("returns apimachinery's messages", () => {
    expect(validate("dns1123Label", "Hello")).toEqual([
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
    expect(validate("dns1123Label", "a".repeat(64))).toEqual(["must be no more than 63 characters"]);
    expect(validate("dns1123Subdomain", "-bad")).toEqual([
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ]);
    expect(validate("dns1035Label", "1abc")).toEqual([
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    ]);
    expect(validate("qualifiedName", "/name")).toEqual(["prefix part must be non-empty"]);
    expect(validate("qualifiedName", "example.com/")).toEqual([
      "name part must be non-empty",
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]);
    expect(validate("qualifiedName", "a/b/c")?.[0]).toMatch(
      /^a qualified name must consist of .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/,
    );
    expect(validate("qualifiedName", "Bad_Prefix/name")?.[0]).toMatch(
      /^prefix part a lowercase RFC 1123 subdomain/,
    );
    expect(validate("labelValue", "-x")?.[0]).toMatch(/^a valid label must be an empty string or consist of/);
    expect(validate("dns1123LabelPrefix", "my-prefix-")).toEqual([]);
    expect(validate("dns1123Label", "my-prefix-")).toHaveLength(1);
  });

  it("rejects non-string input at type-check time", () => {
    expect(evalError("format.dns1123Label().validate(1)")).toMatch(/no matching overload/);
  });
});
