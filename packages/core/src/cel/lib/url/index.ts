/**
 * URLs (k8s.io/apiserver/pkg/cel/library/urls.go). Kubernetes checks the text with Go's
 * url.ParseRequestURI (an absolute URI or an absolute path) and reads the parts with
 * url.Parse; this module follows the rules of Go's net/url for both.
 */
import type { Environment } from "@marcbachmann/cel-js";
import type { FunctionDoc } from "../doc.js";
import { celError } from "../shared.js";

type Mode = "path" | "host" | "userinfo" | "query";

/** Go's shouldEscape: whether byte `c` must be percent-encoded in the given part of a URL. */
function shouldEscape(c: number, mode: Mode): boolean {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9]/.test(ch)) return false;
  if (mode === "host" && "!$&'()*+,;=:[]<>\"".includes(ch)) return false;
  if ("-_.~".includes(ch)) return false;
  if ("$&+,/:;=?@".includes(ch)) {
    if (mode === "path") return ch === "?";
    if (mode === "userinfo") return "@/?:".includes(ch);
    return true;
  }
  return true;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

/** Go's unescape: decodes %XX (and '+' in queries); throws Go's message on a bad escape or host. */
function percentDecode(text: string, mode: Mode): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? "";
    const code = ch.charCodeAt(0);
    if (ch === "%") {
      if (!isHex(text[i + 1]) || !isHex(text[i + 2])) {
        throw new Error(`invalid URL escape ${JSON.stringify(text.slice(i, i + 3))}`);
      }
      const value = Number.parseInt(text.slice(i + 1, i + 3), 16);
      // Hosts may percent-encode only non-ASCII bytes (and %25, the zone separator).
      if (mode === "host" && value < 0x80 && text.slice(i, i + 3) !== "%25") {
        throw new Error(`invalid URL escape ${JSON.stringify(text.slice(i, i + 3))}`);
      }
      bytes.push(value);
      i += 2;
    } else if (ch === "+" && mode === "query") {
      bytes.push(0x20);
    } else {
      if (mode === "host" && code < 0x80 && shouldEscape(code, mode)) {
        throw new Error(`invalid character ${JSON.stringify(ch)} in host name`);
      }
      bytes.push(...utf8.encode(ch));
    }
  }
  return utf8Decoder.decode(new Uint8Array(bytes));
}

/** Go's escape: percent-encodes every byte of the UTF-8 text that the mode does not allow. */
function percentEncode(text: string, mode: Mode): string {
  let out = "";
  for (const byte of utf8.encode(text)) {
    out += shouldEscape(byte, mode)
      ? `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
      : String.fromCharCode(byte);
  }
  return out;
}

/** Go's validEncoded: the raw path may be returned as is by EscapedPath. */
function validEncodedPath(raw: string): boolean {
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] ?? "";
    if ("!$&'()*+,;=:@[]%".includes(ch)) continue;
    if (ch.charCodeAt(0) >= 0x80 || shouldEscape(ch.charCodeAt(0), "path")) return false;
  }
  return true;
}

function validOptionalPort(port: string): boolean {
  return port === "" || /^:[0-9]*$/.test(port);
}

/** The parts of a URL, as Go's url.URL keeps them. */
export interface ParsedURL {
  scheme: string;
  opaque: string;
  host: string;
  /** The path, unescaped. */
  path: string;
  /** The path as written. */
  rawPath: string;
  rawQuery: string;
  fragment: string;
}

function parseHost(host: string): string {
  if (host.startsWith("[")) {
    const end = host.lastIndexOf("]");
    if (end < 0) throw new Error("missing ']' in host");
    const colonPort = host.slice(end + 1);
    if (!validOptionalPort(colonPort))
      throw new Error(`invalid port ${JSON.stringify(colonPort)} after host`);
  } else {
    const colon = host.lastIndexOf(":");
    if (colon >= 0 && !validOptionalPort(host.slice(colon))) {
      throw new Error(`invalid port ${JSON.stringify(host.slice(colon))} after host`);
    }
  }
  return percentDecode(host, "host");
}

function parseAuthority(authority: string): string {
  const at = authority.lastIndexOf("@");
  const host = parseHost(authority.slice(at + 1));
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) throw new Error("net/url: invalid userinfo");
    percentDecode(userinfo, "userinfo");
  }
  return host;
}

function splitScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] ?? "";
    if (/[A-Za-z]/.test(ch)) continue;
    if (/[0-9+\-.]/.test(ch)) {
      if (i === 0) return ["", raw];
      continue;
    }
    if (ch === ":") {
      if (i === 0) throw new Error("missing protocol scheme");
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ["", raw];
  }
  return ["", raw];
}

function parse(raw: string, viaRequest: boolean): ParsedURL {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new Error("net/url: invalid control character in URL");
  if (raw === "" && viaRequest) throw new Error("empty url");
  const url: ParsedURL = {
    scheme: "",
    opaque: "",
    host: "",
    path: "",
    rawPath: "",
    rawQuery: "",
    fragment: "",
  };
  if (raw === "*") return { ...url, path: "*", rawPath: "*" };
  let [scheme, rest] = splitScheme(raw);
  url.scheme = scheme.toLowerCase();
  if (rest.endsWith("?") && rest.indexOf("?") === rest.length - 1) rest = rest.slice(0, -1);
  else {
    const q = rest.indexOf("?");
    if (q >= 0) {
      url.rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith("/")) {
    if (url.scheme !== "") return { ...url, opaque: rest };
    if (viaRequest) throw new Error("invalid URI for request");
    const colon = rest.indexOf(":");
    const slash = rest.indexOf("/");
    if (colon >= 0 && (slash < 0 || colon < slash))
      throw new Error("first path segment in URL cannot contain colon");
  }
  if ((url.scheme !== "" || (!viaRequest && !rest.startsWith("///"))) && rest.startsWith("//")) {
    const authorityEnd = rest.indexOf("/", 2);
    const authority = authorityEnd < 0 ? rest.slice(2) : rest.slice(2, authorityEnd);
    rest = authorityEnd < 0 ? "" : rest.slice(authorityEnd);
    url.host = parseAuthority(authority);
  }
  url.path = percentDecode(rest, "path");
  url.rawPath = rest;
  return url;
}

/**
 * Go's url.ParseRequestURI: accepts an absolute URI or an absolute path. Throws an Error
 * with Go's message, e.g. `parse "foo": invalid URI for request`.
 */
export function parseRequestURI(raw: string): ParsedURL {
  try {
    return parse(raw, true);
  } catch (error) {
    throw new Error(`parse ${JSON.stringify(raw)}: ${(error as Error).message}`);
  }
}

/** A URL value in CEL: the parts of the text as Go's url.Parse reads them. */
export class KubeURL {
  readonly celType = "kubernetes.URL";

  constructor(
    readonly text: string,
    readonly parts: ParsedURL,
  ) {}

  equals(other: unknown): boolean {
    return other instanceof KubeURL && other.text === this.text;
  }

  /** Host and port split like Go's splitHostPort; brackets of an IPv6 host removed. */
  private hostPort(): [string, string] {
    let host = this.parts.host;
    let port = "";
    const colon = host.lastIndexOf(":");
    if (colon >= 0 && validOptionalPort(host.slice(colon))) {
      port = host.slice(colon + 1);
      host = host.slice(0, colon);
    }
    if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
    return [host, port];
  }

  hostname(): string {
    return this.hostPort()[0];
  }

  port(): string {
    return this.hostPort()[1];
  }

  /** Go's EscapedPath: the path as written when that is a valid encoding, else re-escaped. */
  escapedPath(): string {
    const { path, rawPath } = this.parts;
    if (validEncodedPath(rawPath)) return rawPath;
    if (path === "*") return "*";
    return percentEncode(path, "path");
  }

  /** Go's Query(): the query in "matrix" form; pairs with bad escapes or ';' are skipped. */
  query(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const pair of this.parts.rawQuery.split("&")) {
      if (pair === "" || pair.includes(";")) continue;
      const eq = pair.indexOf("=");
      try {
        const key = percentDecode(eq < 0 ? pair : pair.slice(0, eq), "query");
        const value = percentDecode(eq < 0 ? "" : pair.slice(eq + 1), "query");
        const values = out.get(key);
        if (values) values.push(value);
        else out.set(key, [value]);
      } catch {
        // Go's ParseQuery drops a pair it cannot unescape.
      }
    }
    return out;
  }
}

/** Parses a URL as Kubernetes' url() does; throws a CEL error for text that is not a URL. */
export function parseKubeURL(text: string): KubeURL {
  try {
    parseRequestURI(text);
    // Parse again like url.Parse, which splits off the fragment that ParseRequestURI keeps.
    const hash = text.indexOf("#");
    const parts = parse(hash < 0 ? text : text.slice(0, hash), false);
    if (hash >= 0) parts.fragment = text.slice(hash + 1);
    return new KubeURL(text, parts);
  } catch (error) {
    throw celError(`URL parse error during conversion from string: ${(error as Error).message}`);
  }
}

function isURL(text: string): boolean {
  try {
    parseRequestURI(text);
    return true;
  } catch {
    return false;
  }
}

/** Registers url, isURL and the URL accessors. */
export function registerUrlLibrary(env: Environment): void {
  const U = "kubernetes.URL";
  env.registerType(U, KubeURL);
  env.registerOperator(`${U} == ${U}`, (a: KubeURL, b: KubeURL) => a.equals(b));
  env.registerFunction(`url(string): ${U}`, parseKubeURL);
  env.registerFunction("isURL(string): bool", isURL);
  env.registerFunction(`${U}.getScheme(): string`, (u: KubeURL) => u.parts.scheme);
  env.registerFunction(`${U}.getHost(): string`, (u: KubeURL) => u.parts.host);
  env.registerFunction(`${U}.getHostname(): string`, (u: KubeURL) => u.hostname());
  env.registerFunction(`${U}.getPort(): string`, (u: KubeURL) => u.port());
  env.registerFunction(`${U}.getEscapedPath(): string`, (u: KubeURL) => u.escapedPath());
  env.registerFunction(`${U}.getQuery(): map<string, list<string>>`, (u: KubeURL) => u.query());
}

export const urlFunctions: FunctionDoc[] = [
  {
    signature: "url(<string>) -> <URL>",
    description: "Parses an absolute URI or an absolute path; anything else is an error.",
    example: "url('https://user:pass@example.com:80/path?query=val#fragment').getHost()",
    result: "'example.com:80'",
  },
  {
    signature: "isURL(<string>) -> <bool>",
    description: "True if `url()` accepts the string.",
    example: "isURL('../relative-path')",
    result: "false",
  },
  {
    signature: "<URL>.getScheme() -> <string>",
    description: "The scheme, or '' for a path.",
    example: "url('https://example.com/').getScheme()",
    result: "'https'",
  },
  {
    signature: "<URL>.getHost() -> <string>",
    description: "The host with its port; IPv6 addresses keep their brackets. '' for a path.",
    example: "url('https://[::1]:80/').getHost()",
    result: "'[::1]:80'",
  },
  {
    signature: "<URL>.getHostname() -> <string>",
    description: "The host without port; IPv6 addresses without brackets. '' for a path.",
    example: "url('https://[::1]:80/').getHostname()",
    result: "'::1'",
  },
  {
    signature: "<URL>.getPort() -> <string>",
    description: "The port, or '' if there is none.",
    example: "url('https://example.com:80/').getPort()",
    result: "'80'",
  },
  {
    signature: "<URL>.getEscapedPath() -> <string>",
    description: "The path, URL-escaped; '' if there is none.",
    example: "url('https://example.com/path with spaces/').getEscapedPath()",
    result: "'/path%20with%20spaces/'",
  },
  {
    signature: "<URL>.getQuery() -> <map<string, list<string>>>",
    description: "The query parameters, unescaped, each key with all its values; {} if there is no query.",
    example: "url('https://example.com/path?k1=a&k2=b&k2=c').getQuery()",
    result: "{'k1': ['a'], 'k2': ['b', 'c']}",
  },
];
