import { describe, expect, it } from "vitest";
import { docCheckExpression, evalCel, evalError } from "../test-env.js";
import { parseRequestURI, urlFunctions } from "./index.js";

describe("url library", () => {
  it("gives every documented result", () => {
    for (const doc of urlFunctions) expect(evalCel(docCheckExpression(doc)), doc.example).toBe(true);
  });

  // k8s.io/apiserver/pkg/cel/library/urls.go documentation
  it.each([
    ["isURL('https://user:pass@example.com:80/path?query=val#fragment')", true],
    ["isURL('/absolute-path')", true],
    ["isURL('https://a:b:c/')", false],
    ["isURL('../relative-path')", false],
    ["url('/path').getScheme()", ""],
    ["url('https://example.com/').getScheme()", "https"],
    ["url('HTTPS://example.com/').getScheme()", "https"],
    ["url('https://example.com:80/').getHost()", "example.com:80"],
    ["url('https://example.com/').getHost()", "example.com"],
    ["url('https://[::1]:80/').getHost()", "[::1]:80"],
    ["url('https://[::1]/').getHost()", "[::1]"],
    ["url('/path').getHost()", ""],
    ["url('https://example.com:80/').getHostname()", "example.com"],
    ["url('https://127.0.0.1:80/').getHostname()", "127.0.0.1"],
    ["url('https://[::1]:80/').getHostname()", "::1"],
    ["url('/path').getHostname()", ""],
    ["url('https://example.com:80/').getPort()", "80"],
    ["url('https://example.com/').getPort()", ""],
    ["url('/path').getPort()", ""],
    ["url('https://example.com/path').getEscapedPath()", "/path"],
    ["url('https://example.com/path with spaces/').getEscapedPath()", "/path%20with%20spaces/"],
    ["url('https://example.com').getEscapedPath()", ""],
    ["url('https://example.com/a%2Fb').getEscapedPath()", "/a%2Fb"],
    ["url('https://example.com/caf%C3%A9').getEscapedPath()", "/caf%C3%A9"],
    ["url('https://example.com/path#frag').getEscapedPath()", "/path"],
    ["url('https://example.com/path?k1=a&k2=b&k2=c').getQuery() == {'k1': ['a'], 'k2': ['b', 'c']}", true],
    [
      "url('https://example.com/path?key with spaces=value with spaces').getQuery() == {'key with spaces': ['value with spaces']}",
      true,
    ],
    [
      "url('https://example.com/path?a=1+2&b=%41&c').getQuery() == {'a': ['1 2'], 'b': ['A'], 'c': ['']}",
      true,
    ],
    ["url('https://example.com/path?a=1;b=2&c=3').getQuery() == {'c': ['3']}", true],
    ["url('https://example.com/path?').getQuery() == {}", true],
    ["url('https://example.com/path').getQuery() == {}", true],
    ["url('https://example.com/x?q=1#frag').getQuery()['q']", ["1"]],
    ["url('mailto:someone@example.com').getScheme()", "mailto"],
    ["url('/a') == url('/a')", true],
  ])("%s", (expression, expected) => {
    expect(evalCel(expression)).toEqual(expected);
  });

  it("rejects what Go's url.ParseRequestURI rejects", () => {
    for (const bad of [
      "",
      "../relative-path",
      "example.com/path",
      "https://a:b:c/",
      "https://[::1/",
      "https://ex ample.com/",
      "/a%zz",
      "https://exa%41mple.com/",
      "http://us er@x/",
      "/a\nb",
      ":foo",
    ]) {
      expect(evalCel("isURL(u)", { u: bad }), JSON.stringify(bad)).toBe(false);
    }
  });

  it("reports Go's messages", () => {
    expect(evalError("url('../relative-path')")).toBe(
      'URL parse error during conversion from string: parse "../relative-path": invalid URI for request',
    );
    expect(evalError("url('https://a:b:c/')")).toBe(
      'URL parse error during conversion from string: parse "https://a:b:c/": invalid port ":c" after host',
    );
    expect(() => parseRequestURI("/a%zz")).toThrow('parse "/a%zz": invalid URL escape "%zz"');
    expect(() => parseRequestURI("")).toThrow('parse "": empty url');
  });
});
